"""Structure-aware chunking of the methodology articles.

The articles are plain text converted from web pages: headings are short lines, steps are
numbered ("1. ...", "BƯỚC 1: ..."), lists are bulleted ("- ", "•"), tables are rows ending
in "|". A chunk never cuts a list item, a step with its explanation, or a table row. A
long numbered list also gets an outline chunk (its intro line and every item's first line,
verbatim) so "what are the 10 steps" finds the whole list in one unit, and every chunk of
the list carries the list's `group` id so retrieval can return the items together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.knowledge.types import Chunk, Document

MAX_CHARS = 900
MIN_LIST_FOR_OUTLINE = 3

_NUMBERED = re.compile(r"^\s*(?:\d{1,2}[.)]|bước\s+\d{1,2}\s*[:.]?)\s*\S", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-•*–]\s+\S")
_SEPARATOR = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")
# Attribution lines and bare links: the catalog carries the source, the text adds noise.
_META = re.compile(
    r"^\s*(?:nguồn\s*:|https?://|bài viết liên quan\s*:|khóa học tham khảo\s*:)", re.I
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZÀ-ỸĐ0-9])")


@dataclass
class _Line:
    raw: str
    indent: int
    kind: str  # blank | separator | table | numbered | bullet | heading | text


@dataclass
class _Unit:
    """A piece that is never split: a paragraph, a list item with its body, a table row."""

    text: str
    section: str
    group: str = ""
    role: str = "text"
    head: str = ""  # first line of a list item (for the outline)


@dataclass
class _List:
    group: str
    intro: str
    items: list[_Unit] = field(default_factory=list)
    numbered: bool = True


def _classify(raw: str) -> _Line:
    stripped = raw.strip()
    indent = len(raw) - len(raw.lstrip())
    if not stripped:
        kind = "blank"
    elif _SEPARATOR.match(raw) or _META.match(raw):
        kind = "separator"
    elif stripped.endswith("|"):
        kind = "table"
    elif _NUMBERED.match(raw):
        kind = "numbered"
    elif _BULLET.match(raw):
        kind = "bullet"
    elif _is_heading(stripped):
        kind = "heading"
    else:
        kind = "text"
    return _Line(raw=raw.rstrip(), indent=indent, kind=kind)


def _is_heading(stripped: str) -> bool:
    if len(stripped) > 110 or stripped[-1] in ".,;:…":
        return False
    # A heading starts with a capital letter or a digit; body text rarely is that short.
    return stripped[0].isupper() or stripped[0].isdigit()


def _split_long(text: str, limit: int) -> list[str]:
    """Split an over-long paragraph at sentence ends into pieces of at most `limit` chars."""
    if len(text) <= limit:
        return [text]
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(text):
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces


class _Parser:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.lines = [_classify(line) for line in doc.text.split("\n")]
        self.blocks: list[_Unit | _List] = []
        self.section = ""
        self.caption = ""
        self.n_lists = 0

    def parse(self) -> list[_Unit | _List]:
        i, n = 0, len(self.lines)
        while i < n:
            line = self.lines[i]
            if line.kind == "blank":
                i += 1
            elif line.kind == "separator":
                self.section = ""
                i += 1
            elif line.kind == "heading":
                self.section = line.raw.strip()
                i += 1
            elif line.kind == "table":
                i = self._table(i)
            elif line.kind in ("numbered", "bullet"):
                i = self._list(i)
            else:
                self.blocks.append(_Unit(text=line.raw.strip(), section=self.section))
                i += 1
        return self.blocks

    def _table(self, i: int) -> int:
        rows = []
        while i < len(self.lines) and self.lines[i].kind in ("table", "blank"):
            if self.lines[i].kind == "table":
                rows.append(self.lines[i].raw.strip())
            i += 1
        for row in rows:
            self.blocks.append(_Unit(text=row, section=self.section, role="table"))
        return i

    def _next_item_follows(self, j: int, kind: str, indent: int, window: int = 0) -> bool:
        """Is another item of this list ahead (within `window` lines if set), before a
        separator, a table, or (with no window) a heading?"""
        seen = 0
        for line in self.lines[j:]:
            if line.kind == "blank":
                continue
            if line.kind == kind and line.indent == indent:
                return True
            seen += 1
            if line.kind in ("separator", "table") or (window and seen > window):
                return False
            if line.kind == "heading" and not window:
                return False
        return False

    def _list(self, i: int) -> int:
        kind, indent = self.lines[i].kind, self.lines[i].indent
        self.n_lists += 1
        intro = ""
        last = self.blocks[-1] if self.blocks else None
        if isinstance(last, _Unit) and last.role == "text" and last.text.endswith(":"):
            intro = self.blocks.pop().text  # the list owns its intro line
        lst = _List(
            group=f"{self.doc.id}:list{self.n_lists}", intro=intro, numbered=kind == "numbered"
        )
        outdented_max = 0  # paragraphs between items written flush-left (one article does this)
        n = len(self.lines)
        while i < n and self.lines[i].kind == kind and self.lines[i].indent == indent:
            head = self.lines[i].raw.strip()
            body: list[str] = []
            outdented = 0
            j = i + 1
            while j < n:
                line = self.lines[j]
                if line.kind == "blank":
                    j += 1
                    continue
                if line.kind == kind and line.indent == indent:
                    break
                if line.kind in ("separator", "table"):
                    break
                # A heading-like line right before the next item is part of the list's text.
                if line.kind == "heading" and not self._next_item_follows(j, kind, indent, 2):
                    break
                if kind == "bullet" and line.indent <= indent:
                    break
                if line.indent < indent:
                    if self._next_item_follows(j, kind, indent):
                        outdented += 1
                    elif outdented < outdented_max:
                        outdented += 1  # the last item gets as many as its siblings had
                    else:
                        break
                body.append(line.raw.strip())
                j += 1
            outdented_max = max(outdented_max, outdented)
            lst.items.append(
                _Unit(
                    text="\n".join([head, *body]), section=self.section, group=lst.group, head=head
                )
            )
            i = j
        self.blocks.append(lst)
        return i


def _pack(units: list[_Unit], limit: int) -> list[list[_Unit]]:
    """Greedily pack consecutive units (same section) into groups of at most `limit` chars."""
    packs: list[list[_Unit]] = []
    size = 0
    for unit in units:
        prev = packs[-1][-1] if packs else None
        if (
            prev is not None
            and (prev.section, prev.role) == (unit.section, unit.role)
            and size + len(unit.text) + 1 <= limit
        ):
            packs[-1].append(unit)
            size += len(unit.text) + 1
        else:
            packs.append([unit])
            size = len(unit.text)
    return packs


def chunk_document(doc: Document, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Cut a document into chunks that keep its structure (see the module docstring)."""
    chunks: list[Chunk] = []

    def emit(text: str, section: str, group: str = "", role: str = "text") -> None:
        chunks.append(
            Chunk(
                id=f"{doc.id}#{len(chunks):03d}",
                doc_id=doc.id,
                kind=doc.kind,
                title=doc.title,
                section=section,
                text=text,
                position=len(chunks),
                group=group,
                role=role,  # type: ignore[arg-type]
            )
        )

    pending: list[_Unit] = []

    def flush() -> None:
        for pack in _pack(pending, max_chars):
            role = "table" if all(u.role == "table" for u in pack) else "text"
            emit("\n".join(u.text for u in pack), pack[0].section, role=role)
        pending.clear()

    for block in _Parser(doc).parse():
        if isinstance(block, _Unit):
            for piece in _split_long(block.text, max_chars):
                pending.append(_Unit(text=piece, section=block.section, role=block.role))
            continue
        flush()
        whole = "\n".join(([block.intro] if block.intro else []) + [u.text for u in block.items])
        section = block.items[0].section
        if len(whole) <= max_chars:
            emit(whole, section, group=block.group, role="list_items")
            continue
        if block.numbered and len(block.items) >= MIN_LIST_FOR_OUTLINE:
            outline = "\n".join(
                ([block.intro] if block.intro else []) + [u.head for u in block.items]
            )
            emit(outline, section, group=block.group, role="list_outline")
        for pack in _pack(block.items, max_chars):
            emit("\n".join(u.text for u in pack), section, group=block.group, role="list_items")
    flush()
    return chunks
