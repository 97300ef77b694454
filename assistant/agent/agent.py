"""The agent: a request -> the tool that answers it -> an answer in the request's language.

Offline (default): the deterministic router picks the tool and the offline composer writes
the answer. With an OpenAI-compatible endpoint configured, an LLM with the same tools
writes it; any LLM failure falls back to the offline answer with a note. In both modes the
tools a request may use are decided by the caller (the access policy, `Request.allowed`)
and enforced by the request's `FilteredToolset`, through which both run every tool: a
refused tool is never executed, whoever asked for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.agent.composer import compose_tool_answer
from assistant.agent.memory import ConversationMemory, Turn
from assistant.agent.registry import Registry
from assistant.agent.router import (
    HELP,
    OUT_OF_SCOPE,
    Route,
    Router,
    asks_for_chart,
    is_follow_up,
)
from assistant.agent.toolset import FilteredToolset, Toolset
from assistant.atlas.model import Atlas
from assistant.core.answers import Answer, Attachment
from assistant.core.errors import AssistantError, LLMUnavailable
from assistant.core.text import Lang, detect_lang
from assistant.core.tools import ToolContext
from assistant.core.uploads import upload_owner_of
from assistant.kb.base import KnowledgeBase

log = logging.getLogger(__name__)

REFUSAL = {
    "vi": "Xin lỗi, bạn chưa được dùng công cụ dựa trên phản hồi khách hàng ({tool}) ở đây. "
    "Các công cụ này chỉ dùng trong kênh chung và cho người được cấp quyền. Hãy liên hệ "
    "{contact} để được cấp quyền.",
    "en": "Sorry, answers built on customer feedback ({tool}) are not available to you here: "
    "they are only for shared channels and permitted users. Please ask {contact} for access.",
}
OUT_OF_SCOPE_TEXT = {
    "vi": "Việc này nằm ngoài những gì tôi làm. Tôi trả lời câu hỏi về phương pháp CX, năm câu "
    "hỏi của tư duy hành trình, persona nháp, điểm đau từ phản hồi khách hàng, lộ trình và tóm "
    "tắt hành trình. Gõ `help` để xem cách hỏi.",
    "en": "That is outside what I do. I answer questions about the CX methodology, the five "
    "journey-thinking questions, draft personas, pain points from customer feedback, roadmaps "
    "and journey summaries. Type `help` to see how to ask.",
}
FALLBACK_NOTE = {
    "vi": "_(Mô hình ngôn ngữ không phản hồi; đây là câu trả lời ngoại tuyến.)_",
    "en": "_(The language model did not answer; this is the offline answer.)_",
}


@dataclass
class Request:
    """What the caller decided about one request: the tools it may use, where charts go, and
    when to draw them: "on_request" (a terminal: only when the request asks for a chart, so
    `ask` writes no file nobody asked for) or "always" (a surface that shows pictures inline,
    such as Slack)."""

    allowed: frozenset[str] | None = None  # None: every tool
    feedback_allowed: bool = True
    chart_dir: Path | None = None
    charts: Literal["always", "on_request"] = "on_request"
    contact: str = "the CX team"
    requester: str = ""
    lang: Lang | None = None  # None: the question's own language
    # Whose private uploads the request may read (their sources carry this digest);
    # None: any (the operator at a terminal).
    source_owner: str | None = None


class Agent:
    def __init__(
        self,
        kb: KnowledgeBase,
        registry: Registry | None = None,
        memory: ConversationMemory | None = None,
    ) -> None:
        self.kb = kb
        self.registry = registry or Registry()
        # `is None`, not `or`: an empty memory has no length and is still the one given.
        self.memory = memory if memory is not None else ConversationMemory(
            max_conversations=kb.settings.cx_memory_conversations
        )
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
            self._router = Router(atlas, self.registry)
        return self._router

    def route(self, question: str, conversation: str | None = None) -> Route:
        history = self.memory.turns(conversation) if conversation else []
        route = self._with_filters(self._route(question, history), question, history)
        return route

    def _with_filters(self, route: Route, question: str, history: list[Turn]) -> Route:
        """Add the filters the request names (period, stars, segment) to a feedback tool's
        arguments; those the data cannot apply are kept to be said, never dropped."""
        if route.tool not in self.registry or route.clarify:
            return route
        fields = self.registry.get(route.tool).input_model.model_fields
        if not {"start", "segment"} & set(fields):
            return route
        from assistant.feedback.request_filters import parse_filters
        from assistant.feedback.segments import SegmentBook

        try:
            reference = self.kb.feedback().latest_date()
        except AssistantError as exc:  # an unreadable store: the tool itself will say so
            log.warning("filters not read: %s", exc)
            return route
        unread = []
        try:
            book = self.kb.segments()
        except AssistantError as exc:
            # A broken segments file costs the segment cues only: periods and stars still
            # apply, and the answer says what could not be read.
            log.warning("segments not read: %s", exc)
            book, unread = SegmentBook(), [str(self.kb.settings.playbook_dir / "segments.yaml")]
        parsed = parse_filters(question, reference, book=book)
        args = dict(route.args)
        for key in ("start", "end", "min_rating", "max_rating"):
            value = getattr(parsed, key)
            if value is not None and key in fields:
                args[key] = value
        if parsed.segment and "segment" in fields:
            args["segment"] = parsed.segment
            if self.registry.get(route.tool).one_subject:  # the segment is the subject
                args = {k: v for k, v in args.items() if k not in ("journey", "aspect")}
        unapplied = [f"{kind} ({'; '.join(m.text for m in parsed.matched if m.kind == kind)})"
                     if any(m.kind == kind for m in parsed.matched) else kind
                     for kind in parsed.unsupported]  # fmt: skip
        unapplied += [f"{m.text} (no reference date)" if reference is None else m.text
                      for m in parsed.unresolved]  # fmt: skip
        # "persona cho nhóm này", "chỉ lấy 1-2 sao": a follow-up keeps the previous scope.
        previous = history[-1] if history else None
        if previous and previous.tool in self.registry and route.reason in (
            "follow-up", "no tool intent"
        ) and not parsed.is_empty():
            route = Route(tool=previous.tool, args=dict(previous.args), reason="refines scope")
            fields = self.registry.get(previous.tool).input_model.model_fields
            args = {**previous.args, **{k: v for k, v in args.items() if k in fields}}
        if previous and self.registry.get(route.tool).one_subject and not (
            {"segment", "journey", "aspect", "persona"} & set(args)
        ):
            args.update({k: v for k, v in previous.args.items()
                         if k in ("segment", "journey", "aspect", "start", "end")})  # fmt: skip
        return route.model_copy(update={"args": args, "unapplied": unapplied, "unread": unread})

    def _route(self, question: str, history: list[Turn]) -> Route:
        route = self.router.route(question)
        if (
            history
            and route.reason == "no tool intent"
            and history[-1].tool in self.registry
            and self.registry.get(history[-1].tool).follow_ups
        ):
            # A follow-up such as "and for warranty?" keeps the previous tool.
            ents = self.router.entities(question)
            if ents and is_follow_up(question):
                previous = history[-1]
                again = self.router.with_args(previous.tool, question, question, "follow-up")
                kept = dict(previous.args)
                if again.args.get("journey", kept.get("journey")) != kept.get("journey"):
                    kept.pop("step", None)  # a step belongs to the journey it was named in
                    kept.pop("situation", None)
                merged = {**kept, **again.args}
                return Route(
                    tool=again.tool, args=merged, clarify=again.clarify, reason="follow-up"
                )
        return route

    def context(self, request: Request, lang: Lang, question: str = "") -> ToolContext:
        """The tools' context: a chart folder only when this request is to get a chart."""
        draw = request.charts == "always" or asks_for_chart(question)
        return ToolContext(
            kb=self.kb, lang=lang, chart_dir=request.chart_dir if draw else None,
            requester=request.requester, feedback_allowed=request.feedback_allowed,
        )  # fmt: skip

    def toolset(self, request: Request) -> FilteredToolset:
        """The tools this request may run: the one place the access policy is applied."""
        owner = request.source_owner
        if owner is None:
            return FilteredToolset(Toolset(self.registry), request.allowed)
        store = self.kb.feedback()

        def readable(source: str) -> bool:
            return source not in store.private_sources() or upload_owner_of(source) == owner

        return FilteredToolset(Toolset(self.registry), request.allowed, readable)

    def ask(
        self,
        question: str,
        conversation: str | None = None,
        request: Request | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a request; in LLM mode `on_text` receives the answer as it is written."""
        request = request or Request()
        lang: Lang = request.lang or detect_lang(question)
        ctx = self.context(request, lang, question)
        tools = self.toolset(request)
        route = self.route(question, conversation)
        if tools.refuses(route.tool):
            return self._remember(conversation, self.refusal(question, lang, route.tool, request),
                                  route.args)  # fmt: skip
        if self.kb.settings.llm_enabled and route.tool not in (HELP, OUT_OF_SCOPE):
            from assistant.agent.llm import ask_llm

            history = self.memory.turns(conversation) if conversation else []
            try:
                answer = ask_llm(self.kb, tools, ctx, question, history, on_text)
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, answering offline: %s", exc.detail)
                answer = self._run(question, ctx, route, tools)
                answer.answer = f"{FALLBACK_NOTE[lang]}\n\n{answer.answer}"
            return self._remember(conversation, answer, {})
        answer = self._run(question, ctx, route, tools)
        return self._remember(conversation, answer, route.args)

    def refusal(self, question: str, lang: Lang, tool: str, request: Request) -> Answer:
        text = REFUSAL[lang].format(tool=tool, contact=request.contact)
        return Answer(question=question, lang=lang, answer=text, citations=[], tool=tool,
                      status="refused")  # fmt: skip

    def _run(
        self, question: str, ctx: ToolContext, route: Route, tools: FilteredToolset
    ) -> Answer:
        lang = ctx.lang
        if route.clarify:
            return Answer(question=question, lang=lang, answer=route.clarify, citations=[],
                          tool=route.tool, status="clarify")  # fmt: skip
        if route.tool == HELP:
            return Answer(question=question, lang=lang, citations=[], tool=HELP, status="help",
                          answer=tools.help(lang))  # fmt: skip
        if route.tool == OUT_OF_SCOPE:
            return Answer(question=question, lang=lang, answer=OUT_OF_SCOPE_TEXT[lang],
                          citations=[], tool=OUT_OF_SCOPE, status="out_of_scope")  # fmt: skip
        spec = self.registry.get(route.tool)
        note = ""
        if route.unapplied:
            note = ("_Không áp dụng được (dữ liệu không có trường này): " if lang == "vi"
                    else "_Not applied (the data has no such field): ")  # fmt: skip
            note += "; ".join(route.unapplied) + "._\n\n"
        if route.unread:
            note += ("_Không đọc được (chạy `cx-assistant atlas validate` để xem lỗi): "
                     if lang == "vi" else
                     "_Could not be read (run `cx-assistant atlas validate` for the problems): ")
            note += "; ".join(route.unread) + ("; chưa lọc theo nhóm khách._\n\n" if lang == "vi"
                                               else "; segment filters not applied._\n\n")
        try:
            if spec.answer is not None:
                return spec.answer(question, route.args,
                                   ctx, lambda args: tools.run(spec.name, args, ctx))  # fmt: skip
            out = tools.run(spec.name, route.args, ctx)
        except AssistantError as exc:
            return Answer(question=question, lang=lang, answer=str(exc), citations=[],
                          tool=route.tool, status="error")  # fmt: skip
        answer = compose_tool_answer(question, lang, route.tool, out, spec.render,
                                     self.kb.titles())  # fmt: skip
        answer.answer = note + answer.answer
        chart = getattr(out, "chart", None)
        if chart:
            answer.attachments.append(Attachment(path=chart, title=getattr(out, "name", "")))
        return answer

    def _remember(self, conversation: str | None, answer: Answer, args: dict) -> Answer:
        if conversation:
            self.memory.add(conversation, Turn(answer.question, answer.answer, answer.tool, args))
        return answer

