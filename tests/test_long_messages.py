"""A message over CX_MAX_MESSAGE_CHARS is read in its first part, with a note saying so:
reading costs grow with the length, so one huge message never ties up a worker."""

from assistant.agent.agent import Agent
from assistant.agent.registry import Registry
from assistant.chat.conversation import AccessPolicy, Conversations, Requester

OPERATOR = Requester(user="U1", operator=True)


def _conversations(kb, limit: int) -> Conversations:
    settings = kb.settings.model_copy(update={"cx_max_message_chars": limit})
    return Conversations(Agent(kb), AccessPolicy(settings, Registry()), ratings=None)


def test_a_huge_message_is_answered_from_its_first_part_with_a_note(full_kb):
    conv = _conversations(full_kb, 500)
    text = "Khách hàng phàn nàn gì nhiều nhất về bảo hành? " + "rất chậm " * 5000
    reply = conv.ask(text, "long-vi", OPERATOR)
    assert len(reply.answer.question) == 500
    assert reply.answer.tool == "pain_points"  # the first part still says what is asked
    assert f"{len(text):,}".replace(",", ".") in reply.answer.answer
    assert "CX_MAX_MESSAGE_CHARS" in reply.answer.answer
    assert conv.lane(text, "long-vi-2", OPERATOR) == "heavy"


def test_the_note_is_in_the_question_language_and_short_messages_get_none(full_kb):
    conv = _conversations(full_kb, 300)
    long = "What is a journey atlas? " + "please " * 2000
    answer = conv.ask(long, "long-en", OPERATOR).answer
    assert answer.lang == "en" and f"Your message is {len(long):,} characters" in answer.answer
    short = conv.ask("What is a journey atlas?", "short-en", OPERATOR).answer
    assert "CX_MAX_MESSAGE_CHARS" not in short.answer
