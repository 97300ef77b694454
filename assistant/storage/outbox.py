"""Replies waiting to be delivered (table `outbox`), one code path for SQLite and PostgreSQL.

A reply is stored before anything is sent (`add`, in the transaction that completes its
job), then senders `claim` what is due: one message of a reply at a time, in order (a
reply's second message never overtakes its first), locked with `FOR UPDATE SKIP LOCKED` and
leased so two senders never send the same message. A failed send is tried again after
Slack's Retry-After or a backoff (`retry`); past the reply's deadline the message is marked
late and keeps being tried at a slower pace, and its asker is told it comes late when it
is finally delivered.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, exists, func, select, update
from sqlalchemy.orm import aliased

from assistant.storage.schema import outbox


@dataclass(frozen=True)
class Outgoing:
    kind: str  # what to call: post | update | respond | replace_stream | upload | ephemeral
    payload: dict[str, Any]


@dataclass(frozen=True)
class Pending:
    id: int
    grp: str
    seq: int
    team: str
    kind: str
    payload: dict[str, Any]
    late: bool
    attempts: int
    created_at: float


class Outbox:
    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner

    def add(
        self, conn: Connection, grp: str, items: list[Outgoing], *, deadline_s: float,
        job_id: int | None = None, team: str = "", since: float | None = None,
    ) -> None:  # fmt: skip
        """Store a reply's messages; its deadline counts from `since` (when the request was
        acknowledged; default now)."""
        now = time.time()
        for seq, item in enumerate(items):
            conn.execute(outbox.insert().values(
                job_id=job_id, grp=grp, seq=seq, team=team, kind=item.kind,
                payload=json.dumps(item.payload, ensure_ascii=False), state="pending", late=0,
                attempts=0, next_try_at=now, deadline=(since or now) + deadline_s, owner="",
                lease_until=0.0, last_error="", created_at=now,
            ))  # fmt: skip

    def put(self, grp: str, items: list[Outgoing], *, deadline_s: float, team: str = "") -> None:
        """`add` in a transaction of its own (a reply that belongs to no job)."""
        with self.engine.begin() as conn:
            self.add(conn, grp, items, deadline_s=deadline_s, team=team)

    def claim(self, lease_s: float, limit: int = 4) -> list[Pending]:
        """Messages due now, the first undelivered one of each reply; a message whose
        deadline passed comes marked late. One `UPDATE … RETURNING` over a `FOR UPDATE SKIP
        LOCKED` subquery (see JobStore.claim)."""
        now = time.time()
        earlier = aliased(outbox)
        first = ~exists().where(
            earlier.c.grp == outbox.c.grp, earlier.c.seq < outbox.c.seq,
            earlier.c.state == "pending",
        )  # fmt: skip
        due = and_(outbox.c.state == "pending", outbox.c.next_try_at <= now,
                   outbox.c.lease_until < now)  # fmt: skip
        ids = (
            select(outbox.c.id).where(due, first)
            .order_by(outbox.c.next_try_at, outbox.c.id).limit(limit)
            .with_for_update(skip_locked=True).scalar_subquery()
        )  # fmt: skip
        stmt = (
            update(outbox).where(outbox.c.id.in_(ids), due)
            .values(owner=self.owner, lease_until=now + lease_s,
                    late=case((outbox.c.deadline < now, 1), else_=outbox.c.late),
                    attempts=outbox.c.attempts + 1)
            .returning(outbox.c.id, outbox.c.grp, outbox.c.seq, outbox.c.team, outbox.c.kind,
                       outbox.c.payload, outbox.c.late, outbox.c.attempts, outbox.c.created_at)
        )  # fmt: skip
        with self.engine.begin() as conn:
            rows = conn.execute(stmt).all()
        return sorted((Pending(r.id, r.grp, r.seq, r.team, r.kind, json.loads(r.payload),
                               bool(r.late), r.attempts, r.created_at) for r in rows),
                      key=lambda p: p.id)  # fmt: skip

    def delivered(self, item_id: int, payload: dict[str, Any] | None = None) -> None:
        """Delivered; `payload` replaces the stored one (what a later message needs, e.g.
        the ts Slack gave the first message of a reply)."""
        values: dict[str, Any] = {"state": "delivered", "delivered_at": time.time(),
                                  "lease_until": 0.0}  # fmt: skip
        if payload is not None:
            values["payload"] = json.dumps(payload, ensure_ascii=False)
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id).values(**values))

    def retry(self, item_id: int, delay_s: float, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id).values(
                next_try_at=time.time() + delay_s, lease_until=0.0, last_error=error[:200],
            ))  # fmt: skip

    def failed(self, item_id: int, error: str) -> None:
        """Slack will never take it (the channel is gone, the bot was removed): kept, not
        retried; the log says why."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id).values(
                state="failed", lease_until=0.0, last_error=error[:200],
            ))  # fmt: skip

    def update_later(self, grp: str, after_seq: int, changes: dict[str, Any]) -> None:
        """Merge `changes` into the payloads of a reply's messages after `after_seq`."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.payload)
                .where(outbox.c.grp == grp, outbox.c.seq > after_seq, outbox.c.state == "pending")
            ).all()  # fmt: skip
            for r in rows:
                payload = {**json.loads(r.payload), **changes}
                conn.execute(update(outbox).where(outbox.c.id == r.id).values(
                    payload=json.dumps(payload, ensure_ascii=False)))  # fmt: skip

    def release_mine(self) -> None:
        """Hand back the messages this process claimed and did not send (it stops)."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.owner == self.owner,
                                              outbox.c.state == "pending")
                         .values(lease_until=0.0))  # fmt: skip

    def drop_team(self, team: str) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox).where(outbox.c.team == team, outbox.c.state == "pending")
                .values(state="dropped")
            )  # fmt: skip
            return int(result.rowcount or 0)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
        return {state: int(n) for state, n in rows}

    def next_due(self) -> float | None:
        """When the next pending message is due (None: nothing pending)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.min(outbox.c.next_try_at)).where(outbox.c.state == "pending")
            ).scalar()
        return float(found) if found is not None else None
