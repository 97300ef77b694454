"""Buttons over signed HTTP: a vote counts once per person and shows on the message, the
thank-you lands in the thread once, a vote from elsewhere counts nothing; Share posts
"Shared by @user: question" once, only for the person who asked, and tells them when the bot
is not in the channel."""

import json
import time

from slack_harness import FORM, action, blocks_of, wait_until

from assistant.core.answers import Answer

THREAD = "1700000000.000100"


def _answer(bot, conversation: str, channel: str = "slack") -> str:
    answer = Answer(question="Có nên đổi chính sách <đổi trả> & bảo hành?", lang="en",
                    answer="An answer", citations=[], tool="search")  # fmt: skip
    return bot.ctx.ratings.save_answer(answer, "U0ALLOWED", channel, conversation)


def _click(bot, action_id: str, answer_id: str, **changes) -> None:
    body = action(action_id, answer_id, f"{bot.slack.base}/response/click", **changes)
    assert bot.post(body, content_type=FORM)[0].status_code == 200


def _buttons(update: dict) -> list[str]:
    return [e["text"]["text"] for b in blocks_of(update) if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


def test_a_vote_counts_once_per_person_and_shows_on_the_message(bot, tmp_path):
    answer_id = _answer(bot, f"C0GENERAL:{THREAD}")
    _click(bot, "answer_feedback_up", answer_id)
    first = bot.slack.wait_for("chat.update")[0]
    assert _buttons(first) == ["👍 1", "👎"] and first["ts"] == "1700000001.000900"
    thanks = bot.slack.wait_for("chat.postEphemeral")[0]
    assert thanks["thread_ts"] == THREAD and thanks["user"] == "U0ALLOWED"
    _click(bot, "answer_feedback_up", answer_id)  # the same vote again: nothing changes
    time.sleep(0.5)  # clicks are handled in the order people make them, seconds apart
    _click(bot, "answer_feedback_down", answer_id)  # changed: counted once, no new thanks
    second = bot.slack.wait_for("chat.update", 2)[-1]
    assert _buttons(second) == ["👍", "👎 1"]
    _click(bot, "answer_feedback_up", answer_id, user={"id": "U0PEER", "team_id": "T0CX"})
    third = bot.slack.wait_for("chat.update", 3)[-1]
    assert _buttons(third) == ["👍 1", "👎 1"]
    wait_until(lambda: len(bot.slack.of("chat.postEphemeral")) == 2, what="second thanks")
    assert len(bot.slack.of("chat.update")) == 3
    out = tmp_path / "candidates.jsonl"
    assert bot.ctx.ratings.export(out) == 2
    votes = {json.loads(line)["user_id"]: json.loads(line)["vote"]
             for line in out.read_text().splitlines()}  # fmt: skip
    assert votes == {"U0ALLOWED": "down", "U0PEER": "up"}


def test_a_vote_replayed_from_another_channel_counts_nothing(bot, tmp_path):
    answer_id = _answer(bot, f"C0GENERAL:{THREAD}")
    _click(bot, "answer_feedback_up", answer_id, channel={"id": "C0OTHER", "name": "other"},
           container={"type": "message", "message_ts": "1700000001.000900",
                      "channel_id": "C0OTHER", "is_ephemeral": False})  # fmt: skip
    told = bot.slack.wait_for("chat.postEphemeral")[0]
    # The refusal says why (the answer is there; the vote is in the wrong place).
    assert told["channel"] == "C0OTHER" and "no longer available" not in told["text"]
    assert "only in the conversation where the answer was given" in told["text"]
    assert bot.ctx.ratings.tally(answer_id) == (0, 0) and bot.slack.of("chat.update") == []


def _ephemeral_click(bot, answer_id: str, user: str = "U0ALLOWED") -> None:
    # Share sits on the private (ephemeral) /cx answer: no message, a response_url.
    _click(bot, "answer_share", answer_id, user={"id": user, "team_id": "T0CX"}, message=None,
           container={"type": "message", "message_ts": "1700000001.000900",
                      "channel_id": "C0GENERAL", "is_ephemeral": True})  # fmt: skip


def _told(bot, n: int) -> str:
    return json.loads(bot.slack.wait_for("/response/click", n)[n - 1]["body"])["text"]


def test_share_posts_once_who_shared_it_and_the_question(bot):
    answer_id = _answer(bot, "C0GENERAL:cmd:U0ALLOWED", channel="C0GENERAL")
    _ephemeral_click(bot, answer_id, user="U0PEER")  # not the asker: refused
    assert "Only the person who asked" in _told(bot, 1)
    assert bot.slack.of("chat.postMessage") == []
    _ephemeral_click(bot, answer_id)
    shared = bot.slack.wait_for("chat.postMessage")[0]
    assert shared["channel"] == "C0GENERAL"
    header = blocks_of(shared)[0]["elements"][0]["text"]
    # The question as stored (redacted) and escaped: no markup of its own reaches Slack.
    assert header == "Shared by <@U0ALLOWED>: Có nên đổi chính sách &lt;đổi trả&gt; &amp; bảo hành?"
    assert not any(b["type"] == "actions" for b in blocks_of(shared))  # no votes on the copy
    _ephemeral_click(bot, answer_id)  # a second click does not post it again
    assert "already shared" in _told(bot, 2)
    assert len(bot.slack.of("chat.postMessage")) == 1


def test_share_into_a_channel_without_the_bot_tells_the_sharer(bot):
    answer_id = _answer(bot, "C0GENERAL:cmd:U0ALLOWED", channel="C0GENERAL")
    bot.slack.errors["chat.postMessage"] = ["not_in_channel"]
    _ephemeral_click(bot, answer_id)
    told = _told(bot, 1)
    assert "I'm not in <#C0GENERAL>" in told and "/invite" in told
    _ephemeral_click(bot, answer_id)  # once invited, Share works
    bot.slack.wait_for("chat.postMessage", 2)
