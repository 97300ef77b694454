"""The scale-out path: a real `chroma run` server on 127.0.0.1, reached through HttpClient,
gives the same answers as the embedded store."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.agent.agent import Agent
from assistant.knowledge.base import KnowledgeBase
from conftest import free_port

QUESTIONS = [
    "Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?",
    "What are the five journey-thinking questions?",
    "What is a journey atlas?",
    "Team CX nên báo cáo trực tiếp cho ai?",
]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    import chromadb

    deadline = time.monotonic() + 60
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma run did not start")
            time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_server_mode_gives_the_same_answers(chroma_server, methodology_kb, tmp_path):
    settings = methodology_kb.settings.model_copy(
        update={
            "chroma_host": "127.0.0.1",
            "chroma_port": chroma_server,
            "cx_data_dir": tmp_path / "data",
        }  # fmt: skip
    )
    remote = KnowledgeBase.open(settings, methodology_kb.embedder)
    assert remote.client.get_settings().chroma_server_host == "127.0.0.1"  # HttpClient
    report = remote.index_methodology(progress=False)
    assert report.chunks_total == methodology_kb.store("methodology").count()
    again = KnowledgeBase.open(settings, methodology_kb.embedder).index_methodology(progress=False)
    assert again.chunks_embedded == 0  # incremental against the server too
    local, server = Agent(methodology_kb), Agent(remote)
    for q in QUESTIONS:
        a, b = local.ask(q), server.ask(q)
        assert a.answer == b.answer
        assert [c.quote for c in a.citations] == [c.quote for c in b.citations]
