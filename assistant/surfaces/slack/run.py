"""Running the bot: Socket Mode when an app token is set, otherwise HTTP.

SIGTERM (or Ctrl-C) stops it cleanly: the server stops taking requests, the work in hand
gets CX_SLACK_DRAIN_S to finish, the rest is handed back to the job table, and the next
start resumes it (and every stored reply not yet delivered); then the process exits 0."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any, NoReturn

from assistant.agent.agent import Agent
from assistant.agent.memory import StoredMemory
from assistant.agent.registry import Registry
from assistant.chat.conversation import Conversations
from assistant.core.logs import install_safe_logs
from assistant.core.settings import Settings
from assistant.kb.base import KnowledgeBase
from assistant.storage import open_engine, upgrade
from assistant.surfaces.slack.app import build_app, on_socket_request
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.http_server import PATH, make_server


def run(settings: Settings) -> NoReturn:
    install_safe_logs()
    registry = Registry()
    registry.load_plugins()
    # Several instances sharing CX_DATABASE_URL share each thread's memory too.
    memory = None
    if settings.cx_database_url:
        engine = open_engine(settings)
        upgrade(engine)
        memory = StoredMemory(engine)
    agent = Agent(KnowledgeBase.open(settings), registry, memory)
    ctx = BotContext(conversations=Conversations.open(agent, settings), settings=settings)
    ctx.conversations.warm_up()
    build_app(ctx)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        print(f"Slack: stopping ({signal.Signals(signum).name})", file=sys.stderr)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if settings.slack_app_token:
        from slack_sdk.socket_mode import SocketModeClient

        print("Slack: Socket Mode", file=sys.stderr)
        client = SocketModeClient(app_token=settings.slack_app_token, web_client=ctx.api)
        client.socket_mode_request_listeners.append(
            lambda c, req: on_socket_request(ctx, c, req)
        )
        client.connect()
        stop.wait()
        client.close()
    else:
        server = make_server(ctx.front, settings.cx_slack_host, settings.cx_slack_port, settings)
        print(
            f"Slack: listening on http://{settings.cx_slack_host}:{settings.cx_slack_port}{PATH}",
            file=sys.stderr,
        )
        threading.Thread(target=server.serve_forever, name="slack-http", daemon=True).start()
        stop.wait()
        server.shutdown()  # no new requests; Slack sends them again, here or elsewhere
        server.server_close()
    left = ctx.svc.stop()
    ctx.intake.close()
    if ctx.work is not None:
        ctx.work.join(settings.cx_slack_drain_s)
    print(f"Slack: stopped ({left['handed_back']} request(s) handed back, "
          f"{left['replies_pending']} reply(ies) stored for the next start)", file=sys.stderr)
    # Everything to keep is in the store now: a worker still inside an answer past the drain
    # time had its job handed back above. Leave without the interpreter's shutdown, which
    # tears down native libraries (Chroma, onnxruntime) under such a daemon thread and can
    # crash the process (SIGSEGV) after a clean stop.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)
