"""The feedback file formats: one reader per module of this package, found here by its
`READER`, so a new format is one module (and its test) and nothing else.

Ingestion, the shipped corpus, the CLI (`ingest`, `tag`) and Slack uploads all ask this
registry which files they can read and how.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.core.errors import IngestError
from assistant.feedback.readers.base import FeedbackReader, Row, read_lines

__all__ = [
    "READERS", "SUPPORTED", "FeedbackReader", "Row", "format_names", "read_file", "read_rows",
    "reader_for",
]  # fmt: skip

READERS: tuple[FeedbackReader, ...] = tuple(
    module.READER
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    if hasattr(module := importlib.import_module(f"{__name__}.{info.name}"), "READER")
)
SUPPORTED: tuple[str, ...] = tuple(s for reader in READERS for s in reader.suffixes)
_BY_SUFFIX = {s: reader for reader in READERS for s in reader.suffixes}


def format_names(or_word: str = "or") -> str:
    """The formats as users call them, for help and messages: "CSV or JSONL"."""
    names = [reader.name for reader in READERS]
    return f"{', '.join(names[:-1])} {or_word} {names[-1]}" if len(names) > 1 else names[0]


def reader_for(path: Path) -> FeedbackReader:
    """The reader of the file's format (by its suffix); IngestError when none reads it."""
    reader = _BY_SUFFIX.get(path.suffix.lower())
    if reader is None:
        raise IngestError(f"{path}: unsupported file type (use {', '.join(SUPPORTED)})")
    return reader


@contextmanager
def _opened(path: Path) -> Iterator[tuple[FeedbackReader, Iterator[str]]]:
    """The file's reader and its lines, closed after; an IngestError of the reader (which
    sees only the text) is raised again naming the file."""
    reader = reader_for(path)
    lines = read_lines(path, header=reader.header_line)
    try:
        yield reader, lines
    except IngestError as exc:
        raise IngestError(f"{path}: {exc}") from exc
    finally:
        lines.close()


def read_file(path: Path) -> tuple[list[str], Iterator[Row]]:
    """The file's header and its rows, read lazily as they are asked for (call again for
    another pass). A reader raises IngestError for a file it cannot read at all; it comes
    out of the header or of the rows."""
    with _opened(path) as (reader, lines):  # read only as far as the header
        header = reader.header(lines)
    return header, read_rows(path)


def read_rows(path: Path) -> Iterator[Row]:
    """The file's rows, read lazily (another pass over a file read_file has opened)."""
    with _opened(path) as (reader, lines):
        yield from reader.rows(lines)
