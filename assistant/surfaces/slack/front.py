"""The front door: what runs on the thread that acknowledges a Slack request.

Only this, all local: (the signature is checked before, by the HTTP server) parse the
body, claim the event id (a re-sent or already-seen event is acknowledged and dropped),
store the request as a job, wake a dispatcher, acknowledge. No Web API call, no routing,
no waiting on Slack: an acknowledgement takes a database write, whatever Slack is doing.
`app_uninstalled` and `tokens_revoked` are handled here (they only stop work). When the
job table cannot be written the request is refused with 503, so that Slack sends it again
rather than it being acknowledged and lost.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from dataclasses import dataclass
from typing import Any

from assistant.core.text import detect_lang
from assistant.surfaces.slack.blocks import LABELS
from assistant.surfaces.slack.service import SlackService

log = logging.getLogger(__name__)
# Message subtypes a person writes; the rest (edits, deletions, joins, the bot's own posts)
# are acknowledged and not stored.
HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast")
LIFECYCLE = ("app_uninstalled", "tokens_revoked")
KEPT_HEADERS = ("content-type", "x-slack-retry-num", "x-slack-retry-reason")


@dataclass
class Ack:
    status: int
    body: str = ""
    content_type: str = "text/plain"


class FrontDoor:
    def __init__(self, service: SlackService) -> None:
        self.service = service

    def accept(self, body: str, headers: dict[str, list[str]]) -> Ack:
        """Acknowledge one verified request (headers: lower-case name -> values)."""
        ctype = (headers.get("content-type") or [""])[0]
        try:
            if "json" in ctype or body.lstrip().startswith("{"):
                return self._event(json.loads(body), body, headers)
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
            return self._form(form, body, headers)
        except ValueError:
            return Ack(400)
        except Exception:  # the job table cannot be written: Slack will send it again
            log.exception("storing a Slack request failed; answered 503 so Slack retries")
            return Ack(503)

    def _store(self, body: str, headers: dict[str, list[str]], team: str,
               asker: str = "") -> None:  # fmt: skip
        kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
        self.service.enqueue(body, kept, team, asker)

    def _event(self, data: dict[str, Any], body: str, headers: dict[str, list[str]]) -> Ack:
        kind = data.get("type")
        if kind == "url_verification":
            return Ack(200, json.dumps({"challenge": data.get("challenge", "")}),
                       "application/json")  # fmt: skip
        if kind != "event_callback":
            log.info("Slack sent %s", str(kind)[:40])  # app_rate_limited, …
            return Ack(200)
        event = data.get("event") or {}
        team = str(data.get("team_id") or "")
        if event.get("type") in LIFECYCLE:
            self.service.lifecycle(team, event["type"], event)
            return Ack(200)
        if team in self.service.stopped_teams:
            return Ack(200)
        if event.get("type") == "message" and (
            event.get("bot_id") or event.get("subtype") not in HANDLED_SUBTYPES
        ):
            return Ack(200)  # nothing a person asked
        event_id = str(data.get("event_id") or "")
        if event_id and not self.service.events.claim(event_id):
            return Ack(200)  # Slack's re-send, or another instance has it
        # What a person wrote may become an answer: it counts towards their limit. Clicks
        # (votes, buttons) are not held behind their answers.
        self._store(body, headers, team, str(event.get("user") or ""))
        return Ack(200)

    def _form(self, form: dict[str, str], body: str, headers: dict[str, list[str]]) -> Ack:
        if form.get("ssl_check"):
            return Ack(200)
        if "payload" in form:  # a click (block_actions) or another interaction
            payload = json.loads(form["payload"])
            team = str((payload.get("team") or {}).get("id") or "")
            if team in self.service.stopped_teams:
                return Ack(200)
            self._store(body, headers, team)
            return Ack(200)
        if form.get("command"):
            team = form.get("team_id", "")
            text = form.get("text") or "help"
            if team in self.service.stopped_teams:
                return Ack(200)
            self._store(body, headers, team, form.get("user_id", ""))
            working = LABELS[detect_lang(text)]["working"]
            return Ack(200, json.dumps({"response_type": "ephemeral", "text": working}),
                       "application/json")  # fmt: skip
        return Ack(400)
