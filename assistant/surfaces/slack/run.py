"""Running the bot: Socket Mode when an app token is set, otherwise HTTP."""

from __future__ import annotations

import sys

from assistant.agent.agent import Agent
from assistant.agent.registry import Registry
from assistant.chat.conversation import Conversations
from assistant.core.logs import install_safe_logs
from assistant.core.settings import Settings
from assistant.kb.base import KnowledgeBase
from assistant.surfaces.slack.app import build_app
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.http_server import PATH, make_server


def run(settings: Settings) -> None:
    registry = Registry()
    registry.load_plugins()
    agent = Agent(KnowledgeBase.open(settings), registry)
    ctx = BotContext(conversations=Conversations.open(agent, settings), settings=settings)
    ctx.conversations.warm_up()
    app = build_app(ctx)
    install_safe_logs()
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        print("Slack: Socket Mode", file=sys.stderr)
        SocketModeHandler(app, settings.slack_app_token).start()
        return
    server = make_server(app, settings.cx_slack_host, settings.cx_slack_port, settings)
    print(
        f"Slack: listening on http://{settings.cx_slack_host}:{settings.cx_slack_port}{PATH}",
        file=sys.stderr,
    )
    server.serve_forever()
