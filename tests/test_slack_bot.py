"""The real Bolt app over HTTP with signed requests; Slack's Web API played by a local
recording server (the WebClient's base URL points at it)."""

import json
import re
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from slack_harness import (
    FIXTURES,
    answers,
    blocks_of,
    event,
    sign,
    start_bot,
    text_of,
    thread_of,
    wait_answers,
)

from assistant.core.answers import Answer
from assistant.surfaces.slack.blocks import MAX_BLOCKS, MAX_SECTION, answer_messages


def test_mention_is_acked_fast_and_answered_in_the_thread(bot):
    # Asked in Vietnamese, so that the answer is Vietnamese (English questions get English).
    resp, seconds = bot.post(event("app_mention.json", text="<@U0BOT> Atlas hành trình là gì?"))
    assert resp.status_code == 200 and seconds < 3
    posted = wait_answers(bot.slack)[0]
    assert posted["thread_ts"] == "1700000000.000100" and posted["channel"] == "C0GENERAL"
    status = bot.slack.of("assistant.threads.setStatus")[0]  # a status while it works
    assert status["thread_ts"] == "1700000000.000100" and status["loading_messages"]
    blocks = blocks_of(posted)
    text = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "kho lưu trữ các bản đồ hành trình được kết nối" in text  # Vietnamese intact
    kinds = [b["type"] for b in blocks]
    assert kinds[-2:] == ["context", "actions"]  # citations with titles, then 👍/👎


def test_forged_or_stale_signatures_get_401_and_no_work(bot):
    body = event("app_mention.json", "Ev0FORGED")
    bad = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=deadbeef"}
    assert bot.post(body, headers=bad, signed=False)[0].status_code == 401
    stale = sign(body, ts=int(time.time()) - 600)
    assert bot.post(body, headers=stale, signed=False)[0].status_code == 401
    time.sleep(0.5)
    assert bot.slack.of("chat.postMessage") == []


def test_a_retried_event_is_answered_once(bot):
    body = event("app_mention.json", "Ev0RETRY", text="<@U0BOT> help")
    assert bot.post(body)[0].status_code == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.post(body, headers=retry)[0].status_code == 200
    wait_answers(bot.slack)
    time.sleep(1.0)
    assert len(answers(bot.slack)) == 1 and len(bot.slack.of("chat.postMessage")) == 1


def test_fifty_concurrent_mentions_get_one_answer_each(bot):
    bodies = [
        event("app_mention.json", f"Ev0C{i}", ts=f"1700000100.{i:06d}", text="<@U0BOT> help")
        for i in range(50)
    ]
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(bot.post, bodies))
    assert all(r.status_code == 200 for r, _ in results)
    latencies = sorted(s for _, s in results)
    wait_answers(bot.slack, 50, timeout=120)
    time.sleep(0.5)
    threads = [thread_of(bot.slack, p) for _, p in answers(bot.slack)]
    assert sorted(threads) == sorted(f"1700000100.{i:06d}" for i in range(50))
    assert statistics.median(latencies) < 3 and latencies[int(0.95 * 49)] < 3


def test_slash_command_acks_then_answers_privately_with_a_share_button(bot):
    response_url = urllib.parse.quote(f"{bot.slack.base}/response/cmd1", safe="")
    body = (FIXTURES / "slash_cx.txt").read_text().strip().replace("RESPONSE_URL", response_url)
    resp, seconds = bot.post(body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200 and seconds < 3
    assert "Working on it" in resp.text
    # A long answer comes in several private messages; the last carries the buttons.
    replies = bot.slack.wait_for("/response/cmd1")
    while not any(b["type"] == "actions" for b in json.loads(replies[-1]["body"])["blocks"]):
        replies = bot.slack.wait_for("/response/cmd1", count=len(replies) + 1)
    payloads = [json.loads(r["body"]) for r in replies]
    assert all(p["response_type"] == "ephemeral" for p in payloads)
    actions = [
        e["action_id"] for b in payloads[-1]["blocks"] if b["type"] == "actions"
        for e in b["elements"]
    ]  # fmt: skip
    assert "answer_share" in actions and "answer_feedback_up" in actions


def test_feedback_tools_are_refused_to_users_without_access(bot):
    bot.post(event("message_im.json", user="U0OTHER"))
    shown = text_of(wait_answers(bot.slack)[0])
    assert "not available to you here" in shown and "#cx-team" in shown


def test_a_top_level_dm_gets_a_thread_of_its_own_in_the_agent_view(bot):
    # Agent view (the manifest's, CX_SLACK_AGENT_VIEW): the answer, its status and its title
    # go into a thread under the message; a follow-up in that thread continues it.
    bot.post(event("message_im.json", "Ev0D1", text="five warranty drop-off"))
    first = wait_answers(bot.slack)[0]
    ts = "1700000001.000200"
    assert first["thread_ts"] == ts and first["channel"] == "D0DIRECT"
    assert bot.slack.of("assistant.threads.setStatus")[0]["thread_ts"] == ts
    assert bot.slack.wait_for("assistant.threads.setTitle")[0]["thread_ts"] == ts
    follow = event("assistant_user_message.json", "Ev0D2", text="còn giao hàng thì sao?",
                   channel="D0DIRECT", thread_ts=ts, ts="1700000002.000500")  # fmt: skip
    bot.post(follow)
    answers_ = wait_answers(bot.slack, 2)
    assert thread_of(bot.slack, answers_[-1]) == ts
    assert "Theo dõi đơn hàng" in text_of(answers_[-1])  # the five questions, for delivery


def test_direct_messages_outside_threads_are_one_conversation_in_the_older_view(
    full_kb, tmp_path
):
    bot = start_bot(full_kb, tmp_path / "r.sqlite", cx_slack_agent_view=False)
    try:
        bot.post(event("message_im.json", "Ev0D1", text="five warranty drop-off"))
        bot.slack.wait_for("chat.update")
        bot.post(event("message_im.json", "Ev0D2", text="còn giao hàng thì sao?",
                       ts="1700000002.000500"))  # fmt: skip
        updates = bot.slack.wait_for("chat.update", 2)
        assert "thread_ts" not in bot.slack.of("chat.postMessage")[0]  # answered in place
        assert "Theo dõi đơn hàng" in text_of(updates[-1])  # the five questions, for delivery
    finally:
        bot.close()


def test_follow_up_in_a_channel_thread_without_a_mention(bot):
    bot.post(event("app_mention.json", "Ev0F1", text="<@U0BOT> tóm tắt hành trình giao hàng"))
    bot.slack.wait_for("files.completeUploadExternal")  # the journey chart went into the thread
    follow = event("message_im.json", "Ev0F2", channel_type="channel", channel="C0GENERAL",
                   text="còn bảo hành thì sao?", thread_ts="1700000000.000100",
                   ts="1700000009.000900")  # fmt: skip
    bot.post(follow)
    posted = wait_answers(bot.slack, 2)
    assert "Bảo hành và sửa chữa" in text_of(posted[-1])


def _share_file(bot, name: str, data: bytes, event_id: str = "Ev0FILE", text: str = "") -> dict:
    """A file shared in the DM (with a message `text`); the report the bot posts."""
    bot.slack.files[event_id] = data  # downloaded by its id: the name may hold anything
    body = json.loads(event("file_share_im.json", event_id, text=text))
    body["event"]["files"][0].update(name=name, url_private=f"{bot.slack.base}/files/{event_id}")
    bot.post(json.dumps(body))
    return bot.slack.wait_for("chat.postMessage")[0]


def test_csv_shared_in_a_dm_is_ingested_privately_and_reported_by_its_source(bot):
    kb = bot.ctx.conversations.agent.kb
    corpus = kb.feedback().corpus_count()
    posted = _share_file(bot, "khach 0911222333.csv", (
        'comment,n_star\n"Pin yếu, gọi 0912345678",2\n,5\nGiao hàng nhanh gọn lẹ,5\n'
    ).encode())  # fmt: skip
    text = posted["text"]
    assert "2 accepted, 1 rejected" in text and "line 3" in text
    assert "0911222333" not in json.dumps(posted)  # the file's raw name is never echoed
    source = re.search(r"upload-slack-[\w.-]+", text).group(0)
    assert source in kb.feedback().private_sources() and "add to corpus" in text
    assert kb.feedback().corpus_count() == corpus  # not part of the shared corpus
    assert "0912345678" not in " ".join(r.text for r in kb.feedback().records(source))


def test_a_file_sent_with_add_to_corpus_joins_the_shared_corpus(bot):
    kb = bot.ctx.conversations.agent.kb
    corpus = kb.feedback().corpus_count()
    posted = _share_file(bot, "team.csv", "comment,n_star\nMàn hình sọc sau một tuần,1\n".encode(),
                         "Ev0ADD", text="thêm vào dữ liệu chung")  # fmt: skip
    assert "dữ liệu chung" in posted["text"]
    assert kb.feedback().corpus_count() == corpus + 1


def test_an_unreadable_file_gets_the_fixed_message_not_its_name(bot):
    posted = _share_file(bot, "kh 0911222444.csv", b"a,b\n1,2\n", "Ev0BAD")
    assert "could not load this file" in posted["text"]
    assert "no text column found" in posted["text"]
    assert "0911222444" not in json.dumps(posted) and "/tmp" not in posted["text"]


def test_images_get_a_note_not_a_pretend_answer(bot):
    body = json.loads(event("app_mention.json", "Ev0IMG", text="<@U0BOT> what is in this picture?"))
    body["event"]["files"] = [{"id": "F0IMG", "name": "screenshot.png", "mimetype": "image/png"}]
    bot.post(json.dumps(body))
    assert "can't read images" in text_of(wait_answers(bot.slack)[0])


def test_rate_limited_calls_are_retried_after_retry_after(bot):
    bot.slack.rate_limit["chat.postMessage"] = 1
    bot.post(event("app_mention.json", "Ev0RL", text="<@U0BOT> help"))
    bot.slack.wait_for("chat.postMessage", 2)
    time.sleep(0.5)
    assert len(bot.slack.of("chat.postMessage")) == 2  # the 429, then the retry


def test_summarize_button_answers_for_the_shared_file_only(bot):
    from slack_harness import action

    data = "comment,n_star\nPin yếu quá,1\nPin tụt nhanh,2\n".encode()
    posted = _share_file(bot, "shop.csv", data, "Ev0SUM")
    button = next(b for b in blocks_of(posted) if b["type"] == "actions")["elements"][0]
    assert button["value"].startswith("upload-slack-")
    body = action("summarize_file", button["value"], f"{bot.slack.base}/response/x")
    bot.post(body, content_type="application/x-www-form-urlencoded")
    shown = text_of(wait_answers(bot.slack)[0])
    assert "2 of " in shown or "2 trên " in shown  # the scope line: the file's 2 comments
    assert "Not applied" not in shown and "Không áp dụng" not in shown  # nobody asked


def test_errors_are_short_for_the_user_and_logged_in_full(bot, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database exploded: secret internals")

    bot.ctx.conversations.agent.ask = broken
    bot.post(event("app_mention.json", "Ev0ERR"))
    posted = bot.slack.wait_for("chat.postMessage")[0]
    assert posted["text"].startswith("Sorry, something went wrong")
    assert "secret internals" not in json.dumps(posted)
    deadline = time.monotonic() + 5
    while "database exploded" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "database exploded" in caplog.text


def test_assistant_container_suggests_prompts(bot):
    assert bot.post(event("assistant_thread_started.json"))[0].status_code == 200
    prompts = bot.slack.wait_for("assistant.threads.setSuggestedPrompts")[0]
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
