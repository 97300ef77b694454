"""Typed records and protocols of the knowledge layer."""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, Field

Kind = Literal["methodology", "atlas", "feedback"]


class Document(BaseModel):
    """One source document as loaded from the corpus (text NFC-normalised)."""

    id: str
    kind: Kind
    title: str
    title_en: str = ""
    source: str = ""
    lang: str = "vi"
    path: str = ""
    text: str


class Chunk(BaseModel):
    """A retrievable unit of a document; `text` is verbatim from the document."""

    id: str
    doc_id: str
    kind: Kind
    title: str
    section: str = ""
    text: str
    position: int = Field(description="Order of the chunk inside its document.")
    group: str = Field("", description="Id of the list this chunk belongs to, if any.")
    role: Literal["text", "list_outline", "list_items", "table"] = "text"

    def embedding_text(self) -> str:
        """What is embedded: the chunk with its title and section for context."""
        head = " — ".join(p for p in (self.title, self.section) if p)
        return f"{head}\n{self.text}" if head else self.text

    def lexical_text(self) -> str:
        """What the lexical index sees: the section heading and the text (the title would
        match every chunk of its document)."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def metadata(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "title": self.title,
            "section": self.section,
            "position": self.position,
            "group": self.group,
            "role": self.role,
        }


class Hit(BaseModel):
    """A retrieved chunk with its fused score and the evidence behind it."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    siblings: list[Chunk] = Field(
        default_factory=list, description="All chunks of the list this chunk is in, in order."
    )


class ChunkSearch(Protocol):
    """Ranked units of an index for a query (the hybrid retriever)."""

    def search(self, query: str, k: int = 5) -> list[Hit]: ...


class Embedder(Protocol):
    """Turns text into normalised vectors; queries and passages may be embedded differently."""

    name: str

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...
