"""The Chroma store: embedded PersistentClient by default, HttpClient when a host is set."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.errors import IndexNotReadyError
from assistant.knowledge.types import Chunk
from assistant.settings import Settings

log = logging.getLogger(__name__)


def make_chroma_client(settings: Settings):  # noqa: ANN201 - chromadb's ClientAPI
    """Chroma client from the settings; telemetry off (these machines have no network)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises several types for a damaged folder
        raise IndexNotReadyError(
            f"The index folder {settings.chroma_path} cannot be opened ({type(exc).__name__}). "
            f"Delete it and run `cx-assistant index` to rebuild it."
        ) from exc


def collection_name(prefix: str, kind: str, embedder_name: str) -> str:
    """One collection per kind and embedder: vectors of different models never mix."""
    raw = f"{prefix}_{kind}_{embedder_name}"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return name[:512] if len(name) >= 3 else f"{name}-cx"


class ChunkStore:
    """Chunks with their vectors and metadata in one Chroma collection (cosine space)."""

    def __init__(self, client, name: str) -> None:  # noqa: ANN001
        self.name = name
        # embedding_function=None: we always pass vectors, and Chroma's default function
        # would try to download a model.
        self._col = client.get_or_create_collection(
            name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def count(self) -> int:
        return self._col.count()

    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        extra: dict[str, Any] | Sequence[dict[str, Any]],
    ) -> None:
        """Add or replace chunks; `extra` is metadata for all of them, or one dict each."""
        if not chunks:
            return
        extras = [extra] * len(chunks) if isinstance(extra, dict) else list(extra)
        self._col.upsert(
            ids=[c.id for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32).tolist(),
            documents=[c.text for c in chunks],
            metadatas=[{**c.metadata(), **x} for c, x in zip(chunks, extras, strict=True)],
        )

    def ids(self) -> list[str]:
        return self._col.get(include=[])["ids"]

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._col.delete(ids=list(ids))

    def manifest(self) -> dict[str, dict[str, Any]]:
        """doc_id -> {"hash", "ids"}: what is indexed now, read from the chunks themselves."""
        got = self._col.get(include=["metadatas"])
        out: dict[str, dict[str, Any]] = {}
        for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
            entry = out.setdefault(
                meta["doc_id"],
                {"hash": meta.get("doc_hash", ""), "ids": [], "expected": meta.get("doc_chunks")},
            )
            entry["ids"].append(cid)
            if entry["hash"] != meta.get("doc_hash", ""):
                entry["hash"] = ""  # mixed hashes: a half-finished update, re-index this doc
        for entry in out.values():
            if entry["expected"] is not None and entry["expected"] != len(entry["ids"]):
                entry["hash"] = ""  # chunks missing: an interrupted run, re-index this doc
        return out

    def all_chunks(self) -> list[Chunk]:
        got = self._col.get(include=["documents", "metadatas"])
        chunks = [
            _to_chunk(cid, doc, meta)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        return sorted(chunks, key=lambda c: (c.doc_id, c.position))

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks with their cosine similarity."""
        total = self.count()
        if total == 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(n, total),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (_to_chunk(cid, doc, meta), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        ]


def _to_chunk(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=cid,
        doc_id=meta["doc_id"],
        kind=meta["kind"],
        title=meta.get("title", ""),
        section=meta.get("section", ""),
        text=text,
        position=int(meta.get("position", 0)),
        group=meta.get("group", ""),
        role=meta.get("role", "text"),
    )


def stored_vectors(
    store: ChunkStore, ids: Sequence[str], batch: int = 500
) -> dict[str, np.ndarray]:
    """The vectors Chroma holds for these ids (ids it lacks are left out), read back so that
    nothing already embedded is embedded again."""
    out: dict[str, np.ndarray] = {}
    wanted = list(dict.fromkeys(ids))
    for i in range(0, len(wanted), batch):
        got = store._col.get(ids=wanted[i : i + batch], include=["embeddings"])
        for cid, vec in zip(got["ids"], got["embeddings"], strict=True):
            out[cid] = np.asarray(vec, dtype=np.float32)
    return out
