"""Loaders that read the corpus folders into typed documents.

A methodology article may come with renderings in other languages (`translations` in the
catalog), aligned line by line with the original. A rendering is a document of its own, id
`<article id>@<lang>`, that carries its original's text so the chunker can cut both into
the same units; chunk and unit ids of a rendering are its original's plus `@<lang>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from assistant.core.errors import CorpusError
from assistant.core.text import nfc
from assistant.index.types import Document

CATALOG = "catalog.yaml"
_LANG_MARK = re.compile(r"@([a-z]{2})$")


def localized_id(base: str, lang: str | None) -> str:
    """The id of `base` in a rendering (`a#003` -> `a#003@en`); `None` is the original."""
    return f"{base}@{lang}" if lang else base


def split_lang(item_id: str) -> tuple[str, str | None]:
    """(`a#003`, "en") for `a#003@en`; (`a#003`, None) for an original's id."""
    if m := _LANG_MARK.search(item_id):
        return item_id[: m.start()], m.group(1)
    return item_id, None


class CatalogEntry(BaseModel):
    id: str
    file: str
    title: str
    title_en: str = ""
    source: str = ""
    language: str = "vi"
    translations: dict[str, str] = {}


class Rendering(Document):
    """An article in another language, aligned line by line with its original."""

    original_id: str
    original_text: str


def read_catalog(folder: Path) -> list[CatalogEntry]:
    path = folder / CATALOG
    if not path.is_file():
        raise CorpusError(f"{path}: missing; it lists the methodology articles (id, file, title)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"{path}:{line + 1}" if line is not None else str(path)
        raise CorpusError(f"{where}: YAML syntax error: {exc}") from exc
    if not isinstance(raw, list):
        raise CorpusError(f"{path}: expected a list of articles")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        try:
            entry = CatalogEntry.model_validate(item)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise CorpusError(f"{path}: entry {i + 1}: invalid field(s) {fields}") from exc
        if entry.id in seen:
            raise CorpusError(f"{path}: entry {i + 1}: duplicate id {entry.id!r}")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _read(folder: Path, entry: CatalogEntry, file: str) -> tuple[Path, str]:
    path = folder / file
    try:
        return path, nfc(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CorpusError(f"{folder / CATALOG}: article {entry.id!r}: no file {path}") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _check_aligned(path: Path, text: str, original_path: Path, original: str) -> None:
    """A rendering is cut with its original's line ranges, so its lines must line up."""
    mine, theirs = text.split("\n"), original.split("\n")
    if len(mine) != len(theirs):
        raise CorpusError(
            f"{path}: {len(mine)} lines, but its original {original_path.name} has "
            f"{len(theirs)}; a rendering must be aligned line by line with its original"
        )
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True), 1):
        if bool(a.strip()) != bool(b.strip()):
            raise CorpusError(
                f"{path}:{i}: {'blank' if not a.strip() else 'text'} where "
                f"{original_path.name}:{i} is {'blank' if not b.strip() else 'text'}; "
                f"a rendering must be aligned line by line with its original"
            )


def load_methodology(folder: Path, renderings: bool = True) -> Iterator[Document]:
    """Yield the methodology articles named in the folder's catalog, NFC-normalised, each
    followed by its renderings in other languages (unless `renderings` is false)."""
    for entry in read_catalog(folder):
        path, text = _read(folder, entry, entry.file)
        yield Document(
            id=entry.id,
            kind="methodology",
            title=nfc(entry.title),
            title_en=entry.title_en,
            source=nfc(entry.source),
            lang=entry.language,
            path=str(path),
            text=text,
        )
        if not renderings:
            continue
        for lang, file in sorted(entry.translations.items()):
            other_path, other = _read(folder, entry, file)
            _check_aligned(other_path, other, path, text)
            title = entry.title_en if lang == "en" and entry.title_en else entry.title
            yield Rendering(
                id=localized_id(entry.id, lang),
                kind="methodology",
                title=nfc(title),
                title_en=entry.title_en,
                source=nfc(entry.source),
                lang=lang,
                path=str(other_path),
                text=other,
                original_id=entry.id,
                original_text=text,
            )
