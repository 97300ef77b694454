"""What the listeners share: the conversation layer, the settings, the durable service (jobs,
outbox, the Web API client), the answer workers, what Slack says about conversations, and
small bounded caches (threads the bot is in, what each assistant thread is looking at,
users' languages)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from assistant.chat.conversation import Conversations, Requester
from assistant.chat.intake import Intake
from assistant.chat.ratings import RatingsStore
from assistant.chat.work_queue import WorkQueue
from assistant.core.lru import LRUMap
from assistant.core.settings import Settings
from assistant.storage.outbox import Outgoing
from assistant.storage.shared_state import SeenMessages, ThreadAskers, ThreadContexts
from assistant.surfaces.slack.facts import ConversationFacts, Facts
from assistant.surfaces.slack.front import FrontDoor
from assistant.surfaces.slack.service import JobHandle, SlackService

PRIVATE = Facts("im", False)  # the bot's DM and its assistant threads: only the asker


@dataclass
class BotContext:
    conversations: Conversations
    settings: Settings
    service: SlackService | None = None
    work: WorkQueue | None = None
    # Routes a request to its lane and queues it, off the dispatching threads.
    intake: Intake = field(init=False)
    front: FrontDoor = field(init=False)
    facts: ConversationFacts = field(init=False)
    # Messages answered (channel:ts): Slack sends a mention again when it is edited, maybe
    # to another instance; kept in the shared store (seen_messages).
    seen: SeenMessages = field(init=False)
    # Threads checked after a restart: True when the bot has answered in them.
    threads: LRUMap[str, bool] = field(default_factory=LRUMap)
    # One lock per thread being read back, so messages arriving together read it once.
    thread_reads: LRUMap[str, threading.Lock] = field(default_factory=LRUMap)
    # Who asked the bot something in each thread: in the shared store (a thread goes on at
    # another instance); the set only grows, so what this process saw is a safe cache.
    askers: ThreadAskers = field(init=False)
    known_askers: LRUMap[str, frozenset[str]] = field(default_factory=LRUMap)
    # Assistant threads: what the user is viewing (Slack's thread context), in the shared
    # store: the event that sets it and the message that needs it may reach two instances.
    viewing: ThreadContexts = field(init=False)
    # Channel -> until when (monotonic) assistant.threads.setStatus is not asked again
    # there, after Slack refused it (a note is posted instead meanwhile).
    no_status: LRUMap[str, float] = field(default_factory=LRUMap)
    # User id -> "vi"/"en" from the Slack locale (users.info), "" when unknown.
    locales: LRUMap[str, str] = field(default_factory=LRUMap)

    def __post_init__(self) -> None:
        s = self.settings
        if self.service is None:
            self.service = SlackService(s)
        if self.work is None:
            self.work = WorkQueue(
                {"heavy": s.cx_slack_workers, "light": s.cx_slack_light_workers},
                per_user=s.cx_slack_per_user,
                queue_limit=s.cx_slack_queue_limit,
                name="slack",
            )
        self.seen = SeenMessages(self.svc.engine)
        self.askers = ThreadAskers(self.svc.engine)
        self.viewing = ThreadContexts(self.svc.engine)
        self.intake = Intake(self.conversations, self.work, name="slack-in")
        self.front = FrontDoor(self.service)
        self.facts = ConversationFacts(s.cx_slack_info_ttl_s, s.cx_slack_retry_base_s)

    @property
    def svc(self) -> SlackService:
        assert self.service is not None
        return self.service

    @property
    def api(self):  # noqa: ANN201 - slack_sdk.WebClient
        return self.svc.api

    @property
    def ratings(self) -> RatingsStore:
        assert self.conversations.ratings is not None
        return self.conversations.ratings

    def first_time(self, key: str) -> bool:
        """Whether the message `key` is new; the same job run again (put back while Slack
        was down) is not a repeat."""
        handle = self.svc.current()
        job = handle.id if handle is not None else None
        return self.seen.first_time(key, job)

    def reply(self, *items: Outgoing) -> None:
        self.svc.reply(list(items))

    def hand_off(self) -> JobHandle:
        return self.svc.hand_off()

    def finish(self, handle: JobHandle, items: list[Outgoing]) -> bool:
        return self.svc.finish(handle, items)

    @staticmethod
    def requester(user: str, facts: Facts, place: str = "") -> Requester:
        """A Slack requester from Slack's facts about the conversation: public and private
        channels are shared; DMs, group DMs and assistant threads are private; a
        conversation with people from another organisation is external. `place`: the
        channel a shared copy of the answer would go to."""
        return Requester(user=user, surface="slack", shared=facts.shared, place=place,
                         inline_charts=True, external=facts.external)  # fmt: skip

    def close(self, drain_s: float = 0.0) -> None:
        self.svc.stop(drain_s)
        self.intake.close()
