"""Slack event ids seen (table `slack_events`): the first request with an id claims it, a
re-sent one (X-Slack-Retry-Num) or the same event at another instance finds it taken.

Dialect-neutral insert-or-ignore: a plain insert whose unique-key failure means "taken"
(no `INSERT OR IGNORE` / `ON CONFLICT` spelling of one backend)."""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from assistant.storage.schema import slack_events


class EventIds:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, event_id: str) -> bool:
        """True the first time an event id is seen (by any process sharing the store)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(slack_events.insert().values(event_id=event_id[:64],
                                                          received_at=time.time()))
        except IntegrityError:
            return False
        return True

    def forget_before(self, seconds_ago: float) -> int:
        """Drop ids older than Slack re-sends (it retries within the hour)."""
        with self.engine.begin() as conn:
            cutoff = time.time() - seconds_ago
            result = conn.execute(delete(slack_events).where(slack_events.c.received_at < cutoff))
            return int(result.rowcount or 0)
