"""What the listeners share: the conversation layer, the settings, the de-duplicator."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer_ratings import RatingsStore
from assistant.bots.slack.dedupe import Deduplicator
from assistant.conversation import Conversations, Requester
from assistant.settings import Settings


@dataclass
class BotContext:
    conversations: Conversations
    settings: Settings
    dedupe: Deduplicator = field(default_factory=Deduplicator)

    @property
    def ratings(self) -> RatingsStore:
        assert self.conversations.ratings is not None
        return self.conversations.ratings

    @staticmethod
    def requester(user: str, channel: str, is_channel: bool) -> Requester:
        """A Slack requester: public and private channels are shared; DMs (D…), group DMs
        (G… from the legacy API, mpim) and assistant threads are private."""
        shared = is_channel and not channel.startswith(("D", "G"))
        return Requester(user=user, surface="slack", shared=shared)
