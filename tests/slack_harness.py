"""The real Bolt app served over HTTP with signed requests, Slack's Web API played by the
recording FakeSlack; payloads come from tests/fixtures/slack (shapes from Slack's
documentation and Bolt's own fixtures)."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fake_slack import FakeSlack

from assistant.agent.agent import Agent
from assistant.agent.registry import Registry
from assistant.chat.conversation import AccessPolicy, Conversations
from assistant.chat.ratings import RatingsStore
from assistant.core.answers import Answer
from assistant.kb.base import KnowledgeBase
from assistant.storage import open_engine
from assistant.surfaces.slack.app import build_app
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.http_server import make_server
from assistant.surfaces.slack.service import SlackService
from conftest import REPO, free_port

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
SECRET = "test-signing-secret"


def sign(body: str, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={sig}"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def event(name: str, event_id: str | None = None, **changes: Any) -> str:
    """An Events API fixture as a body, with fields of its `event` changed."""
    body = fixture(name)
    if event_id:
        body["event_id"] = event_id
    body["event"].update(changes)
    return json.dumps(body)


def action(action_id: str, value: str, response_url: str, **changes: Any) -> str:
    """A block_actions fixture as a form body (the clicked message's buttons carry `value`);
    `changes` replace top-level fields ("user", "channel", "container", "message")."""
    raw = (FIXTURES / "block_action.json").read_text(encoding="utf-8")
    payload = json.loads(raw.replace("ANSWER_ID", value))
    payload["actions"][0]["action_id"] = action_id
    payload["response_url"] = response_url
    payload.update(changes)
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def small_feedback_kb(full_kb: KnowledgeBase, folder: Path, rows: int = 600) -> KnowledgeBase:
    """The session index (methodology, atlas) with a small feedback store of the shipped
    comments: heavy requests stay real but take a second or two, not half a minute."""
    lines = (REPO / "corpus" / "feedback" / "uit-visfd-train.csv").read_text(
        encoding="utf-8"
    ).splitlines(keepends=True)
    sample = folder / "sample.csv"
    sample.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    settings = full_kb.settings.model_copy(update={"cx_data_dir": folder / "data"})
    kb = KnowledgeBase(settings=settings, embedder=full_kb.embedder, client=full_kb.client)
    kb.ingest(sample, progress=False, embed=False)
    kb.tag_feedback(progress=False)
    return kb


def copy_feedback_kb(kb: KnowledgeBase, folder: Path) -> KnowledgeBase:
    """A copy of a small_feedback_kb's data folder in `folder`, for a module that changes its
    feedback; it reads the session's Chroma index through the same client, as the original."""
    data = folder / "data"
    shutil.copytree(kb.settings.cx_data_dir, data)
    settings = kb.settings.model_copy(update={"cx_data_dir": data})
    return KnowledgeBase(settings=settings, embedder=kb.embedder, client=kb.client)


@dataclass
class Bot:
    slack: FakeSlack
    ctx: BotContext
    url: str
    server: Any
    # One client for every request: a new httpx client per request builds an SSL context,
    # CPU the measured process would spend on the test, not on the bot.
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def post(
        self,
        body: str,
        content_type: str = "application/json",
        headers: dict | None = None,
        signed: bool = True,
    ) -> tuple[httpx.Response, float]:
        h = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        start = time.perf_counter()
        resp = self.http.post(self.url, content=body.encode(), headers=h)
        return resp, time.perf_counter() - start

    def close(self) -> None:
        self.http.close()
        self.server.shutdown()
        self.server.server_close()
        self.ctx.close()
        self.slack.close()


# Short waits, so that retries, deadlines and leases play out within a test.
FAST = {"cx_slack_retry_base_s": 0.2, "cx_slack_retry_max_s": 1.0, "cx_slack_late_retry_s": 0.5,
        "cx_slack_lease_s": 5.0, "cx_slack_api_timeout_s": 5.0, "cx_slack_listener_threads": 4}


def start_bot(
    kb: KnowledgeBase, ratings: Path, slack: FakeSlack | None = None, **settings: Any
) -> Bot:
    """The real app over HTTP against a FakeSlack; its job table and outbox live in
    `state.sqlite` beside `ratings` (a second bot on the same folder resumes them)."""
    slack = slack or FakeSlack()
    s = kb.settings.model_copy(update={
        "slack_bot_token": "xoxb-test", "slack_signing_secret": SECRET,
        "slack_api_url": slack.api_url, "cx_allowed_users": "U0ALLOWED", "cx_contact": "#cx-team",
        **FAST, **settings,
    })  # fmt: skip
    # The jobs and outbox live in that database; the knowledge base keeps its feedback in its
    # own folder (with CX_DATABASE_URL set, issue #22 stores feedback in the database too).
    kb_settings = s.model_copy(update={"cx_database_url": kb.settings.cx_database_url})
    kb = type(kb)(settings=kb_settings, embedder=kb.embedder, client=kb.client)
    conversations = Conversations(Agent(kb), AccessPolicy(s, Registry()), RatingsStore(ratings))
    conversations.warm_up()  # as `cx-assistant slack` does before it serves
    # The job table of this bot, not CX_DATABASE_URL: that would move the feedback store too
    # (the session's index keeps its feedback in its data folder, shared by every test).
    state = open_engine(s, f"sqlite:///{ratings.parent / 'state.sqlite'}")
    ctx = BotContext(conversations=conversations, settings=s, service=SlackService(s, state))
    build_app(ctx)
    server = make_server(ctx.front, "127.0.0.1", free_port(), s)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    return Bot(slack, ctx, url, server)


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def is_answer(params: dict[str, Any]) -> bool:
    """A message that carries an answer (its 👍/👎 buttons)."""
    return any(
        b.get("type") == "actions" and str(b.get("block_id", "")).startswith("answer_actions_")
        for b in blocks_of(params)
    )


def answers(slack: FakeSlack) -> list[tuple[str, dict[str, Any]]]:
    """(method, params) of every call that delivered an answer, in order (a call Slack
    refused, a 429 or an error, delivered nothing)."""
    methods = ("chat.postMessage", "chat.update", "chat.stopStream")
    with slack._lock:
        calls = list(slack.calls)
    return [(m, p) for m, p in calls if m in methods and is_answer(p) and "_refused" not in p]


def wait_answers(slack: FakeSlack, count: int = 1, timeout: float = 90.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for _, p in answers(slack)]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} answer(s) expected, got {len(answers(slack))}")


def thread_of(slack: FakeSlack, params: dict[str, Any]) -> str | None:
    """The thread a message is in; for a chat.update, the thread of the message it edits."""
    if params.get("thread_ts"):
        return params["thread_ts"]
    posted = [p for p in slack.of("chat.postMessage") if p.get("_ts") == params.get("ts")]
    return posted[0].get("thread_ts") if posted else None


def text_of(params: dict[str, Any]) -> str:
    """Everything a message shows: its text and its blocks, as one string."""
    return str(params.get("text", "")) + json.dumps(blocks_of(params), ensure_ascii=False)


def wait_until(predicate: Any, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# -- the load mix (tests/test_slack_load.py asserts its behaviour, benchmarks/run.py times it)
HEAVY = ["pains delivery", "persona warranty", "tóm tắt hành trình giao hàng",
         "what hurts customers most after delivery?"]  # fmt: skip
FORM = "application/x-www-form-urlencoded"


@dataclass
class LoadMix:
    """20 heavy mentions sent at once, then a /cx help, a light question and a click."""

    heavy: list[str]
    heavy_ts: list[str]
    after: dict[str, tuple[str, str]]  # name -> (body, content type)
    light_ts: str


def load_mix(bot: Bot) -> LoadMix:
    heavy_ts = [f"1700000200.{i:06d}" for i in range(20)]
    heavy = [
        event("app_mention.json", f"Ev0H{i}", ts=ts, user=f"U0HEAVY{i % 5}",
              text=f"<@U0BOT> {HEAVY[i % len(HEAVY)]}")
        for i, ts in enumerate(heavy_ts)
    ]  # fmt: skip
    response_url = urllib.parse.quote(f"{bot.slack.base}/response/help", safe="")
    slash = (FIXTURES / "slash_cx.txt").read_text().strip().replace("RESPONSE_URL", response_url)
    slash = slash.replace("text=pains+warranty", "text=help")
    stored = Answer(question="q?", lang="en", answer="An answer", citations=[], tool="search")
    answer_id = bot.ctx.ratings.save_answer(stored, "U0ALLOWED", "slack", "C0GENERAL:1700000000.1")
    click = action("answer_feedback_up", answer_id, f"{bot.slack.base}/response/click")
    light_ts = "1700000300.000001"
    light = event("app_mention.json", "Ev0LIGHT", ts=light_ts, user="U0LIGHT",
                  text="<@U0BOT> What is a journey atlas?")  # fmt: skip
    after = {"slash": (slash, FORM), "light": (light, "application/json"), "click": (click, FORM)}
    return LoadMix(heavy, heavy_ts, after, light_ts)


def post_together(bot: Bot, requests: dict[str, tuple[str, str]]) -> dict[str, tuple]:
    """Post each (body, content type) on its own thread at once: name -> (response, s)."""
    results: dict[str, tuple] = {}
    threads = [
        threading.Thread(target=lambda k=k, b=b, c=c: results.__setitem__(k, bot.post(b, c)))
        for k, (b, c) in requests.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
