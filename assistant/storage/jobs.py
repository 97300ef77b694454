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

Per-person limits hold across instances: `claim(per_asker=N)` skips the jobs of an asker
who has N jobs running (leased, not expired) in any process. Two claimers could each see
N-1 running and both take one; so on PostgreSQL a claim takes a transaction-scoped advisory
lock on the asker before it counts again and updates, and the second claimer counts after
the first committed. SQLite has one writer: the claim is one UPDATE whose count is read by
that same write.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, literal, or_, select, update

from assistant.storage.schema import jobs


@dataclass(frozen=True)
class Job:
    id: int
    queue: str
    team: str
    payload: dict[str, Any]
    attempts: int
    created_at: float = 0.0  # when it was acknowledged
    asker: str = ""  # the person it answers ("": no per-person limit)
    note: str = ""  # the ts of the note posted while it waited ("-": none to replace)


# The first key of the advisory locks on askers (the second: the asker's hash).
ASKER_LOCK = 22_06
RETURNED = (jobs.c.id, jobs.c.queue, jobs.c.team, jobs.c.payload, jobs.c.attempts,
            jobs.c.created_at, jobs.c.asker, jobs.c.note)  # fmt: skip


def _job(r: Any) -> Job:
    return Job(r.id, r.queue, r.team, json.loads(r.payload), r.attempts, r.created_at, r.asker,
               r.note)  # fmt: skip


class JobStore:
    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner  # this process: "host:pid:random"

    def enqueue(self, queue: str, payload: dict[str, Any], team: str = "",
                asker: str = "") -> int:  # fmt: skip
        now = time.time()
        with self.engine.begin() as conn:
            result = conn.execute(jobs.insert().values(
                queue=queue, team=team, payload=json.dumps(payload), state="pending",
                owner="", lease_until=0.0, available_at=0.0, attempts=0, created_at=now,
                updated_at=now, asker=asker[:40], note="",
            ))  # fmt: skip
            return int(result.inserted_primary_key[0])

    @staticmethod
    def _due(queue: str, now: float) -> Any:
        # Running or being noted with an expired lease: its process died.
        return and_(
            jobs.c.queue == queue,
            jobs.c.available_at <= now,
            or_(jobs.c.state == "pending", and_(jobs.c.state.in_(("running", "noting")),
                                                jobs.c.lease_until < now)),
        )  # fmt: skip

    @staticmethod
    def _running_of(queue: str, asker: Any, now: float) -> Any:
        """How many jobs of `asker` run now, in any process (a lapsed lease runs no more)."""
        r = jobs.alias("running")
        return (select(func.count()).select_from(r)
                .where(r.c.queue == queue, r.c.asker == asker, r.c.state == "running",
                       r.c.lease_until >= now).scalar_subquery())  # fmt: skip

    def _under(self, queue: str, per_asker: int, now: float) -> Any:
        return or_(jobs.c.asker == "", self._running_of(queue, jobs.c.asker, now) < per_asker)

    def claim(self, queue: str, lease_s: float, limit: int = 1,
              per_asker: int = 0) -> list[Job]:  # fmt: skip
        """Up to `limit` jobs due now: pending ones, and running ones whose lease ran out;
        with `per_asker`, none of an asker who has that many running already (anywhere).

        One statement, `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`:
        PostgreSQL's queue idiom (concurrent claimers skip each other's rows), and on SQLite
        (which drops the locking clause) a single write, so a claim never reads first and
        then fails to upgrade to a write under concurrent writers."""
        if per_asker > 0:
            out: list[Job] = []
            for _ in range(limit):
                job = self._claim_one(queue, lease_s, per_asker)
                if job is None:
                    break
                out.append(job)
            return out
        now = time.time()
        due = self._due(queue, now)
        ids = (
            select(jobs.c.id).where(due).order_by(jobs.c.id).limit(limit)
            .with_for_update(skip_locked=True).scalar_subquery()
        )  # fmt: skip
        with self.engine.begin() as conn:
            rows = conn.execute(self._take(due, ids, lease_s, now)).all()
        return sorted((_job(r) for r in rows), key=lambda j: j.id)

    def _take(self, where: Any, ids: Any, lease_s: float, now: float) -> Any:
        return (
            update(jobs).where(jobs.c.id.in_(ids), where)
            .values(state="running", owner=self.owner, lease_until=now + lease_s,
                    attempts=jobs.c.attempts + 1, updated_at=now)
            .returning(*RETURNED)
        )  # fmt: skip

    def _claim_one(self, queue: str, lease_s: float, per_asker: int) -> Job | None:
        """The first due job whose asker is under the limit. PostgreSQL: its row is locked
        (SKIP LOCKED), then its asker (an advisory lock held to the commit), then the count
        is read again by the UPDATE, whose snapshot comes after every earlier claim of that
        asker committed; an asker found at the limit then is passed over."""
        passed: list[str] = []
        while True:
            now = time.time()
            due = and_(self._due(queue, now), self._under(queue, per_asker, now))
            if passed:
                due = and_(due, jobs.c.asker.not_in(passed))
            with self.engine.begin() as conn:
                if conn.dialect.name != "postgresql":
                    ids = select(jobs.c.id).where(due).order_by(jobs.c.id).limit(1)
                    row = conn.execute(self._take(due, ids.scalar_subquery(), lease_s,
                                                  now)).first()  # fmt: skip
                    return _job(row) if row is not None else None
                found = conn.execute(
                    select(jobs.c.id, jobs.c.asker).where(due).order_by(jobs.c.id).limit(1)
                    .with_for_update(skip_locked=True, of=jobs)
                ).first()  # fmt: skip
                if found is None:
                    return None
                if found.asker:
                    conn.execute(select(func.pg_advisory_xact_lock(
                        literal(ASKER_LOCK), func.hashtext(found.asker))))  # fmt: skip
                now = time.time()
                again = and_(self._due(queue, now), self._under(queue, per_asker, now))
                row = conn.execute(self._take(again, [found.id], lease_s, now)).first()
                if row is not None:
                    return _job(row)
            passed.append(found.asker)  # at the limit since: its other jobs wait too

    def waiting(self, queue: str, per_asker: int, after_s: float, lease_s: float,
                limit: int = 10) -> list[tuple[Job, int]]:  # fmt: skip
        """Jobs that have waited `after_s` for their asker's turn (the asker has `per_asker`
        running) and have no note yet, each with the asker's jobs waiting before it: taken
        (state `noting`, leased) so that one process posts each note; `noted` gives each
        back. Other jobs are never held up by this."""
        now = time.time()
        cond = and_(jobs.c.queue == queue, jobs.c.state == "pending", jobs.c.note == "",
                    jobs.c.asker != "", jobs.c.created_at <= now - after_s,
                    jobs.c.available_at <= now,
                    self._running_of(queue, jobs.c.asker, now) >= per_asker)  # fmt: skip
        ids = (select(jobs.c.id).where(cond).order_by(jobs.c.id).limit(limit)
               .with_for_update(skip_locked=True, of=jobs).scalar_subquery())  # fmt: skip
        stmt = (update(jobs).where(jobs.c.id.in_(ids), cond)
                .values(state="noting", owner=self.owner, lease_until=now + lease_s,
                        updated_at=now)
                .returning(*RETURNED))  # fmt: skip
        out = []
        with self.engine.begin() as conn:
            for job in sorted((_job(r) for r in conn.execute(stmt).all()), key=lambda j: j.id):
                ahead = conn.execute(
                    select(func.count()).where(
                        jobs.c.queue == queue, jobs.c.asker == job.asker, jobs.c.id < job.id,
                        jobs.c.state.in_(("pending", "noting")))
                ).scalar()  # fmt: skip
                out.append((job, int(ahead or 0)))
        return out

    def noted(self, job_id: int, note: str) -> None:
        """The note of a job taken by `waiting` is out (`note`: its ts, or "-"): it waits on."""
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == "noting", jobs.c.owner == self.owner)
                .values(state="pending", owner="", lease_until=0.0, note=note[:40] or "-",
                        updated_at=time.time())
            )  # fmt: skip

    def running_by_asker(self, queue: str) -> dict[str, int]:
        """Jobs running now (lease not lapsed) per asker, in every process."""
        now = time.time()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs.c.asker, func.count())
                .where(jobs.c.queue == queue, jobs.c.state == "running",
                       jobs.c.lease_until >= now)
                .group_by(jobs.c.asker)
            ).all()  # fmt: skip
        return {asker: int(n) for asker, n in rows}

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
                .where(jobs.c.team == team, jobs.c.state.in_(("pending", "running", "noting")))
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
