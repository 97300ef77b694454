"""The HTTP server is bounded before it reads anything: body size, declared length, read
time, connections; nothing of an unverified request is logged; shared files are refused
past their size limit and never left on disk."""

import logging
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest
from slack_harness import event, start_bot

from assistant.core.logs import SafeLogs


@pytest.fixture
def bot(full_kb, tmp_path):
    bot = start_bot(full_kb, tmp_path / "r.sqlite", cx_slack_max_body_bytes=4096,
                    cx_slack_max_connections=3, cx_slack_read_timeout_s=1.0,
                    cx_max_upload_bytes=200)  # fmt: skip
    yield bot
    bot.close()


def _raw(bot, head: bytes, body: bytes = b"", wait: float = 5.0) -> bytes:
    """Send raw bytes; return what the server answered (b"" if it closed without a word)."""
    host, port = bot.server.server_address
    with socket.create_connection((host, port), timeout=wait) as sock:
        sock.sendall(head + body)
        chunks = []
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except TimeoutError:
            pass
        return b"".join(chunks)


def _head(length: str | None) -> bytes:
    lines = ["POST /slack/events HTTP/1.1", "Host: x", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("timestamp", [None, "", "soon", "1.5e9", "-1"])
def test_a_request_without_a_numeric_timestamp_is_refused_401(bot, caplog, timestamp):
    body = b'{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}'
    lines = ["POST /slack/events HTTP/1.1", "Host: x", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "X-Slack-Signature: v0=" + "0" * 64]
    if timestamp is not None:
        lines.append(f"X-Slack-Request-Timestamp: {timestamp}")
    with caplog.at_level(logging.ERROR):
        answer = _raw(bot, ("\r\n".join(lines) + "\r\n\r\n").encode(), body)
    assert answer.startswith(b"HTTP/1.0 401")
    assert not [r for r in caplog.records if r.exc_info]  # no traceback in the log


def test_an_oversized_body_is_refused_unread(bot):
    start = time.monotonic()
    # It claims 1 GB and sends a little: refused at once, nothing buffered.
    answer = _raw(bot, _head(str(1_000_000_000)), b"x" * 1000)
    assert answer.startswith(b"HTTP/1.0 413") and time.monotonic() - start < 2


def test_bad_or_missing_lengths_are_refused_without_waiting(bot):
    for length, status in (("-1", b"400"), ("abc", b"400"), ("1e9", b"400"), (None, b"411")):
        start = time.monotonic()
        answer = _raw(bot, _head(length), b"{}")
        assert answer.split(b" ")[1] == status, (length, answer[:40])
        assert time.monotonic() - start < 2  # no thread held until the client goes away


def test_a_client_that_stops_sending_is_dropped(bot):
    start = time.monotonic()
    answer = _raw(bot, _head("500"), b"{", wait=10)  # promises 500 bytes, sends 1
    assert answer == b"" and time.monotonic() - start < 5  # CX_SLACK_READ_TIMEOUT_S = 1


def test_connections_are_bounded(bot):
    host, port = bot.server.server_address
    idle = [socket.create_connection((host, port), timeout=5) for _ in range(3)]
    try:
        time.sleep(0.3)  # the three are being served (waiting for their requests)
        answer = _raw(bot, _head("2"), b"{}")
        assert answer.startswith(b"HTTP/1.0 503")
    finally:
        for s in idle:
            s.close()
    time.sleep(1.5)  # their slots are freed (read timeout)
    after = event("app_mention.json", "Ev0AFTER", text="<@U0BOT> help")
    assert bot.post(after)[0].status_code == 200


def test_unverified_requests_are_not_logged(bot, caplog):
    caplog.set_level(logging.DEBUG)
    body = event("app_mention.json", "Ev0SECRET", text="<@U0BOT> CANARY-4f2a personal data")
    bad = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
    assert bot.post(body, headers=bad, signed=False)[0].status_code == 401
    time.sleep(0.3)
    assert "CANARY-4f2a" not in caplog.text
    assert "bad or stale signature" in caplog.text


def test_log_lines_are_capped():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "body: %s", ("y" * 100_000,), None)
    assert SafeLogs(2000).filter(record)
    assert len(record.getMessage()) < 2100 and "chars cut" in record.getMessage()


def test_log_lines_and_their_tracebacks_are_redacted():
    try:
        raise ValueError("no route for 'gọi 0912345678 k nghe'")
    except ValueError:
        record = logging.LogRecord("x", logging.WARNING, __file__, 1, "asked %r by %s",
                                   ("sđt 0987.654.321", "an.nguyen@gmail.com"),
                                   sys.exc_info())  # fmt: skip
    assert SafeLogs().filter(record)
    line = logging.Formatter().format(record)
    for value in ("0987.654.321", "an.nguyen@gmail.com", "0912345678"):
        assert value not in line
    assert "[PHONE]" in line and "[EMAIL]" in line and "ValueError" in line


def test_a_shared_file_over_the_limit_is_refused_and_nothing_is_left_on_disk(bot):
    before = set(Path(tempfile.gettempdir()).glob("cx-upload-*"))
    bot.slack.files["big.csv"] = b"comment,n_star\n" + b"Pin yeu,1\n" * 100
    body = (
        event("file_share_im.json", "Ev0BIG")
        .replace("URL_PRIVATE", f"{bot.slack.base}/files/big.csv")
        .replace("store-survey.csv", "big.csv")
    )
    bot.post(body)
    told = bot.slack.wait_for("chat.postMessage")[0]["text"]
    assert "too large" in told
    small = 'comment,n_star\n"Pin yếu, sạc chậm (kiểm thử giới hạn tệp)",1\n'.encode()
    bot.slack.files["ok.csv"] = small
    body = (
        event("file_share_im.json", "Ev0OK", ts="1700000002.000400")
        .replace("URL_PRIVATE", f"{bot.slack.base}/files/ok.csv")
        .replace("store-survey.csv", "ok.csv")
    )
    bot.post(body)
    assert "1 accepted" in bot.slack.wait_for("chat.postMessage", 2)[-1]["text"]
    assert set(Path(tempfile.gettempdir()).glob("cx-upload-*")) == before  # deleted after use
