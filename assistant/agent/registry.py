"""Every tool, registered in one place (like simonw/llm's `register_tools` hook).

`register_tools()` returns the built-in specs; a `Registry` holds them plus any added at
run time or by a plugin (an entry point in the `cx_assistant.tools` group whose object is a
`ToolSpec` or a function returning a list of them). The router, `help`, the CLI
subcommands, the LangChain tools given to an LLM and the evals all read a `Registry`, so a
new tool is one module (its models and function) and one spec.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from assistant.core.answers import Answer, Citation
from assistant.core.text import detect_lang, fold
from assistant.core.tools import ToolContext, ToolSpec
from assistant.feedback.render.manager_md import render_journey_summary, render_roadmap
from assistant.feedback.render.pain_points_md import render_pain_points
from assistant.feedback.render.tools_md import render_five, render_persona
from assistant.feedback.tools.five_questions import (
    FiveQuestionsInput,
    FiveQuestionsOutput,
    answer_five_questions,
)
from assistant.feedback.tools.journey_summary import (
    JourneySummaryInput,
    JourneySummaryOutput,
    summarize_journey,
)
from assistant.feedback.tools.pain_points import (
    PainPointsInput,
    PainPointsOutput,
    summarize_pain_points,
)
from assistant.feedback.tools.persona import PersonaInput, PersonaOutput, draft_persona
from assistant.feedback.tools.roadmap import RoadmapInput, RoadmapOutput, propose_roadmap
from assistant.kb.doctor import index_health
from assistant.methodology.answer import compose_search_answer
from assistant.methodology.glossary import expand_query
from assistant.methodology.search import SearchInput, SearchOutput, search_methodology

log = logging.getLogger(__name__)
PLUGIN_GROUP = "cx_assistant.tools"


def search(inp: SearchInput, ctx: ToolContext) -> SearchOutput:
    """Search the CX methodology articles (journey-centric CX management, customer-centricity
    and personas, the 7-step CX programme, journey mapping, the CX team) for passages that
    answer a question, with their citations."""
    return search_methodology(inp, ctx.kb)


def _search_answer(
    question: str,
    args: dict[str, Any],
    ctx: ToolContext,
    run: Callable[[dict[str, Any]], BaseModel],
) -> Answer:
    """The methodology's answer: passages composed, not a rendered output; a run killed
    half-way or lost vectors are said, since the answer may then miss passages."""
    # Passages in the answer's language: a follow-up may ask for the other one ("now in
    # Vietnamese"), and the question then names its terms in that language too.
    asked = args.get("question") or question
    if detect_lang(asked) != ctx.lang:
        asked = expand_query(asked, into=ctx.lang)
    out = run({"question": asked, "k": ctx.kb.settings.cx_top_k, "lang": ctx.lang})
    answer = compose_search_answer(asked, ctx.lang, out)  # type: ignore[arg-type]
    answer.question = question
    health = index_health(ctx.kb, ("methodology",))
    if not health.ok:
        answer.answer = "_" + " ".join(health.problems()) + "_\n\n" + answer.answer
    return answer


def _search_citations(out: SearchOutput, titles: dict[str, str]) -> list[Citation]:
    return [
        Citation(doc_id=p.doc_id, title=titles.get(p.doc_id, p.title), kind=p.kind,
                 quote=p.quote, score=p.score)
        for p in out.passages[:3]
    ]  # fmt: skip


# -- argument shaping: which of the names the router found each tool takes -------------------
def _five_args(args: dict[str, Any], text: str) -> dict[str, Any]:
    if args.get("step"):
        return {"journey": args["journey"], "step": args["step"]}
    out = {"situation": text.strip()}
    if args.get("journey"):
        out["journey"] = args["journey"]
    return out


def _persona_args(args: dict[str, Any], text: str) -> dict[str, Any]:
    # One basis: a named persona, else a journey, else an aspect, else the words left over.
    for key in ("persona", "journey", "aspect"):
        if args.get(key):
            return {key: args[key]}
    segment = strip_command_words(text)
    return {"segment": segment} if segment else {}


# What a persona holds that a pain summary does not: the group's goals, needs, habits and
# worries ("what do they care about most?", "họ cần gì nhất ở điện thoại?", "họ thường lo
# lắng gì nhất?"): more of the persona (ToolSpec.own_parts).
# What bothers them is the pain summary of the group for most development writers ("what
# bugs them the most?", "họ ghét nhất điều gì"), though a persona lists pains too (writer N
# alone keeps them in the persona). The persona's section names and their verbs, a closed set.
_PERSONA_OWN = re.compile(r"\b(?:goals?|aims?|motivat\w*|needs?|wants?|care\w*|values?|habits?|"
                          r"behaviou?r\w*|prefer\w*|muc tieu|dong luc|nhu cau|can (?:gi|nhat|co)|"
                          r"muon gi|mong muon|mong doi|quan tam|thoi quen|hanh vi|uu tien|"
                          r"worr\w*|fears?|lo lang|lo ngai|noi lo)\b")


def _pains_args(args: dict[str, Any], text: str) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k in ("journey", "aspect", "source", "sentiment")}


_COMMAND_WORDS = re.compile(
    r"\b(draft|create|make|a|an|the|for|of|persona|personas|tao|phac thao|cho|mot|chan dung|"
    r"five|questions|nam cau hoi|5|cau hoi|please|hay|giup|toi|me|ve|now|ok|lam|viet|write|"
    # Particles of a spoken request ("persona đi", "làm persona nhé"): no segment's name.
    r"di|nhe|nha|luon|thoi|voi|minh|em|nao|vay|pls|"
    # Pointers to the scope in use ("persona for them", "làm persona cho họ"): no segment's name.
    r"them|they|these|those|this|that|it|ho|nay|do|ay|here|day|tu day)\b"
)


def strip_command_words(text: str) -> str:
    return " ".join(_COMMAND_WORDS.sub(" ", fold(text)).split())


def register_tools() -> list[ToolSpec]:
    """The built-in tools. They carry no `cues`: the intent model (agent/intent.py), trained
    on utterances written blind, routes free text to them; cues remain for tools added at run
    time, which the model has never seen."""
    return [
        ToolSpec(
            name="search", input_model=SearchInput, output_model=SearchOutput, func=search,
            render=None, commands=("ask", "search"), free_text="question", positional="question",
            fallback=True, follow_ups=False, answer=_search_answer, cite=_search_citations,
            help={"en": "a question about the CX methodology: “What is a journey atlas?”",
                  "vi": "câu hỏi về phương pháp CX: “Atlas hành trình là gì?”"},
        ),
        ToolSpec(
            name="five_questions", input_model=FiveQuestionsInput,
            output_model=FiveQuestionsOutput, func=answer_five_questions, render=render_five,
            commands=("five",), free_text="situation", positional="situation", situated=True,
            help={"en": "`five <situation or journey step>`: the five journey-thinking questions",
                  "vi": "`five <tình huống hoặc bước>`: năm câu hỏi của tư duy hành trình"},
            shape_args=_five_args, covers=("pain_points", "persona"),  # who; what pleases
        ),
        ToolSpec(
            name="persona", input_model=PersonaInput, output_model=PersonaOutput,
            func=draft_persona, render=render_persona, commands=("persona",),
            uses_feedback=True, free_text="segment",
            help={"en": "`persona <journey, segment, aspect or persona>`: a draft persona from "
                        "the data",
                  "vi": "`persona <hành trình, phân khúc, khía cạnh hoặc persona>`: persona nháp "
                        "từ dữ liệu"},
            shape_args=_persona_args, one_subject=True, covers=("pain_points",),
            own_parts=_PERSONA_OWN,
        ),
        ToolSpec(
            name="pain_points", input_model=PainPointsInput, output_model=PainPointsOutput,
            func=summarize_pain_points, render=render_pain_points, commands=("pains", "pain"),
            uses_feedback=True,
            help={"en": "`pains [journey / aspect]`: ranked pain points with counts and quotes",
                  "vi": "`pains [hành trình / khía cạnh]`: các điểm đau, có số liệu và trích dẫn"},
            shape_args=_pains_args, voice=True,
        ),
        ToolSpec(
            name="roadmap", input_model=RoadmapInput, output_model=RoadmapOutput,
            func=propose_roadmap, render=render_roadmap, commands=("roadmap",),
            uses_feedback=True,
            help={"en": "`roadmap <journey>`: a roadmap proposal",
                  "vi": "`roadmap <hành trình>`: đề xuất lộ trình"},
        ),
        ToolSpec(
            name="journey_summary", input_model=JourneySummaryInput,
            output_model=JourneySummaryOutput, func=summarize_journey,
            render=render_journey_summary, commands=("journey",), uses_feedback=True,
            positional="journey", charts=True, covers=("pain_points",),
            help={"en": "`journey <journey>`: a journey summary with its emotion curve",
                  "vi": "`journey <hành trình>`: tóm tắt hành trình và đường cảm xúc"},
        ),
    ]  # fmt: skip


class Registry:
    """The tools of one assistant: built-ins, plus any registered or found as plugins."""

    def __init__(self, specs: list[ToolSpec] | None = None) -> None:
        self._specs: dict[str, ToolSpec] = {}
        for spec in register_tools() if specs is None else specs:
            self.register(spec)

    def register(self, spec: ToolSpec) -> None:
        taken = {c: s.name for s in self._specs.values() for c in s.commands}
        clash = [c for c in spec.commands if taken.get(c, spec.name) != spec.name]
        if clash:
            raise ValueError(f"tool {spec.name!r}: command(s) {clash} already belong to "
                             f"{', '.join(sorted({taken[c] for c in clash}))}")  # fmt: skip
        self._specs[spec.name] = spec

    def load_plugins(self) -> None:
        """Register the tools that installed packages declare as entry points."""
        for ep in entry_points(group=PLUGIN_GROUP):
            try:
                found = ep.load()
                specs = found() if callable(found) and not isinstance(found, ToolSpec) else found
                for spec in specs if isinstance(specs, list) else [specs]:
                    self.register(spec)
            except Exception:  # a broken plugin must not take the assistant down
                log.exception("tool plugin %s could not be loaded", ep.name)

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> ToolSpec:
        return self._specs[name]

    def by_command(self, word: str) -> ToolSpec | None:
        return next((s for s in self._specs.values() if word in s.commands), None)

    @property
    def names(self) -> list[str]:
        return list(self._specs)

    @property
    def fallback(self) -> ToolSpec:
        """The tool for free text no other tool claims (the methodology search)."""
        found = next((s for s in self._specs.values() if s.fallback), None)
        if found is None:
            raise LookupError("no tool is registered with fallback=True")
        return found

    @property
    def voice(self) -> ToolSpec | None:
        """The tool for what customers say, if one is registered."""
        return next((s for s in self._specs.values() if s.voice), None)

    @property
    def feedback_tools(self) -> frozenset[str]:
        return frozenset(s.name for s in self._specs.values() if s.uses_feedback)
