"""LLM mode in Slack: native streaming (chat.startStream/appendStream/stopStream), the
buttons added at stop, text made safe while streaming, and Slack's errors kept apart from
the model's: a rate limit or a refused stream never discards or mislabels the answer."""

import json

import pytest
from fake_openai import ScriptedOpenAI, final, tool_call
from slack_harness import answers, event, start_bot, text_of, wait_answers

HOSTILE = (
    "Atlas hành trình là một kho lưu trữ các bản đồ hành trình được kết nối với nhau "
    "[jcxm-part3#009]. Khách viết: <!channel> R&D <b>x</b> [bấm vào đây](https://evil.example/x) "
    "xem thêm https://evil.example/y nhé."
)


def _script() -> list:
    return [tool_call("search", {"question": "atlas hành trình"}), final(lambda r: HOSTILE)]


@pytest.fixture
def llm_bot(full_kb, tmp_path):
    with ScriptedOpenAI(_script()) as llm:
        bot = start_bot(full_kb, tmp_path / "r.sqlite", openai_base_url=llm.url,
                        openai_api_key="k", cx_slack_stream_interval_s=0.05)  # fmt: skip
        yield bot, llm
        bot.close()


def _mention(bot, event_id: str) -> None:
    resp, _ = bot.post(event("app_mention.json", event_id, text="<@U0BOT> Atlas hành trình là gì?"))
    assert resp.status_code == 200


def test_llm_answer_streams_natively_and_ends_with_the_buttons(llm_bot):
    bot, _ = llm_bot
    _mention(bot, "Ev0LLM1")
    stop = wait_answers(bot.slack)[0]
    slack = bot.slack
    start = slack.of("chat.startStream")[0]
    assert start["channel"] == "C0GENERAL" and start["thread_ts"] == "1700000000.000100"
    assert start["recipient_user_id"] == "U0ALLOWED" and start["recipient_team_id"] == "T0CX"
    assert answers(slack)[0][0] == "chat.stopStream"  # the buttons came with the stop
    assert slack.of("chat.update") == []  # no polling of chat.update
    streamed = "".join(
        c["text"]
        for call in slack.of("chat.startStream") + slack.of("chat.appendStream")
        + slack.of("chat.stopStream")
        for c in call.get("chunks") or []
    )  # fmt: skip
    assert streamed.startswith("Atlas hành trình là một kho")  # streamed as written
    assert len(slack.of("chat.appendStream")) >= 1
    # Nothing streamed can mention anyone or link anywhere.
    assert "<!channel>" not in streamed and "&lt;!channel&gt;" in streamed
    assert "R&amp;D" in streamed and "<b>" not in streamed
    assert "](https://evil" not in streamed and "`https://evil.example/y`" in streamed
    kinds = [b["type"] for b in json.loads(json.dumps(stop["blocks"]))]
    assert kinds[-1] == "actions" and "context" in kinds  # sources once, then 👍/👎


def test_a_rate_limited_stream_keeps_the_models_answer(llm_bot):
    bot, _ = llm_bot
    bot.slack.rate_limit["chat.appendStream"] = 3
    _mention(bot, "Ev0LLM2")
    final_message = wait_answers(bot.slack)[0]
    shown = text_of(final_message) + json.dumps(bot.slack.of("chat.stopStream"), ensure_ascii=False)
    assert "did not answer" not in shown and "không phản hồi" not in shown
    calls = [bot.slack.of(m) for m in ("chat.startStream", "chat.appendStream", "chat.stopStream")]
    streamed = "".join(c["text"] for call in sum(calls, []) for c in call.get("chunks") or [])
    assert "kết nối với nhau" in streamed and "nhé." in streamed  # the whole answer arrived


def test_a_refused_stream_posts_the_final_answer_whole(llm_bot):
    bot, _ = llm_bot
    bot.slack.errors["chat.startStream"] = ["not_allowed_token_type"] * 20
    _mention(bot, "Ev0LLM3")
    posted = wait_answers(bot.slack)[0]
    text = text_of(posted)
    assert "kết nối với nhau" in text and "did not answer" not in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "https://evil.example/x" in text and "<https://evil" not in text  # shown, not linked
