"""Our Embedder as a LangChain `Embeddings` (what langchain-chroma and friends expect)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from assistant.index.types import Embedder


class EmbedderAsLangChain(Embeddings):
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
