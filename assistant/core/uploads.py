"""Names of files shared in a chat, as feedback sources: `upload-<surface>-<owner>-<file>-
<content>`. The owner part lets the access policy tell whose private upload a source is
without storing who uploaded it; every part is letters only, so no run of digits that
redaction would take for a phone or card number."""

from __future__ import annotations

import hashlib

TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def letters_digest(text: str, n: int = 8) -> str:
    """A short digest in letters only."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return digest[:n].translate(TO_LETTERS)


def upload_owner(surface: str, user: str) -> str:
    """The owner part of the sources this person's uploads get."""
    return letters_digest(f"{surface}:{user}")


def upload_owner_of(source: str) -> str | None:
    """The owner part of an upload's source name; None for any other source."""
    parts = source.split("-")
    return parts[2] if len(parts) >= 5 and parts[0] == "upload" else None
