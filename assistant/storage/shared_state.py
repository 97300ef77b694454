"""State several bot instances share through the relational store: a conversation's last
turns, the workspaces that stopped the app, and named locks (one indexer at a time).

Nothing here is cached in the process: another instance may have written since, so every
read goes to the database (a thread continued elsewhere keeps its context)."""

from __future__ import annotations

import json
import os
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import IntegrityError

from assistant.storage.schema import (
    conversation_turns,
    locks,
    seen_messages,
    stopped_teams,
    thread_askers,
    thread_contexts,
)


class ConversationTurns:
    """The last `window` turns of each conversation, as JSON objects."""

    def __init__(self, engine: Engine, window: int) -> None:
        self.engine = engine
        self.window = window

    def add(self, conversation: str, turn: dict[str, Any]) -> None:
        t = conversation_turns
        with self.engine.begin() as conn:
            conn.execute(t.insert().values(conversation=conversation[:200],
                                           turn=json.dumps(turn, default=str),
                                           at=time.time()))  # fmt: skip
            # Older turns than the window are never read again.
            keep = (select(t.c.id).where(t.c.conversation == conversation[:200])
                    .order_by(t.c.id.desc()).limit(self.window))  # fmt: skip
            floor = conn.execute(select(func.min(keep.subquery().c.id))).scalar()
            if floor is not None:
                conn.execute(delete(t).where(t.c.conversation == conversation[:200],
                                             t.c.id < floor))  # fmt: skip

    def last(self, conversation: str) -> list[dict[str, Any]]:
        t = conversation_turns
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.turn).where(t.c.conversation == conversation[:200])
                                .order_by(t.c.id.desc()).limit(self.window)).all()  # fmt: skip
        return [json.loads(r.turn) for r in reversed(rows)]

    def forget(self, conversation: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(conversation_turns)
                         .where(conversation_turns.c.conversation == conversation[:200]))

    def forget_before(self, seconds_ago: float) -> int:
        """Drop the turns of conversations idle for longer than `seconds_ago`."""
        with self.engine.begin() as conn:
            cutoff = time.time() - seconds_ago
            r = conn.execute(delete(conversation_turns).where(conversation_turns.c.at < cutoff))
            return int(r.rowcount or 0)

    def count(self) -> int:
        with self.engine.connect() as conn:
            q = select(func.count(func.distinct(conversation_turns.c.conversation)))
            return int(conn.execute(q).scalar() or 0)


class SeenMessages:
    """Messages taken by a job: the first job claims a message; the same job run again
    (after a lease ran out, on any instance) still may answer it; another job may not."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def first_time(self, key: str, job: int | None) -> bool:
        t = seen_messages
        try:
            with self.engine.begin() as conn:
                conn.execute(t.insert().values(key=key[:120], job_id=job, at=time.time()))
            return True
        except IntegrityError:
            pass
        with self.engine.connect() as conn:
            held = conn.execute(select(t.c.job_id).where(t.c.key == key[:120])).scalar()
        return job is not None and held == job

    def forget(self, key: str) -> None:
        """The message waits (RetryLater): its next run must not count as a repeat."""
        with self.engine.begin() as conn:
            conn.execute(delete(seen_messages).where(seen_messages.c.key == key[:120]))

    def forget_before(self, seconds_ago: float) -> int:
        with self.engine.begin() as conn:
            cutoff = time.time() - seconds_ago
            r = conn.execute(delete(seen_messages).where(seen_messages.c.at < cutoff))
            return int(r.rowcount or 0)


class ThreadAskers:
    """Who asked the bot something in each thread (the set only grows)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, conversation: str, user: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(thread_askers.insert().values(
                    conversation=conversation[:200], user=user[:40], at=time.time()))
        except IntegrityError:
            pass  # known already

    def has(self, conversation: str, user: str) -> bool:
        t = thread_askers
        with self.engine.connect() as conn:
            q = select(t.c.user).where(t.c.conversation == conversation[:200],
                                       t.c.user == user[:40])  # fmt: skip
            return conn.execute(q).first() is not None


class ThreadContexts:
    """What the user of each assistant thread is viewing (Slack's thread context): written
    when Slack tells one instance, read by whichever instance answers the thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, conversation: str, context: dict[str, Any]) -> None:
        t, key = thread_contexts, conversation[:200]
        row = {"context": json.dumps(context, default=str), "at": time.time()}
        with self.engine.begin() as conn:
            # An update first: the context changes as the user moves between channels.
            if not conn.execute(t.update().where(t.c.conversation == key).values(**row)).rowcount:
                try:
                    with conn.begin_nested():
                        conn.execute(t.insert().values(conversation=key, **row))
                except IntegrityError:  # another instance inserted it meanwhile: ours is newer
                    conn.execute(t.update().where(t.c.conversation == key).values(**row))

    def get(self, conversation: str) -> dict[str, Any] | None:
        t = thread_contexts
        with self.engine.connect() as conn:
            found = conn.execute(select(t.c.context)
                                 .where(t.c.conversation == conversation[:200])).scalar()
        return json.loads(found) if found else None


class StoppedTeams:
    """Workspaces that uninstalled the app or revoked its token (every instance stops)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, team: str, reason: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(stopped_teams.insert().values(team=team[:40], reason=reason[:40],
                                                           at=time.time()))  # fmt: skip
        except IntegrityError:
            pass  # another instance recorded it first

    def __contains__(self, team: object) -> bool:
        if not isinstance(team, str) or not team:
            return False
        with self.engine.connect() as conn:
            q = select(stopped_teams.c.team).where(stopped_teams.c.team == team[:40])
            return conn.execute(q).first() is not None

    def remove(self, team: str) -> None:
        """A reinstall: the workspace is answered again."""
        with self.engine.begin() as conn:
            conn.execute(delete(stopped_teams).where(stopped_teams.c.team == team[:40]))


class LockHeld(Exception):
    """Another process holds the lock."""

    def __init__(self, name: str, owner: str) -> None:
        super().__init__(f"{name} is held by {owner or 'another process'}")
        self.owner = owner


@contextmanager
def exclusive(
    engine: Engine, name: str, wait_s: float = 0.0, stale_s: float = 6 * 3600
) -> Iterator[None]:
    """Hold the lock `name` for the block, waiting up to `wait_s` for its holder, else raise
    LockHeld. PostgreSQL: a session advisory lock (the server releases it when the holder's
    connection dies). SQLite: a row in `locks` (a holder that died without deleting it is
    overtaken after `stale_s`). Only writers take it: readers never wait."""
    deadline = time.monotonic() + wait_s
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(name.encode())  # a stable number per name
        with engine.connect() as conn:
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                conn.commit()
                if time.monotonic() >= deadline:
                    raise LockHeld(name, "")
                time.sleep(min(1.0, wait_s))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    me = f"{socket.gethostname()}:{os.getpid()}:{id(deadline)}"
    while (holder := _take_row(engine, name, me, stale_s)) is not None:
        if time.monotonic() >= deadline:
            raise LockHeld(name, holder)
        time.sleep(min(1.0, wait_s))
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.owner == me))


def _take_row(engine: Engine, name: str, me: str, stale_s: float) -> str | None:
    """None when `me` now holds the lock row, else its holder."""
    now = time.time()
    try:
        with engine.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.until < now))
            conn.execute(locks.insert().values(name=name, owner=me, until=now + stale_s))
        return None
    except IntegrityError:
        with engine.connect() as conn:
            owner = conn.execute(select(locks.c.owner).where(locks.c.name == name)).scalar()
        return str(owner or "")
