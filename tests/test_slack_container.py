"""Slack's AI-app container and agent view: prompts the policy lets the user run, a greeting
in their language, status and title, files in threads, a failing status that never stops the
answer, and the channel the user is viewing as the place Share posts to."""

import json

import pytest
from slack_harness import (
    action,
    blocks_of,
    copy_feedback_kb,
    event,
    start_bot,
    text_of,
    wait_answers,
    wait_until,
)

THREAD = "1700000005.000500"


@pytest.fixture(scope="module")
def small_kb(small_feedback, tmp_path_factory):
    return copy_feedback_kb(small_feedback, tmp_path_factory.mktemp("small-feedback"))


@pytest.fixture
def bot(small_kb, tmp_path):
    bot = start_bot(small_kb, tmp_path / "r.sqlite")
    bot.slack.users["U0ALLOWED"] = {"id": "U0ALLOWED", "locale": "en-US"}
    bot.slack.users["U0OTHER"] = {"id": "U0OTHER", "locale": "vi-VN"}
    yield bot
    bot.close()


def _started(bot, user: str, event_id: str, nth: int = 1) -> dict:
    body = json.loads(event("assistant_thread_started.json", event_id))
    body["event"]["assistant_thread"]["user_id"] = user
    assert bot.post(json.dumps(body))[0].status_code == 200
    return bot.slack.wait_for("assistant.threads.setSuggestedPrompts", nth)[nth - 1]


def _message(bot, event_id: str, text: str, **changes) -> None:
    body = event("assistant_user_message.json", event_id, text=text, **changes)
    assert bot.post(body)[0].status_code == 200


def test_prompts_and_greeting_follow_the_policy_and_the_users_language(bot):
    allowed = _started(bot, "U0ALLOWED", "Ev0S1")
    titles = [p["title"] for p in allowed["prompts"]]
    assert "Draft a persona" in titles and "Summarize the delivery journey" in titles
    greeting = bot.slack.of("chat.postMessage")[0]
    assert greeting["text"].startswith("Hi!") and "Xin chào" not in greeting["text"]

    # U0OTHER may not use the feedback tools here, and their Slack locale is Vietnamese.
    other = _started(bot, "U0OTHER", "Ev0S2", nth=2)
    assert other["title"] == "Tôi có thể giúp gì?"
    messages = [p["message"] for p in other["prompts"]]
    assert messages and not any("persona" in m.lower() or "giao hàng" in m for m in messages)
    assert bot.slack.wait_for("chat.postMessage", 2)[-1]["text"].startswith("Xin chào")
    # Every prompt offered is answered, none refused.
    for i, message in enumerate(messages):
        _message(bot, f"Ev0P{i}", message, user="U0OTHER", ts=f"1700000010.00000{i}")
    for posted in wait_answers(bot.slack, len(messages)):
        assert "not available to you" not in text_of(posted)


def test_a_suggested_prompt_runs_in_the_container_with_status_and_title(bot):
    _message(bot, "Ev0M1", "Draft a persona for first-time online buyers")
    posted = wait_answers(bot.slack)[0]
    assert posted["channel"] == "D0DIRECT" and posted["thread_ts"] == THREAD
    shown = text_of(posted)
    assert "only available" not in shown and "not available to you" not in shown
    assert "persona" in shown.lower()
    status = bot.slack.of("assistant.threads.setStatus")[0]
    assert status["status"] and status["loading_messages"]
    title = bot.slack.of("assistant.threads.setTitle")[0]
    assert title["title"] == "Draft a persona for first-time online buyers"


def test_a_failing_status_never_stops_the_answer(bot):
    bot.slack.errors["assistant.threads.setStatus"] = ["not_allowed_token_type"] * 5
    bot.slack.errors["assistant.threads.setTitle"] = ["not_allowed_token_type"] * 5
    _message(bot, "Ev0M2", "Atlas hành trình là gì?")  # asked in Vietnamese: a Vietnamese answer
    posted = wait_answers(bot.slack)[0]
    assert "kho lưu trữ" in text_of(posted)
    working = bot.slack.of("chat.postMessage")[0]  # told it is working another way
    assert working["text"] in ("Working on it…", "Đang xử lý…")  # in the question's language
    assert posted["ts"] == working["_ts"]


def test_files_in_a_container_thread_are_handled_like_in_a_dm(bot):
    bot.slack.files["survey.csv"] = "comment,n_star\nPin yếu quá,1\nGiao hàng nhanh,5\n".encode()
    files = [{"id": "F0CSV", "name": "survey.csv", "filetype": "csv", "mimetype": "text/csv",
              "size": 60, "url_private": f"{bot.slack.base}/files/survey.csv"}]  # fmt: skip
    _message(bot, "Ev0F1", "", subtype="file_share", files=files)
    report = bot.slack.wait_for("chat.postMessage")[0]
    assert report["thread_ts"] == THREAD and "2 accepted" in report["text"]
    image = [{"id": "F0IMG", "name": "chart.png", "mimetype": "image/png", "size": 10}]
    _message(bot, "Ev0F2", "what is in this picture?", subtype="file_share", files=image,
             ts="1700000008.000800")  # fmt: skip
    assert "can't read images" in text_of(wait_answers(bot.slack)[0])


def test_agent_view_messages_tab_shows_the_prompts_the_user_may_run(bot):
    assert bot.post(event("app_home_opened_messages.json", user="U0OTHER"))[0].status_code == 200
    prompts = bot.slack.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert prompts["channel_id"] == "D0DIRECT" and "thread_ts" not in prompts
    assert prompts["prompts"] and not any("persona" in p["message"].lower()
                                          for p in prompts["prompts"])  # fmt: skip


def test_the_channel_being_viewed_is_where_share_posts(bot):
    assert bot.post(event("assistant_thread_context_changed.json"))[0].status_code == 200
    # The event is acknowledged at once and stored by its listener (in the shared store,
    # where any instance reads it); the next message comes after that, as a person's would.
    wait_until(lambda: bot.ctx.viewing.get(f"D0DIRECT:{THREAD}"), what="the context stored")
    _message(bot, "Ev0M3", "What is a journey atlas?")
    posted = wait_answers(bot.slack)[0]
    buttons = [e["action_id"] for b in blocks_of(posted) if b["type"] == "actions"
               for e in b["elements"]]  # fmt: skip
    assert "answer_share" in buttons
    answer_id = next(b for b in blocks_of(posted) if b["type"] == "actions")["elements"][0]["value"]
    click = action("answer_share", answer_id, f"{bot.slack.base}/response/share",
                   channel={"id": "D0DIRECT", "name": "directmessage"},
                   container={"type": "message", "message_ts": posted["_ts"],
                              "channel_id": "D0DIRECT", "is_ephemeral": False,
                              "thread_ts": THREAD})  # fmt: skip
    bot.post(click, content_type="application/x-www-form-urlencoded")
    shared = bot.slack.wait_for("chat.postMessage", 2)[-1]
    assert shared["channel"] == "C0DELIVERY"
    header = blocks_of(shared)[0]["elements"][0]["text"]
    assert header == "Shared by <@U0ALLOWED>: What is a journey atlas?"
