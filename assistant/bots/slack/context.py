"""What the listeners share: the conversation layer, the settings, the de-duplicator, the
answer workers, and small bounded caches (threads the bot is in, what each assistant thread
is looking at, users' languages)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from assistant.answer_ratings import RatingsStore
from assistant.bots.slack.dedupe import Deduplicator
from assistant.conversation import Conversations, Requester
from assistant.settings import Settings
from assistant.work_queue import WorkQueue

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A thread-safe mapping that forgets its least recently used entries."""

    def __init__(self, capacity: int = 5000) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def setdefault(self, key: K, value: V) -> V:
        """The stored value, or `value` stored and returned: one atomic step."""
        with self._lock:
            if key not in self._data:
                self._data[key] = value
                while len(self._data) > self.capacity:
                    self._data.popitem(last=False)
            self._data.move_to_end(key)
            return self._data[key]


@dataclass
class BotContext:
    conversations: Conversations
    settings: Settings
    dedupe: Deduplicator = field(default_factory=Deduplicator)
    work: WorkQueue | None = None
    # Routes a request to its lane before it is queued (CPU the acknowledging threads skip).
    intake: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack-in")
    )
    # Threads checked after a restart: True when the bot has answered in them.
    threads: Bounded[str, bool] = field(default_factory=Bounded)
    # One lock per thread being read back, so messages arriving together read it once.
    thread_reads: Bounded[str, threading.Lock] = field(default_factory=Bounded)
    # Conversation -> the people who asked the bot something in it.
    askers: Bounded[str, frozenset[str]] = field(default_factory=Bounded)
    # Assistant threads: the channel the user is viewing (Slack's thread context).
    viewing: Bounded[str, str] = field(default_factory=Bounded)
    # Channels where Slack refused assistant.threads.setStatus: a note is posted instead.
    no_status: Bounded[str, bool] = field(default_factory=Bounded)
    # User id -> "vi"/"en" from the Slack locale (users.info), "" when unknown.
    locales: Bounded[str, str] = field(default_factory=Bounded)

    def __post_init__(self) -> None:
        if self.work is None:
            s = self.settings
            self.work = WorkQueue(
                {"heavy": s.cx_slack_workers, "light": s.cx_slack_light_workers},
                per_user=s.cx_slack_per_user,
                queue_limit=s.cx_slack_queue_limit,
                name="slack",
            )

    def background(self, fn: Callable[..., None], *args: object) -> None:
        """Run `fn` on the intake threads (work a listener must not do: routing, reading a
        thread back); its errors are logged, never lost."""

        def run() -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("background step %s failed", getattr(fn, "__name__", fn))

        self.intake.submit(run)

    @property
    def ratings(self) -> RatingsStore:
        assert self.conversations.ratings is not None
        return self.conversations.ratings

    @staticmethod
    def requester(user: str, channel: str, is_channel: bool, place: str = "") -> Requester:
        """A Slack requester: public and private channels are shared; DMs (D…), group DMs
        (G… from the legacy API, mpim) and assistant threads are private. `place`: the
        channel a shared copy of the answer would go to."""
        shared = is_channel and not channel.startswith(("D", "G"))
        return Requester(user=user, surface="slack", shared=shared, place=place)
