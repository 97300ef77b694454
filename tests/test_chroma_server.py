"""The scale-out path: a real `chroma run` server on 127.0.0.1, reached through HttpClient,
gives the same answers as the embedded store."""

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.agent.agent import Agent
from assistant.core.errors import ChromaUnavailableError
from assistant.core.settings import Settings
from assistant.kb.base import KnowledgeBase
from assistant.kb.doctor import index_health
from assistant.surfaces.cli import main
from conftest import ReplayEmbedder, free_port

QUESTIONS = [
    "Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?",
    "What are the five journey-thinking questions?",
    "What is a journey atlas?",
    "Team CX nên báo cáo trực tiếp cho ai?",
]


@pytest.fixture(scope="module")
def chroma_process(tmp_path_factory):
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
    yield port, proc
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def chroma_server(chroma_process):
    return chroma_process[0]


def test_server_mode_gives_the_same_answers(chroma_server, methodology_kb, methodology_vectors,
                                            tmp_path):  # fmt: skip
    settings = methodology_kb.settings.model_copy(
        update={
            "chroma_host": "127.0.0.1",
            "chroma_port": chroma_server,
            "cx_data_dir": tmp_path / "data",
        }  # fmt: skip
    )
    # The server gets the vectors the session computed for the same chunks: chunking,
    # hashing and every write still go through HttpClient to the real server.
    replay = ReplayEmbedder(methodology_kb.embedder, methodology_vectors)
    remote = KnowledgeBase.open(settings, replay)
    assert remote.chroma().get_settings().chroma_server_host == "127.0.0.1"  # HttpClient
    report = remote.index_methodology(progress=False)
    assert report.chunks_total == methodology_kb.store("methodology").count()
    again = KnowledgeBase.open(settings, replay).index_methodology(progress=False)
    assert again.chunks_embedded == 0  # incremental against the server too
    local, server = Agent(methodology_kb), Agent(remote)
    for q in QUESTIONS:
        a, b = local.ask(q), server.ask(q)
        assert a.answer == b.answer
        assert [c.quote for c in a.citations] == [c.quote for c in b.citations]


# -- a server that is stopped, silent, absent or not Chroma: a clear error within the deadline --


def _settings(tmp_path, port: int, **kw) -> Settings:
    return Settings(_env_file=None, cx_data_dir=tmp_path / "d", chroma_host="127.0.0.1",
                    chroma_port=port, cx_chroma_timeout_s=1, **kw)  # fmt: skip


def _stop(proc: subprocess.Popen) -> None:
    """SIGSTOP, returning once every thread of the process is stopped: a request sent before
    that could still be answered (seen once under load: the count came back)."""
    proc.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + 10
    tasks = Path(f"/proc/{proc.pid}/task")
    while time.monotonic() < deadline:
        states = [(t / "stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks.iterdir()]
        if all(state in "Tt" for state in states):
            return
        time.sleep(0.01)
    pytest.fail("the Chroma server did not stop")


def _within(seconds: float, fn):  # noqa: ANN001, ANN202
    """fn's result or exception, from a thread that must end in time: a guard against a hang,
    not a timing (the deadline under test is 1 s)."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting for Chroma after {seconds} s"
    return box.get("error") or box.get("result")


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield sock.getsockname()[1]
    stop.set()
    for conn in held:
        conn.close()
    sock.close()


def test_a_silent_server_is_a_clear_error_not_a_hang(tmp_path, embedder, silent_server):
    kb = KnowledgeBase.open(_settings(tmp_path, silent_server), embedder)
    exc = _within(30, kb.chroma)  # the client is made on first use
    assert isinstance(exc, ChromaUnavailableError)
    assert f"127.0.0.1:{silent_server}: no answer within 1 s" in str(exc)
    assert "CHROMA_HOST" in str(exc) and "CHROMA_PORT" in str(exc)


def test_the_cli_says_which_server_and_which_settings(tmp_path, monkeypatch, capsys, silent_server):
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(silent_server))
    monkeypatch.setenv("CX_CHROMA_TIMEOUT_S", "1")
    assert _within(30, lambda: main(["ask", "What is a journey atlas?"])) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: Cannot use the Chroma server at 127.0.0.1:{silent_server}")
    assert "Traceback" not in err


def test_nothing_listening_and_not_chroma_are_clear_errors(tmp_path, embedder):
    refused = _within(30, KnowledgeBase.open(_settings(tmp_path, free_port()), embedder).chroma)
    assert isinstance(refused, ChromaUnavailableError)
    assert "the connection was refused" in str(refused)

    class NotChroma(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<html>nothing here</html>")

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotChroma)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        wrong = _within(30, KnowledgeBase.open(_settings(tmp_path, port), embedder).chroma)
    finally:
        server.shutdown()
    assert isinstance(wrong, ChromaUnavailableError)
    assert "it did not answer as a Chroma server" in str(wrong)


def test_a_stopped_server_fails_calls_within_the_deadline(chroma_process, embedder, tmp_path):
    port, proc = chroma_process
    kb = KnowledgeBase.open(_settings(tmp_path, port), embedder)
    store = kb.store("methodology")
    # The server test's chunks when it ran first in this module, else none: counted now, so
    # the end can check the server gives the same answer again.
    before = store.count()
    part = index_health(kb, ["methodology"]).parts[0]
    assert part.status == ("ok" if before else "empty") and part.stored == before
    _stop(proc)  # as `kill -STOP`: the port accepts, nothing answers
    try:
        exc = _within(30, store.count)
        health = _within(30, lambda: index_health(kb, ["methodology"]))
    finally:
        proc.send_signal(signal.SIGCONT)
    assert isinstance(exc, ChromaUnavailableError) and "no answer within 1 s" in str(exc)
    part = health.parts[0]  # the cheap check reports it instead of raising
    assert part.status == "unreadable" and "CHROMA_HOST" in part.message
    assert store.count() == before  # answers again once the server runs, with every record
