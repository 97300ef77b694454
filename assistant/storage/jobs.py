"""A durable job queue in the relational store (table `jobs`), one code path for SQLite and
PostgreSQL.

A surface stores each request it acknowledges (`enqueue`) before it answers the
acknowledgement, so nothing acknowledged lives only in memory. Workers `claim` jobs with a
lease: the row is locked with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises
writers and ignores it), so two instances never take the same job; a lease that runs out
(its process died) makes the job claimable again. A job ends `done` (its reply is stored in
the outbox, in the same transaction: `complete(conn=…)`), `dropped` (its workspace
uninstalled the app), or goes back to `pending` (`release`: shutdown, or Slack said retry
later).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from assistant.storage.schema import jobs


@dataclass(frozen=True)
class Job:
    id: int
    queue: str
    team: str
    payload: dict[str, Any]
    attempts: int
    created_at: float = 0.0  # when it was acknowledged


class JobStore:
    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner  # this process: "host:pid:random"

    def enqueue(self, queue: str, payload: dict[str, Any], team: str = "") -> int:
        now = time.time()
        with self.engine.begin() as conn:
            result = conn.execute(jobs.insert().values(
                queue=queue, team=team, payload=json.dumps(payload), state="pending",
                owner="", lease_until=0.0, available_at=0.0, attempts=0, created_at=now,
                updated_at=now,
            ))  # fmt: skip
            return int(result.inserted_primary_key[0])

    def claim(self, queue: str, lease_s: float, limit: int = 1) -> list[Job]:
        """Up to `limit` jobs due now: pending ones, and running ones whose lease ran out.

        One statement, `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`:
        PostgreSQL's queue idiom (concurrent claimers skip each other's rows), and on SQLite
        (which drops the locking clause) a single write, so a claim never reads first and
        then fails to upgrade to a write under concurrent writers."""
        now = time.time()
        due = and_(
            jobs.c.queue == queue,
            jobs.c.available_at <= now,
            or_(jobs.c.state == "pending", and_(jobs.c.state == "running",
                                                jobs.c.lease_until < now)),
        )  # fmt: skip
        ids = (
            select(jobs.c.id).where(due).order_by(jobs.c.id).limit(limit)
            .with_for_update(skip_locked=True).scalar_subquery()
        )  # fmt: skip
        stmt = (
            update(jobs).where(jobs.c.id.in_(ids), due)
            .values(state="running", owner=self.owner, lease_until=now + lease_s,
                    attempts=jobs.c.attempts + 1, updated_at=now)
            .returning(jobs.c.id, jobs.c.queue, jobs.c.team, jobs.c.payload, jobs.c.attempts,
                       jobs.c.created_at)
        )  # fmt: skip
        with self.engine.begin() as conn:
            rows = conn.execute(stmt).all()
        return sorted((Job(r.id, r.queue, r.team, json.loads(r.payload), r.attempts,
                           r.created_at) for r in rows), key=lambda j: j.id)  # fmt: skip

    def _mine(self, job_id: int) -> Any:
        return and_(jobs.c.id == job_id, jobs.c.state == "running", jobs.c.owner == self.owner)

    def extend(self, job_ids: list[int], lease_s: float) -> None:
        """Renew the leases of jobs this process still works on."""
        if not job_ids:
            return
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(job_ids), jobs.c.state == "running",
                       jobs.c.owner == self.owner)
                .values(lease_until=now + lease_s, updated_at=now)
            )  # fmt: skip

    def complete(self, job_id: int, conn: Connection | None = None) -> bool:
        """Mark a job done; False when this process no longer holds it (it was handed back),
        so the caller's transaction (its reply in the outbox) must be rolled back."""
        if conn is None:
            with self.engine.begin() as own:
                return self.complete(job_id, own)
        result = conn.execute(
            update(jobs).where(self._mine(job_id)).values(state="done", updated_at=time.time())
        )
        return result.rowcount == 1

    def release(self, job_id: int, delay_s: float = 0.0) -> None:
        """Hand a job back: claimable again after `delay_s` (by this or another process)."""
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs).where(self._mine(job_id)).values(
                    state="pending", owner="", lease_until=0.0, available_at=now + delay_s,
                    updated_at=now,
                )
            )  # fmt: skip

    def drop_team(self, team: str) -> int:
        """Stop every job not yet done for a workspace (the app was uninstalled there)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.team == team, jobs.c.state.in_(("pending", "running")))
                .values(state="dropped", updated_at=time.time())
            )
            return int(result.rowcount or 0)

    def counts(self, queue: str) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs.c.state, func.count()).where(jobs.c.queue == queue)
                .group_by(jobs.c.state)
            ).all()  # fmt: skip
        return {state: int(n) for state, n in rows}
