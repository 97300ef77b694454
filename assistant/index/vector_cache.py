"""Vectors of the shipped corpus, computed once and kept beside it.

The methodology and the atlas ship with the project, and embedding them takes most of a
fresh `index` (about 45 s on 2 cores, once for a user, once for the evals and once for the
tests of every CI run). `corpus/vectors/<embedder>.npz` holds their passage vectors by a
digest of the embedded text; `CachedEmbedder` answers from it and embeds only what it does
not hold (a changed article, another corpus), so the index is the same either way. The file
is written by `scripts/ship_vectors.py`; a test checks it against the embedder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from assistant.index.types import Embedder


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def cache_path(corpus_dir: Path, embedder: Embedder) -> Path:
    return corpus_dir / "vectors" / f"{embedder.name}.npz"


def write_vectors(path: Path, texts: list[str], vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = np.array([text_key(t) for t in texts])
    np.savez_compressed(path, keys=keys, vectors=np.asarray(vectors, dtype=np.float32))


class CachedEmbedder:
    """`inner` with the vectors of `path` for the passages it holds (same name, so the same
    collections); queries always go to `inner`."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        with np.load(path) as data:
            self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._vectors]
        fresh = self.inner.embed_passages([texts[i] for i in missing]) if missing else []
        found = dict(zip(missing, fresh, strict=True))
        return np.stack([found[i] if i in found else self._vectors[k] for i, k in enumerate(keys)])


def with_shipped_vectors(embedder: Embedder, corpus_dir: Path) -> Embedder:
    """The embedder, answering from the shipped vectors when there are some for it."""
    path = cache_path(corpus_dir, embedder)
    return CachedEmbedder(embedder, path) if path.is_file() else embedder
