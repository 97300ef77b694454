"""A Slack Web API stand-in on 127.0.0.1 that records every call.

It answers the methods the bot uses with Slack's response shapes (auth.test, chat.*
including the streaming methods, files.* for files_upload_v2, assistant.threads.*,
conversations.replies, conversations.info, users.info), serves files for download, receives
response_url posts, and injects faults: a method (or "*", every one) answered with HTTP 429
and a given Retry-After, or with a Slack error ("ok": false: `invalid_auth`,
`token_revoked`, …) a given number of times, answered after a delay, or the whole server
stopped (connections refused) and started again on the same port. It checks what Slack
checks: a message's text (40,000 characters), blocks (50) and section text (3,000); a
message past them is refused (`msg_too_long`, `invalid_blocks`) and recorded in
`violations`.
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
        # channel id -> conversations.info's "channel" (default: a public channel, or a DM
        # for D…: the fake is Slack and knows; the bot must not guess from the id)
        self.channels: dict[str, dict[str, Any]] = {}
        self.retry_after: dict[str, str] = {}  # method -> Retry-After of its 429s (default 1)
        self.delays: dict[str, float] = {}  # method or "*" -> seconds before answering
        self.violations: list[tuple[str, str]] = []  # (method, what) Slack would refuse
        # method -> called (on a thread of its own) after the method's next call is
        # answered: e.g. stop Slack in the middle of a stream
        self.on_call: dict[str, Any] = {}
        # method -> seconds to wait after a call is done and recorded, before answering it:
        # Slack took the message but the answer comes too late (the client times out)
        self.lag: dict[str, float] = {}
        self.posted: list[dict[str, Any]] = []  # messages posted, with their metadata
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
                    fake.record(
                        path, {"bytes": len(raw), "body": raw[:20000].decode("utf-8", "replace")}
                    )
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
                    key = method if fake.rate_limit.get(method) else "*"
                    limited = fake.rate_limit.get(key, 0)
                    if limited:
                        fake.rate_limit[key] = limited - 1
                    errors = fake.errors.get(method) or fake.errors.get("*") or []
                    error = errors.pop(0) if errors else None
                    delay = fake.delays.get(method, fake.delays.get("*", 0.0))
                    retry_after = fake.retry_after.get(method, fake.retry_after.get("*", "1"))
                if delay:
                    time.sleep(delay)
                # Every call is recorded; one Slack did not take is marked `_refused`.
                refused = "ratelimited" if limited else error or fake.check_limits(method, params)
                if refused:
                    params["_refused"] = refused
                fake.record(method, params)
                if limited:
                    self._send(429, {"ok": False, "error": "ratelimited"},
                               {"Retry-After": retry_after})  # fmt: skip
                    return
                if refused:
                    self._send(200, {"ok": False, "error": refused})
                    return
                reply = fake.reply(method, params)
                if "ts" in reply:
                    params["_ts"] = reply["ts"]  # the ts Slack gave the message
                lag = fake.lag.get(method, 0.0)
                if lag:
                    time.sleep(lag)
                try:
                    self._send(200, reply)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up waiting: the call was done all the same
                hook = fake.on_call.pop(method, None)
                if hook is not None:
                    threading.Thread(target=hook, daemon=True).start()

        self._handler = Handler
        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base}/api/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Slack unreachable: connections to the API are refused until `start`."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def start(self) -> None:
        """Slack is back, on the same address."""
        self.httpd = _Server(("127.0.0.1", self.port), self._handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def check_limits(self, method: str, params: dict[str, Any]) -> str | None:
        """Slack's own limits on a message; the error Slack answers, or None."""
        if method not in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return None
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        text = str(params.get("text") or "")
        shown = len(text) + sum(len(str((b.get("text") or {}).get("text", ""))) for b in blocks)
        what = None
        if len(text) > 40_000 or shown > 40_000:
            what = "msg_too_long"
        elif len(blocks) > 50 or any(
            len(str((b.get("text") or {}).get("text", ""))) > 3000 for b in blocks
        ):
            what = "invalid_blocks"
        if what:
            with self._lock:
                self.violations.append((method, what))
        return what

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
            if method == "chat.postMessage":
                metadata = params.get("metadata")
                if isinstance(metadata, str):
                    metadata = json.loads(metadata)
                with self._lock:
                    self.posted.append({"ts": ts, "channel": params.get("channel"),
                                        "thread_ts": params.get("thread_ts"), "bot_id": "B0BOT",
                                        "text": params.get("text", ""), "metadata": metadata})
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {}}
        if method == "conversations.replies":
            channel, ts = params.get("channel", ""), params.get("ts", "")
            thread = list(self.replies.get((channel, ts), []))
            if params.get("include_all_metadata") in (True, "true", "1", 1):
                # The messages the bot posted there, with their metadata (what a sender
                # reads to tell whether an earlier try got there).
                with self._lock:
                    thread += [m for m in self.posted
                               if m["channel"] == channel and m["thread_ts"] == ts]
            return {"ok": True, "messages": thread, "has_more": False}
        if method == "conversations.history":
            channel = params.get("channel", "")
            with self._lock:
                found = [m for m in self.posted if m["channel"] == channel and not m["thread_ts"]]
            return {"ok": True, "messages": found[::-1], "has_more": False}
        if method == "conversations.info":
            channel = params.get("channel", "")
            info = self.channels.get(channel)
            if info is None:
                dm = channel.startswith("D")
                info = {"id": channel, "is_channel": not dm, "is_im": dm, "is_private": dm,
                        "is_mpim": False, "is_ext_shared": False}  # fmt: skip
            return {"ok": True, "channel": info}
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
