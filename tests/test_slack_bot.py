"""The real Bolt app over HTTP with signed requests; Slack's Web API played by a local
recording server (the WebClient's base URL points at it)."""

import hashlib
import hmac
import json
import statistics
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fake_slack import FakeSlack

from assistant.agent.agent import Agent
from assistant.agent.types import Answer
from assistant.answer_ratings import RatingsStore
from assistant.bots.slack.app import build_app
from assistant.bots.slack.blocks import MAX_BLOCKS, MAX_SECTION, answer_messages
from assistant.bots.slack.context import BotContext
from assistant.bots.slack.http_server import make_server
from conftest import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
SECRET = "test-signing-secret"


def _sign(body: str, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={sig}"}


@pytest.fixture
def bot(full_kb, tmp_path):
    slack = FakeSlack()
    settings = full_kb.settings.model_copy(
        update={
            "slack_bot_token": "xoxb-test",
            "slack_signing_secret": SECRET,
            "slack_api_url": slack.api_url,
            "cx_slack_allowed_users": "U0ALLOWED",
            "cx_slack_contact": "#cx-team",
        }
    )
    kb = type(full_kb)(settings=settings, embedder=full_kb.embedder, client=full_kb.client)
    ctx = BotContext(
        agent=Agent(kb), settings=settings, ratings=RatingsStore(tmp_path / "r.sqlite")
    )
    app = build_app(ctx)
    port = free_port()
    server = make_server(app, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}/slack/events"

    def post(body: str, content_type="application/json", headers=None, signed=True):
        h = {"Content-Type": content_type, **(_sign(body) if signed else {}), **(headers or {})}
        start = time.perf_counter()
        resp = httpx.post(url, content=body.encode(), headers=h, timeout=10)
        return resp, time.perf_counter() - start

    yield slack, post, ctx
    server.shutdown()
    server.server_close()
    slack.close()


def _event(name: str, **changes) -> str:
    body = json.loads((FIXTURES / name).read_text())
    for key, value in changes.items():
        if key == "event_id":
            body["event_id"] = value
        else:
            body["event"][key] = value
    return json.dumps(body)


def test_mention_is_acked_fast_and_answered_in_the_thread(bot):
    slack, post, ctx = bot
    # Asked in Vietnamese, so that the answer is Vietnamese (English questions get English).
    resp, seconds = post(_event("app_mention.json", text="<@U0BOT> Atlas hành trình là gì?"))
    assert resp.status_code == 200 and seconds < 3
    update = slack.wait_for("chat.update")[0]
    working = slack.of("chat.postMessage")[0]
    assert working["thread_ts"] == "1700000000.000100" and working["channel"] == "C0GENERAL"
    blocks = (
        update["blocks"] if isinstance(update["blocks"], list) else json.loads(update["blocks"])
    )
    text = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "kho lưu trữ các bản đồ hành trình được kết nối" in text  # Vietnamese intact
    kinds = [b["type"] for b in blocks]
    assert kinds[-2:] == ["context", "actions"]  # citations with titles, then 👍/👎


def test_forged_or_stale_signatures_get_401_and_no_work(bot):
    slack, post, _ = bot
    body = _event("app_mention.json", event_id="Ev0FORGED")
    bad = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=deadbeef"}
    assert post(body, headers=bad, signed=False)[0].status_code == 401
    stale = _sign(body, ts=int(time.time()) - 600)
    assert post(body, headers=stale, signed=False)[0].status_code == 401
    time.sleep(0.5)
    assert slack.of("chat.postMessage") == []


def test_a_retried_event_is_answered_once(bot):
    slack, post, _ = bot
    body = _event("app_mention.json", event_id="Ev0RETRY", text="<@U0BOT> help")
    assert post(body)[0].status_code == 200
    assert (
        post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})[
            0
        ].status_code
        == 200
    )
    slack.wait_for("chat.update")
    time.sleep(1.0)
    assert len(slack.of("chat.postMessage")) == 1 and len(slack.of("chat.update")) == 1


def test_fifty_concurrent_mentions_get_one_answer_each(bot):
    slack, post, _ = bot
    bodies = [
        _event(
            "app_mention.json", event_id=f"Ev0C{i}", ts=f"1700000100.{i:06d}", text="<@U0BOT> help"
        )
        for i in range(50)
    ]
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, bodies))
    assert all(r.status_code == 200 for r, _ in results)
    latencies = sorted(s for _, s in results)
    slack.wait_for("chat.update", 50, timeout=120)
    time.sleep(0.5)
    updates = slack.of("chat.update")
    threads = [p["thread_ts"] for p in slack.of("chat.postMessage")]
    assert len(updates) == 50 and sorted(threads) == sorted(
        f"1700000100.{i:06d}" for i in range(50)
    )
    assert statistics.median(latencies) < 3 and latencies[int(0.95 * 49)] < 3


def test_slash_command_acks_then_answers_privately_with_a_share_button(bot):
    slack, post, _ = bot
    response_url = urllib.parse.quote(f"{slack.base}/response/cmd1", safe="")
    body = (FIXTURES / "slash_cx.txt").read_text().strip().replace("RESPONSE_URL", response_url)
    resp, seconds = post(body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200 and seconds < 3
    assert "Working on it" in resp.text
    posted = slack.wait_for("/response/cmd1")[0]
    payload = json.loads(posted["body"])
    assert payload["response_type"] == "ephemeral"
    actions = [
        e["action_id"] for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert "answer_share" in actions and "answer_feedback_up" in actions


def test_feedback_buttons_are_stored_and_share_posts_to_channel(bot, tmp_path):
    slack, post, ctx = bot
    answer = Answer(question="q?", lang="en", answer="An answer", citations=[], tool="search")
    answer_id = ctx.ratings.save_answer(answer, "U0ALLOWED", "C0GENERAL", "C0GENERAL:1")
    for action in ("answer_feedback_up", "answer_share"):
        payload = (
            (FIXTURES / "block_action.json")
            .read_text()
            .replace("ACTION_ID", action)
            .replace("ANSWER_ID", answer_id)
            .replace("RESPONSE_URL", f"{slack.base}/response/act")
        )
        body = "payload=" + urllib.parse.quote(payload)
        assert post(body, content_type="application/x-www-form-urlencoded")[0].status_code == 200
    slack.wait_for("chat.postEphemeral")
    shared = slack.wait_for("chat.postMessage")[0]
    assert shared["channel"] == "C0GENERAL"
    out = tmp_path / "candidates.jsonl"
    assert ctx.ratings.export(out) == 1
    row = json.loads(out.read_text())
    assert row["vote"] == "up" and row["question"] == "q?" and row["user_id"] == "U0ALLOWED"


def test_feedback_tools_are_refused_in_dms(bot):
    slack, post, _ = bot
    post(_event("message_im.json"))
    update = slack.wait_for("chat.update")[0]
    assert "only available in channels" in update["text"] + json.dumps(update.get("blocks"))
    assert "#cx-team" in json.dumps(update.get("blocks"))


def test_direct_messages_outside_threads_are_one_conversation(bot):
    slack, post, _ = bot
    first = json.loads(_event("message_im.json", event_id="Ev0D1", text="five warranty drop-off"))
    post(json.dumps(first))
    slack.wait_for("chat.update")
    second = _event("message_im.json", event_id="Ev0D2", text="còn giao hàng thì sao?",
                    ts="1700000002.000500")  # fmt: skip
    post(second)
    updates = slack.wait_for("chat.update", 2)
    assert "thread_ts" not in slack.of("chat.postMessage")[0]  # answered in place
    text = json.dumps(updates[-1], ensure_ascii=False)
    assert "Theo dõi đơn hàng" in text  # the five questions again, now for delivery


def test_follow_up_in_a_channel_thread_without_a_mention(bot):
    slack, post, _ = bot
    post(_event("app_mention.json", event_id="Ev0F1", text="<@U0BOT> tóm tắt hành trình giao hàng"))
    slack.wait_for("files.completeUploadExternal")  # the journey chart went into the thread
    follow = json.loads((FIXTURES / "message_im.json").read_text())
    follow["event"].update(
        {
            "channel_type": "channel",
            "channel": "C0GENERAL",
            "text": "còn bảo hành thì sao?",
            "thread_ts": "1700000000.000100",
            "ts": "1700000009.000900",
        }
    )
    follow["event_id"] = "Ev0F2"
    post(json.dumps(follow))
    updates = slack.wait_for("chat.update", 2)
    assert "Bảo hành và sửa chữa" in json.dumps(updates[-1], ensure_ascii=False)


def test_csv_shared_in_a_dm_is_ingested_and_reported(bot):
    slack, post, ctx = bot
    slack.files["store-survey.csv"] = (
        'comment,n_star\n"Pin yếu, gọi 0912345678",2\n,5\nGiao hàng nhanh,5\n'
    ).encode()
    body = _event("file_share_im.json").replace(
        "URL_PRIVATE", f"{slack.base}/files/store-survey.csv"
    )
    post(body)
    msg = slack.wait_for("chat.postMessage")[0]
    text = msg["text"]
    assert "2 accepted, 1 rejected" in text and "line 3" in text
    assert "0912345678" not in " ".join(
        r.text for r in ctx.agent.kb.feedback().records("store-survey")
    )


def test_images_get_a_note_not_a_pretend_answer(bot):
    slack, post, _ = bot
    body = json.loads(
        _event("app_mention.json", event_id="Ev0IMG", text="<@U0BOT> what is in this picture?")
    )
    body["event"]["files"] = [{"id": "F0IMG", "name": "screenshot.png", "mimetype": "image/png"}]
    post(json.dumps(body))
    update = slack.wait_for("chat.update")[0]
    assert "can't read images" in json.dumps(update.get("blocks"))


def test_rate_limited_calls_are_retried_after_retry_after(bot):
    slack, post, _ = bot
    slack.rate_limit["chat.postMessage"] = 1
    post(_event("app_mention.json", event_id="Ev0RL", text="<@U0BOT> help"))
    slack.wait_for("chat.update")
    assert len(slack.of("chat.postMessage")) == 2  # the 429, then the retry


def test_summarize_button_answers_for_the_shared_file_only(bot):
    slack, post, ctx = bot
    slack.files["shop.csv"] = "comment,n_star\nPin yếu quá,1\nPin tụt nhanh,2\n".encode()
    post(
        _event("file_share_im.json", event_id="Ev0SUM")
        .replace("URL_PRIVATE", f"{slack.base}/files/shop.csv")
        .replace("store-survey.csv", "shop.csv")
    )
    slack.wait_for("chat.postMessage")
    payload = (
        (FIXTURES / "block_action.json")
        .read_text()
        .replace("ACTION_ID", "summarize_file")
        .replace("ANSWER_ID", "shop")
        .replace("RESPONSE_URL", f"{slack.base}/response/x")
    )
    post("payload=" + urllib.parse.quote(payload), content_type="application/x-www-form-urlencoded")
    update = slack.wait_for("chat.update")[0]
    blocks = json.dumps(update.get("blocks"), ensure_ascii=False)
    assert "(2 " in blocks or "2 feedback records" in blocks or "2 phản hồi" in blocks


def test_errors_are_short_for_the_user_and_logged_in_full(bot, caplog):
    slack, post, ctx = bot

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded: secret internals")

    ctx.agent.ask = broken
    post(_event("app_mention.json", event_id="Ev0ERR"))
    update = slack.wait_for("chat.update")[0]
    assert update["text"].startswith("Sorry, something went wrong")
    assert "secret internals" not in json.dumps(update)
    deadline = time.monotonic() + 5
    while "database exploded" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "database exploded" in caplog.text


def test_assistant_container_suggests_prompts(bot):
    slack, post, _ = bot
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev0AST",
            "team_id": "T0CX",
            "api_app_id": "A0CX",
            "event": {
                "type": "assistant_thread_started",
                "event_ts": "1700000005.000500",
                "assistant_thread": {
                    "user_id": "U0ALLOWED",
                    "channel_id": "D0DIRECT",
                    "thread_ts": "1700000005.000500",
                    "context": {},
                },
            },
            "authorizations": [{"team_id": "T0CX", "user_id": "U0BOT", "is_bot": True}],
        }
    )
    assert post(body)[0].status_code == 200
    prompts = slack.wait_for("assistant.threads.setSuggestedPrompts")[0]
    titles = [p["title"] for p in prompts["prompts"]]
    assert "Draft a persona" in titles and "Summarize the delivery journey" in titles


def test_long_answers_split_within_slack_limits():
    answer = Answer(
        question="q",
        lang="en",
        tool="search",
        citations=[],
        answer="\n".join(f"- point {i} " + "x" * 400 for i in range(600)),
    )
    messages = answer_messages(answer, "a1")
    assert len(messages) > 1
    for m in messages:
        assert len(m["blocks"]) <= MAX_BLOCKS
        assert all(
            len(b["text"]["text"]) <= MAX_SECTION for b in m["blocks"] if b["type"] == "section"
        )
    assert messages[-1]["blocks"][-1]["type"] == "actions"


def test_llm_answer_streams_into_the_message(full_kb, tmp_path):
    from fake_openai import ScriptedOpenAI, final, tool_call

    slack = FakeSlack()
    script = [tool_call("search", {"question": "atlas hành trình"}),
              final(lambda r: "Atlas hành trình là một kho lưu trữ các bản đồ hành trình được "
                              "kết nối với nhau [jcxm-part3#009].")]  # fmt: skip
    with ScriptedOpenAI(script) as llm:
        settings = full_kb.settings.model_copy(update={
            "slack_bot_token": "xoxb-test", "slack_signing_secret": SECRET,
            "slack_api_url": slack.api_url, "openai_base_url": llm.url,
            "openai_api_key": "k", "cx_slack_stream_interval_s": 0.05,
        })  # fmt: skip
        kb = type(full_kb)(settings=settings, embedder=full_kb.embedder, client=full_kb.client)
        ctx = BotContext(agent=Agent(kb), settings=settings, ratings=RatingsStore(tmp_path / "r"))
        app = build_app(ctx)
        body = _event(
            "app_mention.json", event_id="Ev0LLM", text="<@U0BOT> Atlas hành trình là gì?"
        )
        from slack_bolt import BoltRequest

        resp = app.dispatch(
            BoltRequest(body=body, headers={k.lower(): [v] for k, v in _sign(body).items()})
        )
        assert resp.status == 200
        deadline = time.monotonic() + 60
        while not any("blocks" in u for u in slack.of("chat.update")):
            assert time.monotonic() < deadline, "the final answer never arrived"
            time.sleep(0.1)
    updates = slack.of("chat.update")
    partial = [u for u in updates if "blocks" not in u]
    assert partial and partial[0]["text"].endswith(" …")
    assert len(partial[0]["text"]) < len("Atlas hành trình là một kho lưu trữ") + 60
    final_update = next(u for u in updates if "blocks" in u)
    assert "[jcxm-part3#009]" in json.dumps(final_update["blocks"], ensure_ascii=False)
    slack.close()
