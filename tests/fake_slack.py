"""A Slack Web API stand-in on 127.0.0.1 that records every call.

It answers the methods the bot uses with Slack's response shapes (auth.test, chat.*
including the streaming methods, files.* for files_upload_v2, assistant.threads.*,
conversations.replies, users.info), serves files for download, receives response_url posts,
and can answer a method with HTTP 429 + Retry-After, or with a Slack error ("ok": false), a
given number of times.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the bot makes many calls at once under load


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}
        self.rate_limit: dict[str, int] = {}
        self.errors: dict[str, list[str]] = {}  # method -> errors to answer, one per call
        self.replies: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (channel, ts) -> thread
        self.users: dict[str, dict[str, Any]] = {}  # user id -> users.info's "user"
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any, headers: dict | None = None) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                path = urllib.parse.urlparse(self.path).path
                if path.startswith("/api/"):  # methods the SDK calls with GET
                    self._method(path, b"")
                    return
                name = self.path.rsplit("/", 1)[-1]
                if name in fake.files:
                    self._send(200, fake.files[name])
                else:
                    self._send(404, {"ok": False})

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = urllib.parse.urlparse(self.path).path
                if path.startswith("/upload/") or path.startswith("/response/"):
                    # A response_url message is JSON the tests read whole (a roadmap with its
                    # quoted evidence passes 20 KB); an upload's bytes are kept in part.
                    keep = raw if path.startswith("/response/") else raw[:20000]
                    fake.record(path, {"bytes": len(raw), "body": keep.decode("utf-8", "replace")})
                    self._send(200, {"ok": True})
                    return
                self._method(path, raw)

            def _method(self, path: str, raw: bytes) -> None:
                method = path.removeprefix("/api/")
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype and raw:
                    params = json.loads(raw)
                else:
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                params.update({k: v[0] for k, v in query.items()})
                with fake._lock:
                    limited = fake.rate_limit.get(method, 0)
                    if limited:
                        fake.rate_limit[method] = limited - 1
                    errors = fake.errors.get(method) or []
                    error = errors.pop(0) if errors else None
                fake.record(method, params)
                if limited:
                    self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                    return
                if error:
                    self._send(200, {"ok": False, "error": error})
                    return
                reply = fake.reply(method, params)
                if "ts" in reply:
                    params["_ts"] = reply["ts"]  # the ts Slack gave the message
                self._send(200, reply)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.api_url = f"{self.base}/api/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def record(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append((method, params))

    def reply(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
                "team_id": "T0CX",
                "url": "https://cx.slack.com/",
                "team": "cx",
                "user": "cx-bot",
            }
        if method in ("chat.postMessage", "chat.update", "chat.startStream", "chat.stopStream"):
            ts = params.get("ts") or f"1800000000.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {}}
        if method == "conversations.replies":
            thread = self.replies.get((params.get("channel", ""), params.get("ts", "")), [])
            return {"ok": True, "messages": thread, "has_more": False}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.base}/upload/F0CHART", "file_id": "F0CHART"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0CHART", "title": "chart"}]}
        return {"ok": True}

    def of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} call(s) of {method} expected, got {len(self.of(method))}")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
