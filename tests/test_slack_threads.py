"""Thread etiquette in channels: replies between people are left alone, the asker's
follow-ups and questions for the assistant are answered, a broadcast reply counts, an
edited mention is answered once, and a restart does not make the bot forget a thread."""

import time

from slack_harness import answers, event, fixture, text_of, wait_answers

THREAD = "1700000000.000100"


def _reply(bot, event_id: str, ts: str, user: str, text: str) -> None:
    body = event("message_channel_reply.json", event_id, ts=ts, user=user, text=text)
    assert bot.post(body)[0].status_code == 200


def _settled(bot, count: int) -> list:
    """The answers once `count` have arrived and nothing more came for a moment."""
    found = wait_answers(bot.slack, count)
    time.sleep(2.0)
    assert len(answers(bot.slack)) == count
    return found


def test_replies_between_people_are_left_alone(bot):
    bot.post(event("app_mention.json", "Ev0T1", text="<@U0BOT> five warranty drop-off"))
    wait_answers(bot.slack)
    _reply(bot, "Ev0T2", "1700000001.000001", "U0PEER", "Nice, see you at lunch")
    _reply(bot, "Ev0T3", "1700000001.000002", "U0PEER", "<@U0LAN> can you check this?")
    _reply(bot, "Ev0T4", "1700000001.000003", "U0ALLOWED", "còn giao hàng thì sao?")
    second = _settled(bot, 2)[-1]
    assert "Theo dõi đơn hàng" in text_of(second)  # the asker's follow-up keeps the tool
    _reply(bot, "Ev0T5", "1700000001.000004", "U0PEER", "What is a journey atlas?")
    third = _settled(bot, 3)[-1]
    # A question for the assistant, from anyone: answered (in English, as asked).
    assert "repository of interconnected journey maps" in text_of(third)


def test_a_reply_also_sent_to_the_channel_is_answered(bot):
    bot.post(event("app_mention.json", "Ev0B1", text="<@U0BOT> five warranty drop-off"))
    wait_answers(bot.slack)
    bot.post(event("message_thread_broadcast.json", text="còn giao hàng thì sao?"))
    posted = _settled(bot, 2)[-1]
    assert posted["thread_ts"] == THREAD and "Theo dõi đơn hàng" in text_of(posted)


def test_an_edited_mention_is_answered_once(bot):
    bot.post(event("app_mention.json", "Ev0E1", text="<@U0BOT> help"))
    wait_answers(bot.slack)
    assert bot.post(event("app_mention_edited.json"))[0].status_code == 200
    _settled(bot, 1)


def test_after_a_restart_a_thread_is_remembered_from_slack(bot):
    thread = fixture("conversations_replies.json")["messages"]
    bot.slack.replies[("C0GENERAL", THREAD)] = thread
    # No memory of this thread in this process: the follow-up still keeps its tool.
    _reply(bot, "Ev0R1", "1700000009.000900", "U0ALLOWED", "còn giao hàng thì sao?")
    posted = _settled(bot, 1)[0]
    assert "Theo dõi đơn hàng" in text_of(posted)
    read = bot.slack.of("conversations.replies")
    assert len(read) == 1 and read[0]["channel"] == "C0GENERAL" and read[0]["ts"] == THREAD


def test_a_thread_the_bot_is_not_in_is_read_once_and_ignored(bot):
    other = "1700000050.000100"
    bot.slack.replies[("C0GENERAL", other)] = [
        {"type": "message", "user": "U0PEER", "text": "lunch?", "ts": other, "thread_ts": other}
    ]
    for i in range(3):
        body = event("message_channel_reply.json", f"Ev0N{i}", thread_ts=other,
                     ts=f"1700000051.00000{i}", user="U0PEER", text="What is a journey atlas?")
        bot.post(body)  # fmt: skip
    time.sleep(2.0)
    assert answers(bot.slack) == []
    assert len(bot.slack.of("conversations.replies")) == 1
