"""Text as Slack sends it, made plain before routing.

Slack escapes & < > in message text and writes mentions, channels and links as
`<@U…>`, `<#C…|name>`, `<https://…|label>`, `<!here>`. The router must see what the
person typed: "R&D <onboarding>", "@U0AB", "#general", the link's label.
"""

from __future__ import annotations

import re

_ENTITY = re.compile(r"<([^<>\n]{1,500})>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def plain_text(text: str, bot_user: str | None = None) -> str:
    """Unescape &amp; &lt; &gt;, drop mentions of the bot, resolve other mentions, channel
    names, special mentions and links to what a reader sees."""

    def resolve(m: re.Match[str]) -> str:
        target, _, label = m.group(1).partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "" if bot_user and user == bot_user else f"@{label or user}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            # <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>
            return label or f"@{target[1:].split('^')[0]}"
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return label or target

    text = _ENTITY.sub(resolve, text)
    # &amp; last, so that "&amp;lt;" (a typed "&lt;") stays "&lt;".
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split(" ")).strip()


def mentions(text: str) -> set[str]:
    """User ids mentioned in raw Slack text."""
    return set(_USER.findall(text))


def mentions_others(text: str, bot_user: str | None) -> bool:
    """Whether raw Slack text mentions someone other than the bot (talk between people)."""
    return bool(mentions(text) - {bot_user})
