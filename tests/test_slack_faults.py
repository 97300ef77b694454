"""Fault injection over the real app (signed HTTP) and the fake Web API: 429 storms, a slow
API, refused connections, a revoked token, an uninstall, SIGTERM with work in flight, and
Slack Connect channels. Each acknowledged question is answered exactly once or reported to
its asker; acknowledgements never wait on Slack (Slack's contract: within 3 s; asserted
under 1 s, the bound the issue sets; measured in benchmarks/run.py).

Waits are short through settings (slack_harness.FAST; deadlines set per test)."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.parse

import httpx
import pytest
from fake_slack import FakeSlack
from slack_harness import (
    FIXTURES,
    FORM,
    SECRET,
    action,
    answers,
    blocks_of,
    copy_feedback_kb,
    event,
    fixture,
    start_bot,
    text_of,
    thread_of,
    wait_answers,
    wait_until,
)

from assistant.core.answers import Answer
from assistant.surfaces.slack.blocks import answer_messages
from conftest import free_port

ACK_LIMIT = 1.0  # seconds: Slack's deadline is 3 s; the issue asks for under 1 s


@pytest.fixture(scope="module")
def small_kb(small_feedback, tmp_path_factory):
    return copy_feedback_kb(small_feedback, tmp_path_factory.mktemp("faults-feedback"))


def _slash(bot, text: str, name: str) -> str:
    url = urllib.parse.quote(f"{bot.slack.base}/response/{name}", safe="")
    body = (FIXTURES / "slash_cx.txt").read_text().strip().replace("RESPONSE_URL", url)
    return body.replace("text=pains+warranty", "text=" + urllib.parse.quote_plus(text))


def _click(bot) -> str:
    stored = Answer(question="q?", lang="en", answer="An answer", citations=[], tool="search")
    answer_id = bot.ctx.ratings.save_answer(stored, "U0ALLOWED", "slack",
                                            "C0GENERAL:1700000000.000100")  # fmt: skip
    return action("answer_feedback_up", answer_id, f"{bot.slack.base}/response/click")


def _mentions_in_unseen_threads(n: int, prefix: str = "Ev0U") -> list[str]:
    return [event("app_mention.json", f"{prefix}{i}", ts=f"1700000400.{i:06d}",
                  thread_ts=f"1700000300.{i:06d}", user=f"U0ASK{i}", text="<@U0BOT> help")
            for i in range(n)]  # fmt: skip


def _answered_once(bot, threads: list[str]) -> None:
    wait_until(lambda: all(any(thread_of(bot.slack, p) == t for _, p in answers(bot.slack))
                           for t in threads), timeout=60, what="every answer")  # fmt: skip
    time.sleep(0.5)
    counts = {t: sum(1 for _, p in answers(bot.slack) if thread_of(bot.slack, p) == t)
              for t in threads}  # fmt: skip
    assert set(counts.values()) == {1}, counts


def test_acks_stay_fast_while_thread_reads_are_rate_limited(full_kb, tmp_path):
    # Failure 1: 17 mentions into threads the process has not seen, conversations.replies
    # answering 429 with Retry-After 20; then /cx, a click. Nothing waits on the listener.
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.rate_limit["conversations.replies"] = 17
        bot.slack.retry_after["conversations.replies"] = "20"
        acks = [bot.post(b)[1] for b in _mentions_in_unseen_threads(17)]
        for body in (_slash(bot, "help", "s1"), _click(bot)):
            resp, seconds = bot.post(body, FORM)
            assert resp.status_code == 200
            acks.append(seconds)
        assert max(acks) < ACK_LIMIT, acks
        _answered_once(bot, [f"1700000300.{i:06d}" for i in range(17)])
        bot.slack.wait_for("/response/s1")
        bot.slack.wait_for("chat.postEphemeral")  # the click's thank-you
    finally:
        bot.close()


def test_acks_stay_fast_when_every_call_takes_seconds(full_kb, tmp_path):
    # Failure 1, slow Slack: each Web API call answers after 1 s (8 s in the review and in
    # benchmarks/run.py; the acknowledging threads must not be what waits).
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.wait_for("auth.test")
        bot.slack.delays["*"] = 1.0
        bodies = _mentions_in_unseen_threads(6, "Ev0SLOW")
        acks = [bot.post(b)[1] for b in bodies]
        acks += [bot.post(_slash(bot, "help", "slow"), FORM)[1], bot.post(_click(bot), FORM)[1]]
        assert max(acks) < ACK_LIMIT, acks
        _answered_once(bot, [f"1700000300.{i:06d}" for i in range(6)])
    finally:
        bot.close()


def test_an_answer_outlives_a_429_storm_without_holding_a_worker(full_kb, tmp_path):
    # Failure 2: five 429s on chat.postMessage (Retry-After 1) dropped the answer.
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.rate_limit["chat.postMessage"] = 5
        bot.post(event("app_mention.json", "Ev0STORM", text="<@U0BOT> What is a journey atlas?"))
        # While Slack refuses it, the answer waits in the outbox, not on a worker.
        wait_until(lambda: len(bot.slack.of("chat.postMessage")) >= 2, what="a retried post")
        assert bot.ctx.svc.held() == 0 and bot.ctx.svc.outbox.counts().get("pending") == 1
        posted = wait_answers(bot.slack)[0]
        assert "repository of interconnected journey maps" in text_of(posted)
        assert "went wrong" not in text_of(posted)
        time.sleep(0.5)
        assert len(answers(bot.slack)) == 1
        assert len(bot.slack.of("chat.postMessage")) >= 6  # 5 refused, then delivered
    finally:
        bot.close()


def test_an_outage_while_idle_loses_nothing_and_the_asker_is_told(full_kb, tmp_path):
    # Failure 2: with Slack down, a mention and a /cx were acknowledged, then lost.
    bot = start_bot(full_kb, tmp_path / "r.sqlite", cx_slack_deadline_s=1.0)
    try:
        bot.slack.wait_for("auth.test")
        bot.slack.stop()
        mention = event("app_mention.json", "Ev0DOWN", text="<@U0BOT> What is a journey atlas?")
        resp, seconds = bot.post(mention)
        assert resp.status_code == 200 and seconds < ACK_LIMIT
        resp, seconds = bot.post(_slash(bot, "what is a journey atlas?", "down"), FORM)
        assert resp.status_code == 200 and seconds < ACK_LIMIT
        time.sleep(2.0)  # past the deadline: both replies are late
        bot.slack.start()
        posted = wait_answers(bot.slack, 2)
        time.sleep(0.5)
        assert len(answers(bot.slack)) == 2
        in_thread = next(p for p in posted if p.get("thread_ts") == "1700000000.000100")
        assert "could not be delivered earlier" in text_of(in_thread)
        assert "repository of interconnected journey maps" in text_of(in_thread)
        # The /cx reply's response_url was not reachable in time: it comes in the DM.
        dm = next(p for p in posted if p["channel"] == "U0ALLOWED")
        assert "could not be delivered earlier" in text_of(dm)
        health = bot.ctx.svc.report()
        assert health["replies"].get("pending", 0) == 0 and health["jobs"].get("pending", 0) == 0
    finally:
        bot.close()


def test_a_start_with_slack_unreachable_waits_and_then_answers(full_kb, tmp_path):
    # Failure 4: with the API down at start the process exited 1.
    slack = FakeSlack()
    slack.stop()
    bot = start_bot(full_kb, tmp_path / "r.sqlite", slack=slack)
    try:
        resp, _ = bot.post(event("app_mention.json", "Ev0EARLY", text="<@U0BOT> help"))
        assert resp.status_code == 200
        assert bot.ctx.svc.report()["status"] == "starting"
        slack.start()
        wait_answers(slack)
        assert bot.ctx.svc.report()["status"] == "ok"
    finally:
        bot.close()


def test_a_revoked_token_stops_intake_with_one_log_line_and_health_503(full_kb, tmp_path,
                                                                       caplog):  # fmt: skip
    # Failure 4: every event was dropped with a traceback.
    caplog.set_level(logging.INFO)
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.wait_for("auth.test")
        bot.slack.errors["*"] = ["token_revoked"] * 1000
        for i in range(5):
            resp, seconds = bot.post(event("app_mention.json", f"Ev0REV{i}",
                                           ts=f"1700000500.{i:06d}", text="<@U0BOT> help"))
            assert resp.status_code == 200 and seconds < ACK_LIMIT
        health_url = bot.url.replace("/slack/events", "/healthz")
        wait_until(lambda: bot.http.get(health_url).status_code == 503, what="health 503")
        report = bot.http.get(health_url).json()
        assert report["status"] == "stopped" and report["reason"] == "token_revoked"
        time.sleep(1.0)
        lines = [r for r in caplog.records if "refused the bot token" in r.getMessage()]
        assert len(lines) == 1 and lines[0].levelno == logging.ERROR
        assert not [r for r in caplog.records if r.exc_info]  # no traceback per event
        assert report["jobs"].get("pending", 0) + report["jobs"].get("running", 0) >= 1
        assert answers(bot.slack) == []
    finally:
        bot.close()


@pytest.mark.parametrize("name", ["app_uninstalled.json", "tokens_revoked.json"])
def test_uninstall_and_revocation_are_acknowledged_and_stop_the_work(full_kb, tmp_path, caplog,
                                                                     name):  # fmt: skip
    # Failure 4: both got 404; nothing was cleaned up or reported.
    caplog.set_level(logging.INFO)
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.wait_for("auth.test")
        bot.slack.stop()  # a question waits for Slack when the workspace goes away
        bot.post(event("app_mention.json", "Ev0BEFORE", text="<@U0BOT> help"))
        resp, seconds = bot.post(json.dumps(fixture(name)))
        assert resp.status_code == 200 and seconds < ACK_LIMIT
        bot.slack.start()
        assert bot.post(event("app_mention.json", "Ev0AFTER", ts="1700000600.000100",
                              text="<@U0BOT> help"))[0].status_code == 200  # fmt: skip
        kind = name.removesuffix(".json")
        lines = [r.getMessage() for r in caplog.records if f"{kind} for workspace T0CX"
                 in r.getMessage()]  # fmt: skip
        assert len(lines) == 1
        health = bot.http.get(bot.url.replace("/slack/events", "/healthz"))
        assert health.status_code == 503 and health.json()["reason"] == kind
        assert health.json()["jobs"] == {"dropped": 1}  # the question asked before it
        time.sleep(1.0)
        assert answers(bot.slack) == []
    finally:
        bot.close()


def test_sigterm_with_work_in_flight_loses_nothing(full_kb, tmp_path):
    # Failure 2: SIGTERM with 12 acknowledged requests answered 2 and lost 10. The real
    # `cx-assistant slack` in HTTP mode takes them, is stopped with SIGTERM, and the next
    # start (on the same job table) answers the rest: each exactly once.
    slack = FakeSlack()
    # Slack is slow: work is in flight when the signal comes, however slowly a loaded machine
    # takes the twelve requests (at 0.3 s a post, one loaded run had answered all twelve)
    slack.delays["chat.postMessage"] = 1.0
    port = free_port()
    state = tmp_path / "state.sqlite"
    env = {**os.environ, "CX_DATA_DIR": str(full_kb.settings.cx_data_dir),
           "CX_CORPUS_DIR": str(full_kb.settings.cx_corpus_dir), "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
           "CX_SLACK_HOST": "127.0.0.1", "CX_SLACK_PORT": str(port),
           "CX_DATABASE_URL": f"sqlite:///{state}", "CX_SLACK_DRAIN_S": "0.5",
           "CX_SLACK_LIGHT_WORKERS": "1", "CX_SLACK_WORKERS": "1",
           "CX_SLACK_LISTENER_THREADS": "2", "CX_SLACK_LEASE_S": "5"}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "assistant.surfaces.cli", "slack"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=5) as http:
            wait_until(lambda: _up(http, base), timeout=120, what="the bot to listen")
            threads = [f"1700000700.{i:06d}" for i in range(12)]
            from slack_harness import sign

            for i, ts in enumerate(threads):
                body = event("app_mention.json", f"Ev0TERM{i}", ts=ts, user=f"U0T{i}",
                             text="<@U0BOT> What is a journey atlas?")  # fmt: skip
                headers = {"Content-Type": "application/json", **sign(body)}
                assert http.post(f"{base}/slack/events", content=body,
                                 headers=headers).status_code == 200  # fmt: skip
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out[-2000:]
        assert "stopped (" in out and "Traceback" not in out
        before = len(answers(slack))
        assert before < 12  # work was in flight when it stopped
        slack.delays.clear()
        bot = start_bot(full_kb, tmp_path / "r.sqlite", slack=slack)  # resumes state.sqlite
        try:
            wait_until(lambda: len(answers(slack)) >= 12, timeout=60, what="12 answers")
            time.sleep(0.5)
            counts = {t: sum(1 for _, p in answers(slack) if thread_of(slack, p) == t)
                      for t in threads}  # fmt: skip
            assert set(counts.values()) == {1}, counts
        finally:
            bot.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        slack.close()


def _up(http: httpx.Client, base: str) -> bool:
    try:
        return http.get(f"{base}/healthz").status_code in (200, 503)
    except httpx.HTTPError:
        return False


def test_a_stream_cut_by_an_outage_is_replaced_with_the_whole_answer(full_kb, tmp_path):
    # Failure 2: an outage mid-stream left a message in streaming state with ~70 characters.
    from fake_openai import ScriptedOpenAI, final, tool_call

    long = "Atlas hành trình là một kho lưu trữ các bản đồ hành trình [jcxm-part3#009]. " * 6
    script = [tool_call("search", {"question": "atlas hành trình"}), final(lambda r: long)]
    with ScriptedOpenAI(script) as llm:
        bot = start_bot(full_kb, tmp_path / "r.sqlite", openai_base_url=llm.url,
                        openai_api_key="k", cx_slack_stream_interval_s=0.01)  # fmt: skip
        try:
            bot.slack.on_call["chat.appendStream"] = bot.slack.stop
            bot.post(event("app_mention.json", "Ev0CUT", text="<@U0BOT> Atlas hành trình là gì?"))
            wait_until(lambda: bot.ctx.svc.outbox.counts().get("pending"), what="a stored reply")
            bot.slack.on_call.clear()
            bot.slack.start()
            ts = bot.slack.of("chat.startStream")[0]["_ts"]
            wait_until(lambda: any(p.get("ts") == ts for p in bot.slack.of("chat.update")),
                       what="the streamed message replaced")  # fmt: skip
            assert any(p.get("ts") == ts for p in bot.slack.of("chat.stopStream"))
            update = next(p for p in bot.slack.of("chat.update") if p.get("ts") == ts)
            shown = "".join(b["text"]["text"] for b in blocks_of(update) if b["type"] == "section")
            assert shown.count("kho lưu trữ") == 6 and "did not answer" not in shown
        finally:
            bot.close()


def test_slack_connect_channels_never_get_customer_quotes(small_kb, tmp_path):
    # Failure 3: with the default policy an external user in a Slack Connect channel got
    # pain points with quotes; with an allow list, an allowed user's answer there was shown
    # to the other organisation.
    info = fixture("conversations_info_connect.json")["channel"]
    for allowed in ("", "U0ALLOWED"):
        folder = tmp_path / (allowed or "everyone")  # a job table each: the same event ids
        folder.mkdir()
        bot = start_bot(small_kb, folder / "r.sqlite", cx_allowed_users=allowed)
        try:
            bot.slack.channels["C0CONNECT"] = info
            body = json.loads(event("app_mention.json", "Ev0EXT", channel="C0CONNECT",
                                    user="U0ALLOWED",
                                    text="<@U0BOT> what hurts customers most after delivery?"))
            bot.post(json.dumps(body))
            # A thread reply from the other organisation (the event says it is external).
            bot.post(json.dumps(fixture("message_connect_channel.json")))
            shown = text_of(wait_answers(bot.slack)[0])
            assert "not available to you here" in shown
        finally:
            bot.close()


def test_an_allowed_setting_opens_slack_connect_channels(small_kb, tmp_path):
    bot = start_bot(small_kb, tmp_path / "r.sqlite", cx_external_feedback=True)
    try:
        bot.slack.channels["C0CONNECT"] = fixture("conversations_info_connect.json")["channel"]
        bot.post(event("app_mention.json", "Ev0EXT2", channel="C0CONNECT",
                       text="<@U0BOT> what hurts customers most after delivery?"))
        shown = text_of(wait_answers(bot.slack)[0])
        assert "not available to you here" not in shown and "comments" in shown
    finally:
        bot.close()


@pytest.mark.parametrize(("channel", "info", "allowed"), [
    # A group DM whose id starts with C: not a channel (the README excludes group DMs).
    ("C0GROUPDM", {"is_channel": False, "is_mpim": True, "is_private": True}, False),
    # A private channel whose id starts with G: a channel (the README allows channels).
    ("G0PRIVATE", {"is_channel": False, "is_group": True, "is_private": True}, True),
])  # fmt: skip
def test_conversation_type_comes_from_slack_not_the_id(small_kb, tmp_path, channel, info,
                                                       allowed):  # fmt: skip
    bot = start_bot(small_kb, tmp_path / "r.sqlite", cx_allowed_users="")
    try:
        bot.slack.channels[channel] = {"id": channel, "is_ext_shared": False, **info}
        bot.post(event("app_mention.json", f"Ev0{channel}", channel=channel, user="U0ANYONE",
                       text="<@U0BOT> what hurts customers most after delivery?"))
        shown = text_of(wait_answers(bot.slack)[0])
        assert ("not available to you here" not in shown) is allowed
        assert bot.slack.of("conversations.info")[0]["channel"] == channel
    finally:
        bot.close()


def test_an_event_id_seen_by_another_instance_is_answered_once(full_kb, tmp_path):
    # Slack re-sends an event (X-Slack-Retry-Num) to whichever instance answers: the claim
    # is in the shared job table, not one process's memory.
    one = start_bot(full_kb, tmp_path / "r.sqlite")
    two = start_bot(full_kb, tmp_path / "r.sqlite", slack=one.slack)
    try:
        body = event("app_mention.json", "Ev0TWICE", text="<@U0BOT> help")
        assert one.post(body)[0].status_code == 200
        assert two.post(body, headers={"X-Slack-Retry-Num": "1"})[0].status_code == 200
        wait_answers(one.slack)
        time.sleep(1.0)
        assert len(answers(one.slack)) == 1
    finally:
        two.close()
        one.close()


def test_a_failed_status_is_tried_again_not_remembered_forever(full_kb, tmp_path,
                                                               monkeypatch):  # fmt: skip
    import assistant.surfaces.slack.answering as answering

    monkeypatch.setattr(answering, "STATUS_RETRY_S", 0.5)
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.errors["assistant.threads.setStatus"] = ["not_allowed_token_type"]
        bot.post(event("app_mention.json", "Ev0ST1", text="<@U0BOT> help"))
        wait_answers(bot.slack)
        time.sleep(0.6)
        bot.post(event("app_mention.json", "Ev0ST2", ts="1700000800.000100", text="<@U0BOT> help"))
        wait_answers(bot.slack, 2)
        assert len(bot.slack.of("assistant.threads.setStatus")) >= 2  # asked again
    finally:
        bot.close()


def test_prompts_in_the_agent_view_are_set_without_a_thread(full_kb, tmp_path):
    # Failure 5: with thread_ts, Slack ignores the call in the agent view.
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.post(event("assistant_thread_started.json"))
        prompts = bot.slack.wait_for("assistant.threads.setSuggestedPrompts")[0]
        assert "thread_ts" not in prompts and prompts["channel_id"]
    finally:
        bot.close()


def test_no_message_is_over_slacks_text_limit():
    # Failure 5: a 350,000-character answer made one message of 142,937 characters.
    answer = Answer(question="q", lang="en", tool="search", citations=[],
                    answer="\n\n".join(f"Paragraph {i}. " + "word " * 500 for i in range(140)))
    messages = answer_messages(answer, "a1")
    sizes = [len(m["text"]) + sum(len((b.get("text") or {}).get("text", "")) for b in m["blocks"])
             for m in messages]  # fmt: skip
    assert len(answer.answer) > 350_000 and max(sizes) <= 40_000
    shown = "".join(b["text"]["text"] for m in messages for b in m["blocks"]
                    if b["type"] == "section")  # fmt: skip
    assert all(f"Paragraph {i}." in shown for i in range(140))  # nothing dropped


def test_a_long_llm_answer_is_shown_whole(full_kb, tmp_path):
    # Failure 5: an LLM answer over 12,000 characters was replaced by the offline answer.
    from fake_openai import ScriptedOpenAI, final, tool_call

    long = " ".join(f"Điểm {i}: atlas hành trình [jcxm-part3#009]." for i in range(600))
    script = [tool_call("search", {"question": "atlas hành trình"}), final(lambda r: long)]
    with ScriptedOpenAI(script) as llm:
        bot = start_bot(full_kb, tmp_path / "r.sqlite", openai_base_url=llm.url,
                        openai_api_key="k")  # fmt: skip
        try:
            bot.post(event("app_mention.json", "Ev0LONG", text="<@U0BOT> Atlas hành trình là gì?"))
            wait_until(lambda: any("Điểm 599" in text_of(p) for p in bot.slack.of("chat.update")
                                   + bot.slack.of("chat.postMessage")), what="the last part")
            assert len(long) > 12_000
            calls = bot.slack.of("chat.update") + bot.slack.of("chat.postMessage")
            shown = "".join(text_of(p) for p in calls)
            assert "did not answer" not in shown and bot.slack.violations == []
        finally:
            bot.close()


def test_a_file_shared_while_slack_is_down_is_ingested_once_it_is_back(full_kb, tmp_path):
    bot = start_bot(full_kb, tmp_path / "r.sqlite")
    try:
        bot.slack.wait_for("auth.test")
        # A comment no other test ingests: the session's store would count it a duplicate.
        data = "comment,n_star\nSạc hỏng khi Slack sập (kiểm thử),1\n"
        bot.slack.files["Ev0FDOWN"] = data.encode()
        body = json.loads(event("file_share_im.json", "Ev0FDOWN"))
        body["event"]["files"][0].update(name="shop.csv",
                                         url_private=f"{bot.slack.base}/files/Ev0FDOWN")
        bot.slack.stop()
        resp, seconds = bot.post(json.dumps(body))
        assert resp.status_code == 200 and seconds < ACK_LIMIT
        time.sleep(1.0)
        bot.slack.start()
        wait_until(lambda: any("accepted" in p.get("text", "") and "_refused" not in p
                               for p in bot.slack.of("chat.postMessage")), what="the report")
        time.sleep(1.0)
        reports = [p for p in bot.slack.of("chat.postMessage")
                   if "accepted" in p.get("text", "") and "_refused" not in p]  # fmt: skip
        assert len(reports) == 1 and "1 accepted" in reports[0]["text"]
    finally:
        bot.close()


def test_a_post_slack_took_but_answered_too_late_is_not_sent_twice(full_kb, tmp_path):
    # The answer to chat.postMessage is lost (the client times out after Slack took the
    # message): the retry reads the thread back and finds it by its metadata.
    bot = start_bot(full_kb, tmp_path / "r.sqlite", cx_slack_api_timeout_s=1.0)
    try:
        bot.slack.lag["chat.postMessage"] = 1.5
        bot.post(event("app_mention.json", "Ev0LAG", text="<@U0BOT> help"))
        wait_until(lambda: any(p.get("include_all_metadata") for p in
                               bot.slack.of("conversations.replies")), what="a read-back")
        bot.slack.lag.clear()
        wait_until(lambda: bot.ctx.svc.outbox.counts().get("pending", 0) == 0,
                   what="the reply delivered")  # fmt: skip
        posted = [m for m in bot.slack.posted if m["thread_ts"] == "1700000000.000100"]
        assert len(posted) == 1 and posted[0]["metadata"]["event_type"] == "cx_reply"
    finally:
        bot.close()
