"""What a feedback file reader is, and the decoding every reader shares.

A reader turns a file's decoded text into rows: (line of the row, the row as a dict or None
when it is not a record at all, the raw text kept in the rejects file). A row the reader
cannot read carries {"__error__": reason}, reported as a row error on the field "row".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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

    def header(self, text: str) -> list[str]:
        """The column names the rows use (ColumnMapping.detect reads them)."""
        ...

    def rows(self, text: str) -> Iterator[Row]: ...


def has_bad_bytes(value: str) -> bool:
    return _BAD_BYTE.search(value) is not None


def decode_file(path: Path, data: bytes | None = None, header: bool = True) -> str:
    """The file's text. UTF-8 (a byte-order mark is dropped) with undecodable bytes kept as
    surrogates, so one row in another encoding is reported instead of failing the file;
    UTF-16/32 with a byte-order mark. Raises IngestError naming the encoding otherwise (and
    when the `header` line is not UTF-8: no column could be found)."""
    data = path.read_bytes() if data is None else data
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
    ):  # fmt: skip
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"{path}: the file is {codec.upper()} but byte {exc.start} cannot be read; "
                    f"re-export it as UTF-8 (in Excel: CSV UTF-8)"
                ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        raise IngestError(
            f"{path}: the file looks like UTF-16 without a byte-order mark (a NUL byte between "
            f"characters); re-export it as UTF-8 (in Excel: CSV UTF-8)"
        )
    text = data.decode("utf-8", errors="surrogateescape")
    first = text[: text.find("\n")] if "\n" in text else text
    if header and has_bad_bytes(first):
        raise IngestError(
            f"{path}: the header is not UTF-8 (the file may be in Windows-1258, TCVN3 or "
            f"another legacy encoding); re-export it as UTF-8 (in Excel: CSV UTF-8)"
        )
    return text
