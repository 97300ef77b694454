"""Builds the Bolt app whose listeners run acknowledged requests on the dispatchers, and
starts the durable service (service.py). Nothing else.

The app never acknowledges anything itself (the front door did, before the job was
stored): it runs with `process_before_response=True` on the dispatcher's thread, its
authorize is the identity fetched at start (no auth.test per request, none at build time,
so a start with Slack unreachable does not fail), and the signature was checked at the
door.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.socket_mode.response import SocketModeResponse

from assistant.core.errors import ConfigError
from assistant.surfaces.slack.answering import QUEUE_NOTE_AFTER_S, waiting_note
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.listeners import register


def build_app(ctx: BotContext, start: bool = True) -> App:
    settings = ctx.settings
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (see the README: Slack).")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise ConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)."
        )
    service = ctx.svc
    api = service.api
    app = App(
        # Without a token: Bolt gives listeners a client with the authorized one; ours use
        # ctx.api (no 429 retries) anyway.
        client=WebClient(base_url=api.base_url, timeout=api.timeout,
                         retry_handlers=api.retry_handlers),  # fmt: skip
        authorize=lambda enterprise_id, team_id: service.authorize(),
        signing_secret=settings.slack_signing_secret or "socket-mode",
        request_verification_enabled=False,  # verified at the door, before it was stored
        token_verification_enabled=False,
        ssl_check_enabled=False,
        url_verification_enabled=False,
        process_before_response=True,  # run on the dispatcher's thread, in order
    )

    @app.error
    def on_error(error: Exception) -> None:
        service.listener_error(error)

    register(app, ctx)
    # A request waiting for its asker's turn across instances is told so, as one queued
    # here is (answering.QueueNote).
    service.waiting_note = lambda job, ahead: waiting_note(ctx, job, ahead)
    service.note_after_s = QUEUE_NOTE_AFTER_S
    if start:
        service.start(app)
    return app


def on_socket_request(ctx: BotContext, client: Any, req: Any) -> None:
    """Socket Mode: the same front door as HTTP mode (store, then acknowledge; a request
    that could not be stored is not acknowledged, so Slack sends it again)."""
    payload = req.payload or {}
    if req.type == "events_api":
        body, ctype = json.dumps(payload), "application/json"
    else:  # slash_commands, interactive: the form body Slack would have posted
        if req.type == "interactive":
            body = "payload=" + urllib.parse.quote(json.dumps(payload))
        else:
            body = urllib.parse.urlencode({k: str(v) for k, v in payload.items()})
        ctype = "application/x-www-form-urlencoded"
    ack = ctx.front.accept(body, {"content-type": [ctype]})
    if ack.status != 200:
        return
    answer = json.loads(ack.body) if ack.body.startswith("{") else None
    client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id,
                                                        payload=answer))  # fmt: skip
