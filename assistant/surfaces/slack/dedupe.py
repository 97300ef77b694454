"""Slack retries an event it thinks went unanswered (X-Slack-Retry-Num); answer it once."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltResponse

from assistant.core.lru import LRUMap


class Deduplicator:
    def __init__(self, capacity: int = 5000) -> None:
        self._seen: LRUMap[str, None] = LRUMap(capacity)

    def first_time(self, key: str) -> bool:
        return self._seen.add(key, None)

    def middleware(self, body: dict[str, Any], next: Any) -> BoltResponse | None:  # noqa: A002
        """Global Bolt middleware: a repeated event id is acknowledged and dropped."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.first_time(event_id):
            return BoltResponse(status=200, body="")
        return next()
