"""The caps of LLM mode (issue #14: nothing lost, nothing leaked, nothing hangs), through the
real Agent, LangChain's ChatOpenAI and the real openai client against a scripted
OpenAI-compatible server on 127.0.0.1: a stream that never ends, a model that calls tools
in a loop, a runaway answer and tool-call arguments that are not JSON each end in the
offline answer, in bounded time and with bounded text."""

from __future__ import annotations

import json
import logging
import time

import pytest
from fake_openai import ScriptedOpenAI, Trickle, final, tool_call, tool_calls

from assistant.agent.agent import FALLBACK_NOTE, Agent
from assistant.agent.llm import MAX_ANSWER_CHARS, MAX_TOOL_CALLS, MAX_TOOL_ROUNDS
from assistant.core.answers import Answer
from assistant.kb.base import KnowledgeBase

QUESTION = "What is a journey atlas?"
GENEROUS_S = 30.0  # far above any deadline set here: only a hang can pass it


def _llm_kb(kb: KnowledgeBase, url: str, deadline: float = 60.0, timeout: float = 20.0):
    settings = kb.settings.model_copy(update={
        "openai_base_url": url, "openai_api_key": "test-key", "cx_llm_model": "scripted",
        "cx_llm_timeout_s": timeout, "cx_llm_deadline_s": deadline,
    })  # fmt: skip
    return KnowledgeBase(settings=settings, embedder=kb.embedder, client=kb.client)


@pytest.fixture(scope="module")
def offline(methodology_kb: KnowledgeBase) -> Answer:
    """The answer the same question gets with no LLM configured."""
    answer = Agent(methodology_kb).ask(QUESTION)
    assert answer.tool == "search" and answer.citations and answer.answer.strip()
    return answer


def _assert_offline(answer: Answer, offline: Answer) -> None:
    """The user got the offline answer, whole and cited, under the fallback note."""
    assert answer.answer.startswith(FALLBACK_NOTE["en"])
    assert answer.answer[len(FALLBACK_NOTE["en"]) :].strip() == offline.answer.strip()
    assert answer.tool == "search" and answer.status == "answered"
    assert [c.doc_id for c in answer.citations] == [c.doc_id for c in offline.citations]


def _fallback_reason(caplog: pytest.LogCaptureFixture) -> str:
    reasons = [r.getMessage() for r in caplog.records if "answering offline" in r.getMessage()]
    assert len(reasons) == 1, reasons
    return reasons[0]


def _search(question: str = "journey atlas") -> tuple[str, dict]:
    return ("search", {"question": question, "k": 2})


def test_endless_stream_is_cut_at_the_deadline(methodology_kb, offline, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.agent.agent")
    seen: list[str] = []
    # Left alone the stream would run ~60 s; the deadline is 2 s.
    with ScriptedOpenAI([Trickle(piece="still thinking… ", every=0.1, pieces=600)]) as server:
        agent = Agent(_llm_kb(methodology_kb, server.url, deadline=2.0))
        start = time.monotonic()
        answer = agent.ask(QUESTION, on_text=seen.append)
        took = time.monotonic() - start
        assert server.hung_up.wait(5), "the client kept reading the stream after the deadline"
        calls_when_answered = len(seen)
        time.sleep(0.5)
    assert took < GENEROUS_S
    assert len(server.requests) == 1 and server.requests[0]["stream"] is True
    assert "deadline" in _fallback_reason(caplog)
    _assert_offline(answer, offline)
    assert "still thinking" not in answer.answer
    # The streamed text reached on_text while it lasted, and stopped with the answer.
    assert seen and seen[-1].startswith("still thinking")
    assert len(seen) == calls_when_answered
    assert len(seen[-1]) < 600 * len("still thinking… ")


def test_stream_that_stalls_is_cut_at_the_deadline_not_the_call_timeout(
    methodology_kb, offline, caplog
):
    """The stream opens, then nothing comes: the answer's deadline (2 s) holds even though
    one call may take up to its timeout (20 s)."""
    caplog.set_level(logging.WARNING, logger="assistant.agent.agent")
    with ScriptedOpenAI([Trickle(every=120.0, pieces=1)]) as server:
        agent = Agent(_llm_kb(methodology_kb, server.url, deadline=2.0, timeout=20.0))
        start = time.monotonic()
        answer = agent.ask(QUESTION)
        took = time.monotonic() - start
    assert took < 15.0, f"took {took:.1f} s: the call timeout, not the deadline, ended it"
    assert server.requests[0]["stream"] is True and "timeout" not in server.requests[0]
    assert "deadline" in _fallback_reason(caplog)
    _assert_offline(answer, offline)


def test_tool_calls_in_a_loop_stop_after_the_cap(methodology_kb, offline, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.agent.agent")
    per_turn = MAX_TOOL_CALLS // 2
    turns = -(-(MAX_TOOL_CALLS + 1) // per_turn)  # enough turns to ask for one call too many
    assert turns <= MAX_TOOL_ROUNDS + 1  # so that the call cap, not the round cap, stops it
    script = [tool_calls([_search(f"atlas {t}-{i}") for i in range(per_turn)], f"c{t}")
              for t in range(turns)]  # fmt: skip
    script.append(final(lambda r: "never asked for"))
    with ScriptedOpenAI(script) as server:
        start = time.monotonic()
        answer = Agent(_llm_kb(methodology_kb, server.url)).ask(QUESTION)
        took = time.monotonic() - start
    assert took < GENEROUS_S
    assert len(server.requests) == turns  # the final turn was never asked for
    results = server.tool_messages(len(server.requests) - 1)
    # Exactly MAX_TOOL_CALLS calls ran (each a real result); the one over the cap did not.
    assert len(results) == per_turn * (turns - 1) == MAX_TOOL_CALLS
    assert all(json.loads(m["content"])["tool"] == "search" for m in results)
    assert f"more than {MAX_TOOL_CALLS} tool calls" in _fallback_reason(caplog)
    _assert_offline(answer, offline)


def test_one_tool_call_per_turn_for_ever_stops_after_the_rounds(methodology_kb, offline, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.agent.agent")
    script = [tool_call("search", {"question": f"atlas {i}"}, f"c{i}") for i in range(20)]
    with ScriptedOpenAI(script) as server:
        answer = Agent(_llm_kb(methodology_kb, server.url)).ask(QUESTION)
    assert len(server.requests) == MAX_TOOL_ROUNDS + 1
    assert len(server.tool_messages(MAX_TOOL_ROUNDS)) == MAX_TOOL_ROUNDS
    assert "tool rounds" in _fallback_reason(caplog)
    _assert_offline(answer, offline)


def test_runaway_answer_is_not_delivered(methodology_kb, offline, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.agent.agent")
    runaway = "RUNAWAY " * (2 * MAX_ANSWER_CHARS // len("RUNAWAY "))
    seen: list[str] = []
    with ScriptedOpenAI([final(lambda r: runaway)]) as server:
        answer = Agent(_llm_kb(methodology_kb, server.url)).ask(QUESTION, on_text=seen.append)
    assert server.requests[0]["stream"] is True
    assert f"past {MAX_ANSWER_CHARS} characters" in _fallback_reason(caplog)
    _assert_offline(answer, offline)
    assert "RUNAWAY" not in answer.answer and len(answer.answer) < MAX_ANSWER_CHARS
    # on_text (Slack's live message) saw the start of it, never more than the cap.
    assert seen and all(len(text) <= MAX_ANSWER_CHARS for text in seen)
    assert seen[-1].startswith("RUNAWAY")


def test_answer_of_exactly_the_cap_is_delivered_whole(methodology_kb):
    text = "Atlas. " * (MAX_ANSWER_CHARS // len("Atlas. "))
    text += "x" * (MAX_ANSWER_CHARS - len(text))
    seen: list[str] = []
    with ScriptedOpenAI([final(lambda r: text)]) as server:
        answer = Agent(_llm_kb(methodology_kb, server.url)).ask(QUESTION, on_text=seen.append)
    assert len(text) == MAX_ANSWER_CHARS
    assert answer.answer == text.strip() and not answer.answer.startswith(FALLBACK_NOTE["en"])
    assert seen[-1] == text


@pytest.mark.parametrize(
    "arguments", ['{"question": "journey atlas"', "question=journey atlas", "[1, 2"]
)
def test_tool_arguments_not_json_fall_back_to_a_real_answer(
    methodology_kb, offline, caplog, arguments
):
    caplog.set_level(logging.WARNING, logger="assistant.agent.agent")
    script = [tool_call("search", arguments), final(lambda r: "never asked for")]
    with ScriptedOpenAI(script) as server:
        answer = Agent(_llm_kb(methodology_kb, server.url)).ask(QUESTION)
    assert len(server.requests) == 1  # nothing ran, nothing went back to the model
    assert "not JSON" in _fallback_reason(caplog)
    _assert_offline(answer, offline)
