"""Incremental indexing of documents into a ChunkStore.

The manifest of content hashes lives in the chunks' own metadata (`doc_hash`), so it can
never disagree with what the store holds: an unchanged document embeds nothing, a changed
one has its chunks replaced, a removed one has its chunks deleted.

The vectors are checked too: a few chunks must be found by their own vectors (all of
them with check_vectors="all"); a document with a lost vector is embedded again. The
collection is marked incomplete while a run changes it and complete at its end, so a run
that died half-way can be told from a finished one (ChunkStore.completed_size).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable

from pydantic import BaseModel, Field
from tqdm import tqdm

from assistant.index.store import CheckVectors, ChunkStore
from assistant.index.types import Chunk, Document, Embedder

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
    repaired: int = Field(0, description="Unchanged documents embedded again: vectors lost.")
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
    chunker: Callable[[Document], list[Chunk]],
    batch_size: int = 32,
    progress: bool = True,
    check_vectors: CheckVectors = "sample",
) -> IndexReport:
    """Bring the store in line with `docs`, embedding only what changed (or was lost)."""
    start = time.perf_counter()
    report = IndexReport(collection=store.name)
    manifest = store.manifest()
    lost = set(store.check_vectors([i for e in manifest.values() for i in e["ids"]], check_vectors))
    if lost:
        log.warning("%s: %d chunk vectors are lost; embedding them again", store.name, len(lost))
    todo: list[tuple[Chunk, str]] = []
    stale_ids: list[str] = []
    seen: set[str] = set()
    sizes: dict[str, int] = {}  # doc hash -> number of chunks, to detect half-written docs

    for doc in docs:
        report.documents += 1
        seen.add(doc.id)
        digest = document_hash(doc, embedder.name)
        current = manifest.get(doc.id)
        damaged = bool(current and lost.intersection(current["ids"]))
        if current and current["hash"] == digest and not damaged:
            report.unchanged += 1
            continue
        if current:
            if current["hash"] == digest:
                report.repaired += 1
            else:
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

    if todo or stale_ids:
        store.set_complete(False)
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
            # One call per batch: each call to embedded Chroma commits (~60 ms here).
            extras = [{"doc_hash": d, "doc_chunks": sizes[d]} for _, d in batch]
            store.upsert(chunks, vectors, extras)
            bar.update(len(batch))
    report.chunks_embedded = len(todo)
    store.set_complete(True)
    report.chunks_total = store.count()
    report.seconds = round(time.perf_counter() - start, 3)
    log.info("indexed %s: %s", store.name, report.model_dump())
    return report
