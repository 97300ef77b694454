"""What a feedback file reader is, and the decoding every reader shares.

A reader turns a file's decoded lines into rows, lazily: (line of the row, the row as a
dict or None when it is not a record at all, the raw text kept in the rejects file). A row
the reader cannot read carries {"__error__": reason}, reported as a row error on the field
"row". Lines are read from the file as they are needed, so counting a file's rows takes
the memory of one row, not of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from assistant.core.errors import IngestError

Row = tuple[int, dict[str, Any] | None, str]
NOT_UTF8 = "not valid UTF-8 (re-export the file as UTF-8)"
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # undecodable bytes, kept by surrogateescape


class FeedbackReader(Protocol):
    name: str  # as users call the format: "CSV"
    suffixes: tuple[str, ...]  # lower case, with the dot
    # Whether the first line is a header that must be UTF-8 (no column could be found else).
    header_line: bool

    def header(self, lines: str | Iterable[str]) -> list[str]:
        """The column names the rows use (ColumnMapping.detect reads them)."""
        ...

    def rows(self, lines: str | Iterable[str]) -> Iterator[Row]: ...


def as_lines(source: str | Iterable[str]) -> Iterator[str]:
    """Lines with their "\n" (split on newlines only: str.splitlines would also cut at
    \x1c-\x1e and \u2028), from a text or from read_lines."""
    if isinstance(source, str):
        return (part for part in re.split(r"(?<=\n)", source) if part)
    return iter(source)


def has_bad_bytes(value: str) -> bool:
    return _BAD_BYTE.search(value) is not None


def read_lines(path: Path, header: bool = True) -> Iterator[str]:
    """The file's lines, read as they are needed. UTF-8 (a byte-order mark is dropped) with
    undecodable bytes kept as surrogates, so one row in another encoding is reported instead
    of failing the file; UTF-16/32 with a byte-order mark. Raises IngestError naming the
    encoding otherwise (and when the `header` line is not UTF-8: no column could be found),
    without the path, like a reader's errors: read_file adds it."""
    with path.open("rb") as f:
        head = f.read(4096)
    codec = next(
        (c for bom, c in (
            (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
            (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
        ) if head.startswith(bom)),
        None,
    )  # fmt: skip
    if codec is None and head.removeprefix(b"\xef\xbb\xbf").count(b"\x00") > len(head) // 4:
        raise IngestError(
            "the file looks like UTF-16 without a byte-order mark (a NUL byte between "
            "characters); re-export it as UTF-8 (in Excel: CSV UTF-8)"
        )
    errors = "strict" if codec else "surrogateescape"
    # newline="\n": lines end at "\n" only, and "\r" is kept as the file has it.
    with path.open(encoding=codec or "utf-8-sig", errors=errors, newline="\n") as f:
        try:
            first = True
            for line in f:
                if first and header and not codec and has_bad_bytes(line.rstrip("\n")):
                    raise IngestError(
                        "the header is not UTF-8 (the file may be in Windows-1258, "
                        "TCVN3 or another legacy encoding); re-export it as UTF-8 (in Excel: "
                        "CSV UTF-8)"
                    )
                first = False
                yield line
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"the file is {codec.upper() if codec else 'UTF-8'} but part of it "
                f"cannot be read; re-export it as UTF-8 (in Excel: CSV UTF-8)"
            ) from exc
