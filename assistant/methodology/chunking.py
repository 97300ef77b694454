"""Structure-aware chunking of the methodology articles into units that keep meaning whole.

The articles are plain text converted from web pages. The parser reads an article's lines
and builds *units*, the pieces an answer shows whole, each under its section (the heading
above it):
- a paragraph (one line);
- a list with its lead-in: the line ending in ":" before it (or, lacking one, the
  paragraph right before it), then its items: numbered ("1.", "BƯỚC 1:"), bulleted ("-",
  "•", nested bullets staying with their item) or titled (a short heading line and its
  paragraphs, as the duties listed after "người đó phải thực sự:");
- a figure: its caption ("Hình 1. …") with the "Note:" list under it;
- a table: its caption ("Bảng 2: …"), header row and rows (lines ending in "|").

A short unit is one chunk. A longer list becomes an outline chunk (lead-in and item heads)
plus one chunk per item; a longer table one chunk per row, each with the caption and the
header so that a row is read with its column names. All chunks of a unit share its `group`,
and retrieval returns the unit. Lines are never cut: a rendering in another language has
the same lines as its original, so it is cut with the original's line ranges and its chunk
and group ids are the original's plus `@<lang>`. `unit_view` reads a unit back from its
chunks (lead-in, items, table cells) for the composer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from assistant.index.types import Chunk, Document
from assistant.methodology.loaders import Rendering, localized_id, split_lang

MAX_CHARS = 900  # a unit longer than this is split into an outline and its items (or rows)
MAX_HEADING = 150
MAX_CELL = 60  # table cells at most this long are names, not descriptions

_NUMBERED = re.compile(r"^\s*(?:\d{1,2}[.)]|(?:bước|step)\s+\d{1,2}\s*[:.]?)\s*\S", re.I)
_BULLET = re.compile(r"^\s*[-•*–]\s+\S")
MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|(?:bước|step)\s+\d{1,2}\s*[:.]?|[-•*–])\s*", re.I)
_SEPARATOR = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")
# Attribution lines and bare links: the catalog carries the source, the text adds noise.
_META = re.compile(
    r"^\s*(?:nguồn\s*:|https?://|bài viết liên quan\s*:|khóa học tham khảo\s*:)", re.I
)
CAPTION = re.compile(r"^\s*(?:bảng|hình|table|figure)\s+(\d{1,2})\s*[.:]", re.I)
_INNER_SENTENCE_END = re.compile(r"[.!…]\s+\S")


@dataclass
class _Line:
    text: str
    indent: int
    kind: str  # blank | meta | table | numbered | bullet | caption | heading | text


def _is_heading(stripped: str) -> bool:
    """A short line with no final punctuation (a question mark is fine), starting with a
    capital or a digit, and no sentence end inside it."""
    if len(stripped) > MAX_HEADING or stripped[-1] in ".,;:…" or "|" in stripped:
        return False
    if _INNER_SENTENCE_END.search(stripped):
        return False
    return stripped[0].isupper() or stripped[0].isdigit()


def _is_slug(stripped: str) -> bool:
    """Image names left by the page conversion: 'chi-tiet-ve-bo-phan-cx'."""
    return (
        stripped[0].islower()
        and stripped.count("-") >= 3
        and " - " not in stripped
        and not re.search(r"[.,;:!?]", stripped)
    )


def _classify(raw: str) -> _Line:
    stripped = raw.strip()
    indent = len(raw) - len(raw.lstrip())
    if not stripped:
        kind = "blank"
    elif _SEPARATOR.match(raw) or _META.match(raw) or _is_slug(stripped):
        kind = "meta"
    elif stripped.endswith("|"):
        kind = "table"
    elif CAPTION.match(raw):
        kind = "caption"
    elif _NUMBERED.match(raw):
        kind = "numbered"
    elif _BULLET.match(raw):
        kind = "bullet"
    elif _is_heading(stripped):
        kind = "heading"
    else:
        kind = "text"
    return _Line(text=raw.rstrip(), indent=indent, kind=kind)


@dataclass
class _Unit:
    """Line numbers (0-based) of one unit of the original."""

    kind: str  # paragraph | list | table
    section: int | None
    lead: list[int] = field(default_factory=list)  # lead-in, caption, "Note:" lines
    items: list[list[int]] = field(default_factory=list)  # list items, head first
    rows: list[int] = field(default_factory=list)  # table rows
    titled: bool = False  # items are a heading line and its paragraphs

    def lines(self) -> list[int]:
        return sorted({*self.lead, *(i for item in self.items for i in item), *self.rows})


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = [_classify(line) for line in text.split("\n")]
        self.units: list[_Unit] = []
        self.section: int | None = None

    def _next(self, i: int) -> int:
        """The first non-blank line at or after i (len(lines) if none)."""
        while i < len(self.lines) and self.lines[i].kind == "blank":
            i += 1
        return i

    def _kind(self, i: int) -> str:
        return self.lines[i].kind if i < len(self.lines) else "end"

    def parse(self) -> list[_Unit]:
        i, n = 0, len(self.lines)
        while i < n:
            line = self.lines[i]
            if line.kind == "blank":
                i += 1
            elif line.kind == "meta":
                if _SEPARATOR.match(line.text):
                    self.section = None
                i += 1
            elif line.kind == "heading":
                self.section = i
                i += 1
            elif line.kind == "caption":
                i = self._caption(i)
            elif line.kind == "table":
                i = self._table(i, caption=None)
            elif line.kind in ("numbered", "bullet"):
                i = self._list(i, self._take_lead(i))
            elif line.text.endswith(":") and self._kind(self._next(i + 1)) == "heading":
                i = self._titled_list(i)
            else:
                self.units.append(_Unit("paragraph", self.section, lead=[i]))
                i += 1
        return self.units

    def _take_lead(self, first_item: int) -> list[int]:
        """The lead-in of a list starting at `first_item`: the paragraph right before it in
        the same section, ending in ":" or not (a list without a lead-in line explains the
        paragraph before it)."""
        last = self.units[-1] if self.units else None
        if (
            last is not None
            and last.kind == "paragraph"
            and last.section == self.section
            and self._next(last.lead[-1] + 1) == first_item
        ):
            self.units.pop()
            return last.lead
        return []

    def _caption(self, i: int) -> int:
        j = self._next(i + 1)
        if self._kind(j) == "table":
            return self._table(j, caption=i)
        k = self._next(j + 1)
        note = self._kind(j) == "text" and self.lines[j].text.endswith(":")
        if note and self._kind(k) in ("numbered", "bullet"):
            return self._list(k, [i, j])  # a figure and the "Note:" list under it
        self.units.append(_Unit("paragraph", self.section, lead=[i]))
        return i + 1

    def _table(self, i: int, caption: int | None) -> int:
        unit = _Unit("table", self.section, lead=[caption] if caption is not None else [])
        while i < len(self.lines) and self.lines[i].kind in ("table", "blank"):
            if self.lines[i].kind == "table":
                unit.rows.append(i)
            i += 1
        self.units.append(unit)
        return i

    def _item_follows(self, j: int, kind: str, indent: int, window: int = 0) -> bool:
        """Is another item of this list ahead (within `window` lines if set), before a
        separator, a table, or (with no window) a heading?"""
        seen = 0
        for line in self.lines[j:]:
            if line.kind == "blank":
                continue
            if line.kind == kind and line.indent == indent:
                return True
            seen += 1
            if line.kind in ("meta", "table", "caption") or (window and seen > window):
                return False
            if line.kind == "heading" and not window:
                return False
        return False

    def _list(self, i: int, lead: list[int]) -> int:
        kind, indent = self.lines[i].kind, self.lines[i].indent
        unit = _Unit("list", self.section, lead=lead)
        outdented_max = 0  # paragraphs between items written flush-left (one article does this)
        n = len(self.lines)
        while i < n and self.lines[i].kind == kind and self.lines[i].indent == indent:
            item = [i]
            outdented = 0
            j = i + 1
            while j < n:
                line = self.lines[j]
                if line.kind == "blank":
                    j += 1
                    continue
                if line.kind == kind and line.indent == indent:
                    break
                if line.kind in ("meta", "table", "caption"):
                    break
                # A heading-like line right before the next item is part of the list's text.
                if line.kind == "heading" and not self._item_follows(j, kind, indent, 2):
                    break
                if kind == "bullet" and line.indent <= indent:
                    break
                if line.indent < indent:
                    if self._item_follows(j, kind, indent):
                        outdented += 1
                    elif outdented < outdented_max:
                        outdented += 1  # the last item gets as many as its siblings had
                    else:
                        break
                item.append(j)
                j += 1
            outdented_max = max(outdented_max, outdented)
            unit.items.append(item)
            i = j
        self.units.append(unit)
        return i

    def _ends_titled_list(self, j: int) -> bool:
        """A heading that opens a new section rather than an item: a question, a line in
        capitals, a heading whose first paragraph is itself a lead-in, or one with no
        paragraph under it."""
        text = self.lines[j].text.strip()
        body = self._next(j + 1)
        return (
            text.endswith("?")
            or text.isupper()
            or self._kind(body) != "text"
            or self.lines[body].text.endswith(":")
        )

    def _titled_list(self, lead: int) -> int:
        """A lead-in ending in ":" followed by heading lines, each with its paragraphs."""
        items: list[list[int]] = []
        j = self._next(lead + 1)
        while self._kind(j) == "heading" and not self._ends_titled_list(j):
            item = [j]
            k = self._next(j + 1)
            while self._kind(k) == "text":
                item.append(k)
                k = self._next(k + 1)
            items.append(item)
            j = k
        if len(items) < 2:
            self.units.append(_Unit("paragraph", self.section, lead=[lead]))
            return lead + 1
        # The last item takes no more paragraphs than the one before it: what follows is
        # the article's own text again.
        last, before = items[-1], items[-2]
        if len(last) > len(before):
            del last[len(before) :]
        self.units.append(_Unit("list", self.section, lead=[lead], items=items, titled=True))
        return last[-1] + 1


def table_cells(line: str) -> list[str]:
    """The cells of a table row written as 'a | b |'."""
    cells = [c.strip() for c in line.strip().split("|")]
    if cells and not cells[-1]:
        cells.pop()
    return cells


def _has_header(rows: list[list[str]], captioned: bool) -> bool:
    """A captioned table's first row is its header when its cells are short names."""
    first = rows[0] if rows else []
    return (
        captioned
        and len(rows) >= 2
        and all(0 < len(c) <= MAX_CELL and not c.endswith(".") for c in first)
    )


def _units(doc: Document) -> list[_Unit]:
    original = doc.original_text if isinstance(doc, Rendering) else doc.text
    return _Parser(original).parse()


def chunk_document(doc: Document, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Cut a document into chunks that keep its structure (see the module docstring).

    A rendering is cut with its original's line ranges: the structure and the sizes are
    read from the original, the text from the rendering."""
    base, lang = split_lang(doc.id)
    original = doc.original_text if isinstance(doc, Rendering) else doc.text
    src = original.split("\n")
    own = doc.text.split("\n")
    chunks: list[Chunk] = []

    def size(lines: Sequence[int]) -> int:
        return sum(len(src[i].strip()) + 1 for i in lines)

    for n, unit in enumerate(_units(doc)):
        section = own[unit.section].strip() if unit.section is not None else ""
        group = localized_id(f"{base}:u{n:02d}", lang)

        def emit(lines: Sequence[int], role: str, group: str = group, section: str = section):
            position = len(chunks)
            chunks.append(
                Chunk(
                    id=localized_id(f"{base}#{position:03d}", lang),
                    doc_id=doc.id,
                    kind=doc.kind,
                    title=doc.title,
                    section=section,
                    text="\n".join(own[i].rstrip() for i in lines),
                    position=position,
                    group=group,
                    role=role,  # type: ignore[arg-type]
                )
            )

        if unit.kind == "paragraph":
            emit(unit.lead, "text")
        elif unit.kind == "table":
            if size(unit.lines()) <= max_chars:
                emit(unit.lines(), "table")
                continue
            cells = [table_cells(src[r]) for r in unit.rows]
            header = unit.rows[:1] if _has_header(cells, bool(unit.lead)) else []
            for row in unit.rows[len(header) :]:
                emit([*unit.lead, *header, row], "table")
        else:
            if size(unit.lines()) <= max_chars and not unit.titled:
                emit(unit.lines(), "list_items")
                continue
            emit([*unit.lead, *(item[0] for item in unit.items)], "list_outline")
            for item in unit.items:
                emit(item, "list_items")
    return chunks


# -- reading a unit back from its chunks ----------------------------------------------------


class UnitView(BaseModel):
    """A unit as the composer shows it: lead-in lines, then list items or table cells."""

    kind: str = "paragraph"  # paragraph | list | table
    lead: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list, description="Head line, then body lines.")
    header: list[str] = Field(default_factory=list)
    header_line: str = Field("", description="The header row as written.")
    rows: list[list[str]] = Field(default_factory=list)
    row_lines: list[str] = Field(default_factory=list, description="The rows as written.")

    @property
    def columnar(self) -> bool:
        """A table whose columns are lists of names (Table 2: one column per customer type)."""
        return (
            self.kind == "table"
            and len(self.header) >= 2
            and all(len(c) <= MAX_CELL for row in self.rows for c in row)
        )

    def columns(self) -> list[tuple[str, list[str]]]:
        """Each column of a columnar table with its cells. A row with fewer cells than the
        header is aligned right: the conversion that produced these files dropped empty
        cells, and the column that runs longer is the last one (Table 2's "Nguồn lực" is an
        attribute of organisations, the glossary says)."""
        cols: list[list[str]] = [[] for _ in self.header]
        for row in self.rows:
            offset = max(0, len(cols) - len(row))
            for j, cell in enumerate(row[: len(cols)]):
                cols[offset + j].append(cell)
        return list(zip(self.header, cols, strict=True))

    def parts(self) -> list[str]:
        """The items of a list, or the rows of a table as written."""
        return self.row_lines if self.kind == "table" else self.items

    def heads(self) -> list[str]:
        """The first line of each item, or each row's first cell."""
        if self.kind == "table":
            return [row[0] for row in self.rows if row]
        return [item.split("\n")[0] for item in self.items]

    def text(self) -> str:
        """The whole unit, verbatim, in reading order."""
        header = [self.header_line] if self.header_line else []
        return "\n".join([*self.lead, *header, *self.parts()])


def _split_items(lines: list[str]) -> tuple[list[str], list[str]]:
    """Lead-in lines and items of a list written out in one chunk: an item starts where the
    first item does, a marker of the same kind at the same indent (deeper markers, and
    bullets under numbered items, belong to the item)."""

    def kind(line: str) -> str:
        return "numbered" if _NUMBERED.match(line) else "bullet" if _BULLET.match(line) else ""

    first = next((ln for ln in lines if kind(ln)), None)
    if first is None:
        return lines, []
    start = (kind(first), len(first) - len(first.lstrip()))
    lead: list[str] = []
    items: list[list[str]] = []
    for ln in lines:
        if (kind(ln), len(ln) - len(ln.lstrip())) == start:
            items.append([ln])
        elif items:
            items[-1].append(ln)
        else:
            lead.append(ln)
    return lead, ["\n".join(item) for item in items]


def unit_view(chunks: Sequence[Chunk]) -> UnitView:
    """Rebuild a unit from all its chunks (one language, in order)."""
    if not chunks:
        return UnitView(kind="paragraph")
    roles = {c.role for c in chunks}
    if roles == {"text"}:
        return UnitView(kind="paragraph", lead=[ln for c in chunks for ln in c.text.split("\n")])
    if roles == {"table"}:
        lead: list[str] = []
        seen: list[str] = []
        for c in chunks:
            for ln in c.text.split("\n"):
                if not ln.strip().endswith("|"):
                    if ln not in lead:
                        lead.append(ln)
                elif ln not in seen:
                    seen.append(ln)  # row chunks repeat the header
        cells = [table_cells(ln) for ln in seen]
        if _has_header(cells, bool(lead)):
            return UnitView(
                kind="table",
                lead=lead,
                header=cells[0],
                header_line=seen[0],
                rows=cells[1:],
                row_lines=seen[1:],
            )
        return UnitView(kind="table", lead=lead, rows=cells, row_lines=seen)
    outline = next((c for c in chunks if c.role == "list_outline"), None)
    items = [c.text for c in chunks if c.role == "list_items"]
    if outline is None:
        lead, parts = _split_items("\n".join(items).split("\n"))
        return UnitView(kind="list", lead=lead, items=parts)
    n_lead = len(outline.text.split("\n")) - len(items)
    return UnitView(kind="list", lead=outline.text.split("\n")[:n_lead], items=items)
