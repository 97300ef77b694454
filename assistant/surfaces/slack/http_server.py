"""HTTP mode: a threaded server that hands each signed request to Bolt.

It is the first thing the internet reaches, so it is bounded before anything is read: a
request must state its length (411), a sane one (400), at most CX_SLACK_MAX_BODY_BYTES
(413, body unread); it has CX_SLACK_READ_TIMEOUT_S to arrive; at most
CX_SLACK_MAX_CONNECTIONS are served at once (503 beyond, threads never pile up). The
signature is checked here, before the body is decoded or logged, and nothing of an
unverified request is logged (Bolt would log the whole body at INFO). A verified request
goes to the front door (front.py), which stores it and acknowledges: nothing here waits on
Slack. GET /healthz reports the bot's health (503 when it stopped: a revoked token, an
uninstall).
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.signature import SignatureVerifier

from assistant.core.settings import Settings
from assistant.surfaces.slack.front import FrontDoor

PATH = "/slack/events"
log = logging.getLogger(__name__)
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class BoundedServer(ThreadingHTTPServer):
    """One thread per connection, at most `max_connections` of them; the rest get 503."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, max_connections: int) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1)
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_server(
    front: FrontDoor, host: str, port: int, settings: Settings | None = None
) -> ThreadingHTTPServer:
    s = settings or Settings(_env_file=None)
    max_body = s.cx_slack_max_body_bytes
    verifier = SignatureVerifier(s.slack_signing_secret) if s.slack_signing_secret else None

    class Handler(BaseHTTPRequestHandler):
        timeout = s.cx_slack_read_timeout_s  # a client that trickles its request is dropped

        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
            self.send_response(status)
            for name, values in (headers or {}).items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.close_connection = True
            if self.path.split("?")[0] != "/healthz":
                self.reply(404)
                return
            try:
                report = front.service.report()
            except Exception as exc:  # the job table cannot be read
                report = {"status": "stopped", "reason": f"database: {type(exc).__name__}"}
            status = 503 if report["status"] == "stopped" else 200
            self.reply(status, json.dumps(report).encode(),
                       {"Content-Type": ["application/json"]})  # fmt: skip

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.close_connection = True
            if self.path.split("?")[0] != PATH:
                self.reply(404)
                return
            declared = self.headers.get("Content-Length")
            if declared is None:
                self.reply(411)
                return
            if not declared.strip().isdigit():
                self.reply(400)  # "-1", "1e9", "abc": never read until the client closes
                return
            length = int(declared)
            if length > max_body:
                self.reply(413)
                return
            try:
                raw = self.rfile.read(length)
            except TimeoutError:
                return  # the client stopped sending: drop it
            if len(raw) != length:
                self.reply(400)
                return
            ts = self.headers.get("X-Slack-Request-Timestamp", "")
            sig = self.headers.get("X-Slack-Signature", "")
            # The verifier reads the timestamp as an int: a missing or non-numeric one would
            # raise instead of failing the check.
            if verifier is not None and not (ts.isdigit() and verifier.is_valid(raw, ts, sig)):
                log.info("rejected a request with a bad or stale signature (%d bytes)", length)
                self.reply(401)
                return
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.reply(400)
                return
            headers = {k.lower(): [v] for k, v in self.headers.items()}
            ack = front.accept(body, headers)
            self.reply(ack.status, ack.body.encode("utf-8"),
                       {"Content-Type": [ack.content_type]} if ack.body else None)  # fmt: skip

    return BoundedServer((host, port), Handler, s.cx_slack_max_connections)
