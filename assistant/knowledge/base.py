"""The knowledge base: settings, embedder and Chroma client bundled for the tools.

Built once per process by the CLI, the Slack app or a test, and passed in; nothing here is
created at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.errors import IndexNotReadyError
from assistant.knowledge.embedders import make_embedder
from assistant.knowledge.indexer import IndexReport, index_documents
from assistant.knowledge.loaders import load_methodology
from assistant.knowledge.retrieval import HybridRetriever
from assistant.knowledge.store import ChunkStore, collection_name, make_chroma_client
from assistant.knowledge.types import Embedder
from assistant.settings import Settings


@dataclass
class KnowledgeBase:
    settings: Settings
    embedder: Embedder
    client: Any
    _retrievers: dict[str, HybridRetriever] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
        return cls(
            settings=settings,
            embedder=embedder or make_embedder(settings),
            client=make_chroma_client(settings),
        )

    def store(self, kind: str) -> ChunkStore:
        name = collection_name(self.settings.cx_collection_prefix, kind, self.embedder.name)
        return ChunkStore(self.client, name)

    def index_methodology(self, progress: bool = True) -> IndexReport:
        report = index_documents(
            load_methodology(self.settings.methodology_dir),
            self.store("methodology"),
            self.embedder,
            batch_size=self.settings.cx_embed_batch_size,
            progress=progress,
        )
        self._retrievers.pop("methodology", None)
        return report

    def retriever(self, kind: str = "methodology") -> HybridRetriever:
        if kind not in self._retrievers:
            retriever = HybridRetriever(self.store(kind), self.embedder)
            if retriever.size == 0:
                raise IndexNotReadyError(
                    f"The {kind} index is empty. Run `cx-assistant index` first."
                )
            self._retrievers[kind] = retriever
        return self._retrievers[kind]
