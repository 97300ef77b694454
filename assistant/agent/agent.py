"""The agent: a request -> the tool that answers it -> an answer in the request's language.

Offline (default): the deterministic router picks the tool and the offline composer writes
the answer. With an OpenAI-compatible endpoint configured, an LLM with the same tools
writes it; any LLM failure falls back to the offline answer with a note.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.agent.composer import HELP, compose_search_answer, compose_tool_answer
from assistant.agent.router import Route, Router
from assistant.agent.types import Answer
from assistant.errors import AssistantError
from assistant.knowledge.atlas import Atlas
from assistant.knowledge.base import KnowledgeBase
from assistant.text import Lang, detect_lang, fold
from assistant.tools.registry import TOOLS, run_tool
from assistant.tools.search import SearchInput, search_methodology

log = logging.getLogger(__name__)

MEMORY_TURNS = 10  # messages kept per conversation
# Tools built on customer feedback: only in channels, for allowed users (Slack decides who).
FEEDBACK_TOOLS = {"pain_points", "persona", "roadmap", "journey_summary"}
REFUSAL = {
    "vi": "Xin lỗi, tôi chỉ trả lời câu hỏi dựa trên phản hồi khách hàng ({tool}) trong kênh "
    "chung và cho người được cấp quyền. Hãy liên hệ {contact} để được cấp quyền.",
    "en": "Sorry, answers built on customer feedback ({tool}) are only available in channels "
    "and to permitted users. Please ask {contact} for access.",
}
FALLBACK_NOTE = {
    "vi": "_(Mô hình ngôn ngữ không phản hồi; đây là câu trả lời ngoại tuyến.)_",
    "en": "_(The language model did not answer; this is the offline answer.)_",
}
_FOLLOW_UP = re.compile(r"^(and|what about|how about|con|the con|va|thi sao|con voi)\b")


@dataclass
class Turn:
    question: str
    answer: str
    tool: str
    args: dict[str, Any]


@dataclass
class ConversationMemory:
    """The last turns of each conversation (a Slack thread, a CLI session), bounded."""

    window: int = MEMORY_TURNS
    _turns: dict[str, deque[Turn]] = field(default_factory=dict)

    def add(self, conversation: str, turn: Turn) -> None:
        self._turns.setdefault(conversation, deque(maxlen=self.window)).append(turn)

    def turns(self, conversation: str) -> list[Turn]:
        return list(self._turns.get(conversation, ()))


class Agent:
    def __init__(self, kb: KnowledgeBase, memory: ConversationMemory | None = None) -> None:
        self.kb = kb
        self.memory = memory or ConversationMemory()
        self._router: Router | None = None

    @property
    def router(self) -> Router:
        if self._router is None:
            try:
                atlas = self.kb.atlas()
            except AssistantError as exc:
                # Without an atlas the methodology still answers; journey names don't resolve.
                log.warning("no usable atlas, routing without it: %s", exc)
                atlas = Atlas()
            self._router = Router(atlas)
        return self._router

    def route(self, question: str, conversation: str | None = None) -> Route:
        route = self.router.route(question)
        history = self.memory.turns(conversation) if conversation else []
        if (
            history
            and route.reason == "no tool intent"
            and history[-1].tool not in ("search", "help")
        ):
            # A follow-up such as "and for warranty?" keeps the previous tool.
            ents = self.router.entities(question)
            if ents and (_FOLLOW_UP.search(fold(question)) or len(question.split()) <= 6):
                previous = history[-1]
                tool = previous.tool
                again = self.router.with_args(tool, question, question, "follow-up")  # type: ignore[arg-type]
                kept = dict(previous.args)
                if again.args.get("journey", kept.get("journey")) != kept.get("journey"):
                    kept.pop("step", None)  # a step belongs to the journey it was named in
                    kept.pop("situation", None)
                merged = {**kept, **again.args}
                return Route(
                    tool=again.tool, args=merged, clarify=again.clarify, reason="follow-up"
                )
        return route

    def ask(
        self,
        question: str,
        conversation: str | None = None,
        *,
        feedback_tools_allowed: bool = True,
        chart_dir: Path | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a request. `feedback_tools_allowed=False` refuses the feedback-derived
        tools politely; `chart_dir` makes a journey summary draw its chart there; in LLM
        mode `on_text` receives the answer as it is written (for streaming)."""
        lang: Lang = detect_lang(question)
        if not feedback_tools_allowed or chart_dir:
            route = self.route(question, conversation)
            if route.tool in FEEDBACK_TOOLS and not feedback_tools_allowed:
                text = REFUSAL[lang].format(
                    tool=route.tool, contact=self.kb.settings.cx_slack_contact
                )
                return Answer(question=question, lang=lang, answer=text, citations=[],
                              tool=route.tool, result={"refused": True})  # fmt: skip
            if route.tool == "journey_summary" and chart_dir and not route.clarify:
                chart = chart_dir / f"journey-{uuid.uuid4().hex[:8]}.png"
                return self._run(question, lang, conversation, route, {"chart": str(chart)})
        if self.kb.settings.llm_enabled:
            from assistant.agent.llm import LLMUnavailable, ask_llm

            try:
                answer = ask_llm(self, question, lang, conversation, on_text)
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, answering offline: %s", exc.detail)
                answer = self.ask_offline(question, lang, conversation)
                note = FALLBACK_NOTE[lang]
                answer.answer = f"{note}\n\n{answer.answer}"
            self._remember(conversation, question, answer, {})
            return answer
        return self.ask_offline(question, lang, conversation)

    def ask_offline(self, question: str, lang: Lang, conversation: str | None = None) -> Answer:
        return self._run(question, lang, conversation, self.route(question, conversation), {})

    def _run(
        self, question: str, lang: Lang, conversation: str | None, route: Route, extra: dict
    ) -> Answer:
        if route.clarify:
            answer = Answer(question=question, lang=lang, answer=route.clarify, citations=[],
                            tool=route.tool, result={"clarify": route.clarify})  # fmt: skip
        elif route.tool == "help":
            answer = Answer(question=question, lang=lang, answer=HELP[lang], citations=[],
                            tool="help")  # fmt: skip
        elif route.tool == "search":
            q = route.args.get("question") or question
            out = search_methodology(SearchInput(question=q, k=self.kb.settings.cx_top_k), self.kb)
            answer = compose_search_answer(question, lang, out)
        else:
            try:
                out = run_tool(route.tool, {**route.args, **extra, "lang": lang}, self.kb)
            except AssistantError as exc:
                error = {"error": str(exc), "args": route.args}
                answer = Answer(question=question, lang=lang, answer=str(exc), citations=[],
                                tool=route.tool, result=error)  # fmt: skip
            else:
                render = TOOLS[route.tool].render
                answer = compose_tool_answer(
                    question, lang, route.tool, out, render, self.kb.titles()
                )
        self._remember(conversation, question, answer, route.args)
        return answer

    def _remember(
        self, conversation: str | None, question: str, answer: Answer, args: dict
    ) -> None:
        if conversation:
            self.memory.add(conversation, Turn(question, answer.answer, answer.tool, args))
