"""Loaders that read the corpus folders into typed documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from assistant.errors import CorpusError
from assistant.knowledge.types import Document
from assistant.text import nfc

CATALOG = "catalog.yaml"


class CatalogEntry(BaseModel):
    id: str
    file: str
    title: str
    title_en: str = ""
    source: str = ""
    language: str = "vi"


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


def load_methodology(folder: Path) -> Iterator[Document]:
    """Yield the methodology articles named in the folder's catalog, NFC-normalised."""
    for entry in read_catalog(folder):
        path = folder / entry.file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CorpusError(f"{folder / CATALOG}: article {entry.id!r}: no file {path}") from exc
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
        yield Document(
            id=entry.id,
            kind="methodology",
            title=nfc(entry.title),
            title_en=entry.title_en,
            source=nfc(entry.source),
            lang=entry.language,
            path=str(path),
            text=nfc(text),
        )
