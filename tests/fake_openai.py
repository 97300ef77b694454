"""An OpenAI-compatible chat server on 127.0.0.1 that plays scripted turns.

It speaks the real wire protocol of POST /v1/chat/completions (tool calls included), so the
real `openai` client inside LangChain's ChatOpenAI talks to it unchanged. Each request
takes the next turn of the script: a callable(request) -> response body, an HTTP status
(int), ("sleep", seconds) to provoke a client timeout, or a `Trickle` (a streamed answer
that writes a piece every so often, for ever unless told how many). Every request is
recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Trickle:
    """A streamed answer written `piece` by `piece`, one every `every` seconds; endless
    when `pieces` is None. It stops when the client hangs up."""

    piece: str = "still thinking… "
    every: float = 0.1
    pieces: int | None = None


Turn = Callable[[dict], dict] | int | tuple[str, float] | Trickle


def tool_call(
    name: str, arguments: dict[str, Any] | str, call_id: str = "call_1"
) -> Callable[[dict], dict]:
    """One call of a tool; `arguments` as a string is sent as it is (e.g. not JSON)."""
    return tool_calls([(name, arguments)], call_id)


def tool_calls(
    calls: list[tuple[str, dict[str, Any] | str]], call_id: str = "call"
) -> Callable[[dict], dict]:
    """Several tool calls in one turn, with ids `{call_id}_{i}`."""

    def turn(_request: dict) -> dict:
        return _completion({"role": "assistant", "content": None, "tool_calls": [{
            "id": f"{call_id}_{i}" if len(calls) > 1 else call_id, "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str)
                         else json.dumps(args)},
        } for i, (name, args) in enumerate(calls)]}, "tool_calls")  # fmt: skip

    return turn


def final(text_from: Callable[[dict], str]) -> Callable[[dict], dict]:
    def turn(request: dict) -> dict:
        return _completion({"role": "assistant", "content": text_from(request)}, "stop")

    return turn


def _completion(message: dict, finish: str) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": "scripted", "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


class ScriptedOpenAI:
    def __init__(self, script: list[Turn]) -> None:
        self.script = list(script)
        self.requests: list[dict] = []
        self.hung_up = threading.Event()  # a client closed a stream before its end
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                turn = server.script.pop(0) if server.script else 500
                if isinstance(turn, Trickle):
                    self._trickle(turn)
                    return
                if isinstance(turn, tuple):
                    time.sleep(turn[1])
                    turn = final(lambda r: "too late")
                if isinstance(turn, int):
                    payload, status = (
                        {"error": {"message": "scripted failure", "type": "server"}},
                        turn,
                    )
                else:
                    payload, status = turn(body), 200
                    if body.get("stream"):
                        self._stream(payload)
                        return
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _chunk(self, delta: dict, finish: str | None = None) -> None:
                chunk = {
                    "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
                    "model": "scripted",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }  # fmt: skip
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            def _trickle(self, turn: Trickle) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                sent = 0
                try:
                    self._chunk({"role": "assistant", "content": ""})
                    while turn.pieces is None or sent < turn.pieces:
                        if server.closing.wait(turn.every):
                            return
                        self._chunk({"content": turn.piece})
                        sent += 1
                    self._chunk({}, "stop")
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    server.hung_up.set()

            def _stream(self, completion: dict) -> None:
                """The completion as server-sent chunks, the text in a few slow pieces."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                message = completion["choices"][0]["message"]
                deltas: list[dict] = [{"role": "assistant", "content": ""}]
                if message.get("tool_calls"):
                    deltas.append(
                        {
                            "tool_calls": [
                                {"index": i, **call} for i, call in enumerate(message["tool_calls"])
                            ]
                        }
                    )
                else:
                    text = message["content"]
                    step = max(1, len(text) // 5)
                    deltas += [{"content": text[i : i + step]} for i in range(0, len(text), step)]
                try:
                    for delta in deltas:
                        self._chunk(delta)
                        time.sleep(0.1)
                    self._chunk({}, completion["choices"][0]["finish_reason"])
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    server.hung_up.set()  # the client cut the answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def tool_messages(self, request_index: int) -> list[dict]:
        return [m for m in self.requests[request_index]["messages"] if m["role"] == "tool"]
