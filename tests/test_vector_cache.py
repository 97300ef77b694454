"""The shipped vectors of the methodology and atlas are what the embedder gives for today's
corpus (a stale file would index old vectors silently), and anything they lack is embedded."""

from pathlib import Path

import numpy as np

from assistant.atlas.documents import atlas_documents, whole_document_chunk
from assistant.atlas.model import load_atlas
from assistant.index.vector_cache import CachedEmbedder, cache_path, text_key
from assistant.methodology.chunking import chunk_document
from assistant.methodology.loaders import load_methodology

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _same_vectors(a: np.ndarray, b: np.ndarray) -> bool:
    """The same embedder's vectors for the same texts. Its int8 ONNX kernels round differently
    on different CPUs (AVX2 against AVX-512 VNNI/AMX: up to 2e-3 per component, cosine above
    0.99995), so compare directions; another model or another text is far below 0.999."""
    cosines = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return bool(cosines.min() > 0.999)


def _shipped_texts() -> list[str]:
    chunks = [c for d in load_methodology(CORPUS / "methodology") for c in chunk_document(d)]
    chunks += [c for d in atlas_documents(load_atlas(CORPUS / "atlas"))
               for c in whole_document_chunk(d)]  # fmt: skip
    return sorted({c.embedding_text() for c in chunks})


def test_the_shipped_vectors_cover_today_s_corpus_and_match_the_embedder(embedder):
    path = cache_path(CORPUS, embedder)
    texts = _shipped_texts()
    with np.load(path) as data:
        keys = set(data["keys"].tolist())
    missing = [t[:60] for t in texts if text_key(t) not in keys]
    assert missing == [], "run scripts/ship_vectors.py after changing the corpus"
    cached = CachedEmbedder(embedder, path)
    sample = texts[:: max(1, len(texts) // 12)]
    assert _same_vectors(cached.embed_passages(sample), np.asarray(embedder.embed_passages(sample)))


def test_texts_the_file_lacks_are_embedded_by_the_embedder(embedder):
    cached = CachedEmbedder(embedder, cache_path(CORPUS, embedder))
    texts = ["Một câu không có trong bài viết nào cả.", _shipped_texts()[0]]
    got = cached.embed_passages(texts)
    assert np.allclose(got[0], embedder.embed_passages(texts[:1])[0], atol=1e-5)
    assert got.shape == (2, 384) and cached.name == embedder.name


def test_the_shipped_eval_comment_vectors_cover_every_label_and_match_the_embedder(embedder):
    # The link evals read their labelled comments' vectors from evals/data/vectors: every
    # comment of today's label files is there, and the vectors are the embedder's.
    import sys

    from assistant.evals.linking import eval_vectors_path

    sys.path.insert(0, str(CORPUS.parent / "scripts"))
    from ship_vectors import eval_comment_texts

    texts = eval_comment_texts()
    path = eval_vectors_path(CORPUS.parent / "evals" / "data" / "vectors", embedder.name)
    with np.load(path) as data:
        keys = set(data["keys"].tolist())
    missing = [t[:60] for t in texts if text_key(t) not in keys]
    assert missing == [], "run scripts/ship_vectors.py after changing a link label file"
    sample = texts[:: max(1, len(texts) // 10)]
    cached = CachedEmbedder(embedder, path)
    assert _same_vectors(cached.embed_passages(sample), np.asarray(embedder.embed_passages(sample)))
