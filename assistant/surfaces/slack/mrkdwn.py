"""Markdown (what the composer and the LLM write) to what Slack shows, safely.

Everything sent is escaped (& < >), so text from customer feedback or from a model can
never become a mention (`<!channel>`) or a link: only links to known sources (the
methodology's own URLs) are written as links; any other `[label](url)` shows as text.
Sections are sent with `verbatim: true` so Slack does not turn bare URLs or names into
links either. An answer is cut into segments (paragraphs, code fences, tables) so that
splitting a long answer never breaks a fence, a table or an escaped entity.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$")
_BULLET = re.compile(r"^(\s*)[-*]\s+")
_FENCE = re.compile(r"^\s*```")
_URL = re.compile(r"https?://[^\s<>`()]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: str) -> str:
    """Slack's three control characters, as its documentation asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean(text: str) -> str:
    """Control characters (NUL and friends) never reach Slack nor the placeholders below."""
    return _CONTROL.sub("", text)


@dataclass
class Segment:
    kind: Literal["text", "code", "table"]
    lines: list[str]


def segments(markdown: str) -> list[Segment]:
    """Paragraphs (split at blank lines), whole code fences and whole tables, in order."""
    out: list[Segment] = []
    current: Segment | None = None
    for line in clean(markdown).split("\n"):
        if current is not None and current.kind == "code":
            current.lines.append(line)
            if _FENCE.match(line) and len(current.lines) > 1:
                current = None
            continue
        if _FENCE.match(line):
            current = Segment("code", [line])
            out.append(current)
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            if current is None or current.kind != "table":
                current = Segment("table", [])
                out.append(current)
            current.lines.append(line)
            continue
        if not stripped:
            current = None
            continue
        if current is None or current.kind != "text":
            current = Segment("text", [])
            out.append(current)
        current.lines.append(line)
    return out


def table_cells(lines: list[str]) -> list[list[str]]:
    """A markdown table's cells, without the |---| rule and without ** markers."""
    rows = [[c.strip().replace("**", "") for c in r.strip().strip("|").split("|")] for r in lines]
    return [r for r in rows if not all(set(c) <= set("-: ") for c in r)]


def table_as_text(lines: list[str]) -> str:
    """A table as aligned, escaped text in a code block (mrkdwn has no tables)."""
    cells = table_cells(lines)
    if not cells:
        return ""
    width = max(len(r) for r in cells)
    cols = [max(len(r[i]) if i < len(r) else 0 for r in cells) for i in range(width)]
    rows = [
        "  ".join((r[i] if i < len(r) else "").ljust(cols[i]) for i in range(width)).rstrip()
        for r in cells
    ]
    return "```\n" + escape("\n".join(rows)) + "\n```"


def _line(line: str, links: Collection[str]) -> str:
    # Links are set aside before escaping so that their < > survive; only known sources.
    kept: list[str] = []

    def hold(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        if url not in links:
            return f"{label} ({url})"
        kept.append(f"<{url}|{escape(label).replace('|', '/')}>")
        return f"\x00{len(kept) - 1}\x00"

    line = escape(_LINK.sub(hold, line))
    if m := _HEADING.match(line):
        line = f"*{m.group(1)}*"
    line = _BOLD.sub(r"*\1*", line)
    line = _BULLET.sub(lambda m: f"{m.group(1)}• ", line)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], line)


def segment_mrkdwn(segment: Segment, links: Collection[str] = ()) -> str:
    if segment.kind == "code":
        return "\n".join(escape(line) for line in segment.lines)
    if segment.kind == "table":
        return table_as_text(segment.lines)
    return "\n".join(_line(line, links) for line in segment.lines)


def safe_markdown(text: str) -> str:
    """Text streamed as markdown (chat.appendStream): escaped, no link syntax, URLs as code,
    so a partial answer can neither mention anyone nor link anywhere."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", clean(text))
    text = escape(text)
    return _URL.sub(lambda m: f"`{m.group(0)}`", text)


def cut(text: str, limit: int) -> tuple[str, str]:
    """Cut `text` at most `limit` characters in, at a line or word break, never inside an
    entity (&amp;) or a <link|label>; returns (head, rest)."""
    if len(text) <= limit:
        return text, ""
    at = text.rfind("\n", 0, limit + 1)
    if at < limit // 2:
        at = text.rfind(" ", 0, limit + 1)
    if at < limit // 2:
        at = limit
    # Step back out of an entity or a link that the cut would split.
    amp, semi = text.rfind("&", 0, at), text.rfind(";", 0, at)
    if amp > semi and at - amp <= 8:
        at = amp
    lt, gt = text.rfind("<", 0, at), text.rfind(">", 0, at)
    if lt > gt:
        at = lt
    if at <= 0:
        at = limit
    return text[:at].rstrip(), text[at:].lstrip("\n ")


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters; a code fence that must be split is closed at
    the end of one piece and opened again at the start of the next."""
    pieces: list[str] = []
    rest = text
    while rest:
        head, rest = cut(rest, limit - 8)
        if head.count("```") % 2 == 1:
            head += "\n```"
            rest = "```\n" + rest if rest else rest
        if head.strip():
            pieces.append(head)
    return pieces
