"""Markdown (what the composer writes) to Slack mrkdwn."""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$")
_BULLET = re.compile(r"^(\s*)[-*]\s+")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[str]) -> str:
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    cells = [r for r in cells if not all(set(c) <= set("-: ") for c in r)]  # drop |---|
    width = max(len(r) for r in cells)
    cols = [max(len(r[i]) if i < len(r) else 0 for r in cells) for i in range(width)]
    lines = [
        "  ".join((r[i] if i < len(r) else "").ljust(cols[i]) for i in range(width)).rstrip()
        for r in cells
    ]
    return "```\n" + "\n".join(lines) + "\n```"


def to_mrkdwn(markdown: str) -> str:
    """Bold, headings, bullets, links, tables (as aligned text), escaping of & < >."""
    out: list[str] = []
    table: list[str] = []
    for line in markdown.split("\n"):
        if line.strip().startswith("|") and line.strip().endswith("|"):
            table.append(line)
            continue
        if table:
            out.append(_table(table))
            table = []
        # Links are set aside before escaping, so their < > survive.
        links = [f"<{m.group(2)}|{_escape(m.group(1))}>" for m in _LINK.finditer(line)]
        parts = _LINK.split(line)  # text, label, url, text, label, url, ..., text
        line = "".join(
            _escape(p) if i % 3 == 0 else (f"\x00{i // 3}\x00" if i % 3 == 1 else "")
            for i, p in enumerate(parts)
        )
        if m := _HEADING.match(line):
            line = f"*{m.group(1)}*"
        line = _BOLD.sub(r"*\1*", line)
        line = _BULLET.sub(lambda m: f"{m.group(1)}• ", line)
        line = re.sub(r"\x00(\d+)\x00", lambda m, links=links: links[int(m.group(1))], line)
        out.append(line)
    if table:
        out.append(_table(table))
    return "\n".join(out)
