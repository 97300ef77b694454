"""What the listeners share: the conversation layer, the settings, the de-duplicator, the
answer workers, and small bounded caches (threads the bot is in, what each assistant thread
is looking at, users' languages)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.chat.conversation import Conversations, Requester
from assistant.chat.intake import Intake
from assistant.chat.ratings import RatingsStore
from assistant.chat.work_queue import WorkQueue
from assistant.core.lru import LRUMap
from assistant.core.settings import Settings
from assistant.surfaces.slack.dedupe import Deduplicator


@dataclass
class BotContext:
    conversations: Conversations
    settings: Settings
    dedupe: Deduplicator = field(default_factory=Deduplicator)
    work: WorkQueue | None = None
    # Routes a request to its lane and queues it, off the acknowledging threads.
    intake: Intake = field(init=False)
    # Threads checked after a restart: True when the bot has answered in them.
    threads: LRUMap[str, bool] = field(default_factory=LRUMap)
    # One lock per thread being read back, so messages arriving together read it once.
    thread_reads: LRUMap[str, threading.Lock] = field(default_factory=LRUMap)
    # Conversation -> the people who asked the bot something in it.
    askers: LRUMap[str, frozenset[str]] = field(default_factory=LRUMap)
    # Assistant threads: the channel the user is viewing (Slack's thread context).
    viewing: LRUMap[str, str] = field(default_factory=LRUMap)
    # Channels where Slack refused assistant.threads.setStatus: a note is posted instead.
    no_status: LRUMap[str, bool] = field(default_factory=LRUMap)
    # User id -> "vi"/"en" from the Slack locale (users.info), "" when unknown.
    locales: LRUMap[str, str] = field(default_factory=LRUMap)

    def __post_init__(self) -> None:
        if self.work is None:
            s = self.settings
            self.work = WorkQueue(
                {"heavy": s.cx_slack_workers, "light": s.cx_slack_light_workers},
                per_user=s.cx_slack_per_user,
                queue_limit=s.cx_slack_queue_limit,
                name="slack",
            )
        self.intake = Intake(self.conversations, self.work, name="slack-in")

    def background(self, fn: Callable[..., None], *args: object) -> None:
        """Run `fn` on the intake threads (reading a thread back, routing); errors logged."""
        self.intake.background(fn, *args)

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
        return Requester(user=user, surface="slack", shared=shared, place=place,
                         inline_charts=True)
