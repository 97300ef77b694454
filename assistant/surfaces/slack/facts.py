"""What Slack says about a conversation: its type and whether people from another
organisation are in it. Never guessed from the id (Slack documents id prefixes as unstable:
a private channel may start with C or G, a group DM with C).

Sources, in order: the event's own fields (`channel_type`: im, mpim, group, channel; the
envelope's `is_ext_shared_channel`), then `conversations.info` (cached for
CX_SLACK_INFO_TTL_S). While Slack is down or rate limiting, the request waits (its job is
put back) rather than being decided blind; when Slack refuses to say (a missing scope, an
unknown channel) the conversation is treated as the most private and external kind: the
feedback tools are not answered into a conversation whose audience is unknown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

from assistant.core.lru import LRUMap
from assistant.surfaces.slack.delivery import classify
from assistant.surfaces.slack.service import wait_for_slack

log = logging.getLogger(__name__)
Kind = Literal["channel", "private", "mpim", "im", "unknown"]
_FROM_EVENT: dict[str, Kind] = {
    "channel": "channel", "group": "private", "mpim": "mpim", "im": "im", "app_home": "im"
}  # fmt: skip


@dataclass(frozen=True)
class Facts:
    kind: Kind
    external: bool  # shared with another organisation (Slack Connect), or unknown

    @property
    def shared(self) -> bool:
        """A channel (public or private) others see; not a DM or a group DM (see README)."""
        return self.kind in ("channel", "private")


UNKNOWN = Facts("unknown", True)


def from_info(channel: dict[str, Any]) -> Facts:
    """Facts from a `conversations.info` channel object."""
    if channel.get("is_im"):
        kind: Kind = "im"
    elif channel.get("is_mpim"):
        kind = "mpim"
    elif channel.get("is_private") or channel.get("is_group"):
        kind = "private"
    elif channel.get("is_channel"):
        kind = "channel"
    else:
        kind = "unknown"
    external = bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))
    return Facts(kind, external or kind == "unknown")


class ConversationFacts:
    def __init__(self, ttl_s: float, retry_s: float = 1.0, capacity: int = 5000) -> None:
        self.ttl_s = ttl_s
        self.retry_s = retry_s  # least wait before a request put back for Slack runs again
        self._cache: LRUMap[str, tuple[float, Facts]] = LRUMap(capacity)

    def of(
        self, client: Any, channel: str, channel_type: str | None = None,
        ext_shared: bool | None = None,
    ) -> Facts:  # fmt: skip
        """The facts of `channel`; `channel_type`, `ext_shared`: what the event said."""
        kind = _FROM_EVENT.get(channel_type or "")
        if kind == "im":
            return Facts("im", False)  # a DM with the bot: nobody else is in it
        if kind is not None and ext_shared is not None:
            return Facts(kind, ext_shared)
        cached = self._cache.get(channel)
        if cached is not None and time.monotonic() - cached[0] < self.ttl_s:
            return self._merge(cached[1], kind, ext_shared)
        try:
            info = client.conversations_info(channel=channel)
            facts = from_info(dict(info.get("channel") or {}))
        except Exception as exc:
            wait_for_slack(exc, self.retry_s)  # down, rate limited: the request waits
            # a missing scope, an unknown channel: not cached, the most private kind
            log.info("conversations.info for %s failed: %s", channel, classify(exc)[2])
            return self._merge(UNKNOWN, kind, ext_shared)
        self._cache[channel] = (time.monotonic(), facts)
        return self._merge(facts, kind, ext_shared)

    @staticmethod
    def _merge(facts: Facts, kind: Kind | None, ext_shared: bool | None) -> Facts:
        """The event's own fields win over what is cached or unknown."""
        return Facts(kind or facts.kind, facts.external if ext_shared is None else ext_shared)

    def forget(self, channel: str) -> None:
        """Slack said the conversation changed (shared, unshared, renamed)."""
        self._cache.pop(channel)
