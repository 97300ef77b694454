"""Incremental indexing of documents into a ChunkStore.

The manifest of content hashes lives in the chunks' own metadata (`doc_hash`), so it can
never disagree with what the store holds: an unchanged document embeds nothing, a changed
one has its chunks replaced, a removed one has its chunks deleted.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable

from pydantic import BaseModel
from tqdm import tqdm

from assistant.knowledge.chunking import chunk_document
from assistant.knowledge.store import ChunkStore
from assistant.knowledge.types import Chunk, Document, Embedder

log = logging.getLogger(__name__)

# Bump when chunking changes, so every document is re-chunked on the next run.
CHUNKER_VERSION = "3"


class IndexReport(BaseModel):
    collection: str
    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    seconds: float = 0.0


def document_hash(doc: Document, embedder_name: str) -> str:
    payload = f"{CHUNKER_VERSION}\n{embedder_name}\n{doc.model_dump_json()}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def index_documents(
    docs: Iterable[Document],
    store: ChunkStore,
    embedder: Embedder,
    *,
    batch_size: int = 32,
    progress: bool = True,
    chunker: Callable[[Document], list[Chunk]] = chunk_document,
) -> IndexReport:
    """Bring the store in line with `docs`, embedding only what changed."""
    start = time.perf_counter()
    report = IndexReport(collection=store.name)
    manifest = store.manifest()
    todo: list[tuple[Chunk, str]] = []
    stale_ids: list[str] = []
    seen: set[str] = set()
    sizes: dict[str, int] = {}  # doc hash -> number of chunks, to detect half-written docs

    for doc in docs:
        report.documents += 1
        seen.add(doc.id)
        digest = document_hash(doc, embedder.name)
        current = manifest.get(doc.id)
        if current and current["hash"] == digest:
            report.unchanged += 1
            continue
        if current:
            report.updated += 1
            stale_ids.extend(current["ids"])
        else:
            report.added += 1
        chunks = chunker(doc)
        sizes[digest] = len(chunks)
        todo.extend((chunk, digest) for chunk in chunks)

    for doc_id, entry in manifest.items():
        if doc_id not in seen:
            report.removed += 1
            stale_ids.extend(entry["ids"])

    # Delete first: a changed document may now have fewer chunks than before.
    store.delete(stale_ids)
    report.chunks_deleted = len(stale_ids)

    with tqdm(
        total=len(todo),
        desc=f"embedding {store.name}",
        unit="chunk",
        disable=not progress or not todo,
    ) as bar:
        for i in range(0, len(todo), batch_size):
            batch = todo[i : i + batch_size]
            chunks = [c for c, _ in batch]
            vectors = embedder.embed_passages([c.embedding_text() for c in chunks])
            for digest in {d for _, d in batch}:
                group = [c for c, d in batch if d == digest]
                idx = [j for j, (_, d) in enumerate(batch) if d == digest]
                store.upsert(group, vectors[idx], {"doc_hash": digest, "doc_chunks": sizes[digest]})
            bar.update(len(batch))
    report.chunks_embedded = len(todo)
    report.chunks_total = store.count()
    report.seconds = round(time.perf_counter() - start, 3)
    log.info("indexed %s: %s", store.name, report.model_dump())
    return report
