"""What every tool shares: evidence behind each claim, the request context, the tool spec."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from assistant.core.answers import Answer, Citation

Lang = Literal["vi", "en"]
Confidence = Literal["high", "medium", "low", "none"]


class Evidence(BaseModel):
    """Where a claim comes from: an atlas id, a feedback record id, or a methodology chunk."""

    kind: Literal["atlas", "feedback", "methodology"]
    ref: str
    quote: str = ""


class Claim(BaseModel):
    text: str
    evidence: list[Evidence] = Field(default_factory=list)
    count: int | None = Field(None, description="Feedback records behind the claim, if counted.")


KB = TypeVar("KB")


@dataclass
class ToolContext(Generic[KB]):
    """The request a tool runs for, passed to every tool beside its input: not a tool
    argument, so the LLM never sets it (nor sees a file path).

    `kb` is the knowledge, typed by each domain as the protocol of what its tools read
    (`MethodologySource`, `FeedbackSource`); `lang` the answer language; `chart_dir` where a
    chart may be drawn (None: draw none); `requester` who asks (for logs and ratings);
    `feedback_allowed` whether feedback-derived facts may be shown at all (a tool that
    mixes atlas and feedback leaves the feedback out); `rank_steps` the atlas's steps ranked
    by meaning for a text (the agent's step matcher; None where no agent runs the tool).
    Which tools the request may run is not here: the agent's `FilteredToolset` holds it, so
    it is checked in one place."""

    kb: KB
    lang: Lang = "vi"
    chart_dir: Path | None = None
    requester: str = ""
    feedback_allowed: bool = True
    rank_steps: Callable[[str], list[tuple[str, float]]] | None = None


@dataclass(frozen=True)
class ToolSpec:
    """The one definition of a tool. The router, `help`, the CLI subcommand, the LangChain
    tool given to an LLM and the evals are all derived from it.

    - `func(input, ctx) -> output`, whose docstring is the tool's description;
    - `render(output, lang) -> Markdown` (None: the agent composes the answer itself);
    - `commands`: words that name the tool as a command (`pains`, `/cx pains`); the first is
      the CLI subcommand;
    - `cues`: intent words in free text, diacritic-free, vi and en, for a tool the intent
      model was not trained on (a plugin); the built-in tools have none;
    - `help`: one line per language; `uses_feedback`: built on customer feedback, so the
      access policy may refuse it;
    - `shape_args(args, text) -> args`: optional; adjusts the arguments the router resolved
      (which of several is meant), kept beside the tool rather than in the router;
    - `free_text`: the input field that takes the rest of the request when nothing else
      does (a situation, a segment, a question);
    - `positional`: the input field given as the CLI's positional argument;
    - `charts`: draws a chart when the request has a chart folder;
    - `fallback`: the tool for free text no other tool claims and for questions about a
      concept (the methodology search; the CLI's `ask`);
    - `follow_ups`: a short follow-up ("còn bảo hành thì sao?") runs it again with the
      names it gives;
    - `voice`: the tool for what customers say (complaints and praise): such a request goes
      to it even when phrased as a question ("why do customers complain…?"), and praise
      words ask it for the positive side;
    - `weak_cues`: its cues are common words ("thay đổi", "muốn gì"), so a request about
      what customers say goes to the `voice` tool even when they match;
    - `about_method(folded_text, names, asks_to_make) -> bool`: optional; whether a request
      its cues matched rather asks about the method (then the `fallback` tool answers);
    - `situated`: its free text is a situation it places among the journeys' steps itself
      (a decision): two journeys named equally are left to it, not asked about;
    - `covers`: the tools whose answer its own already holds (a persona's pains and delights
      are a pain summary's): a follow-up that names no filter and reads as one of them is
      more of its answer, unless it names that tool ("add their pain points");
    - `own_parts`: optional; what only its answer holds, as a (folded) text names it (a
      persona's goals, needs, habits, worries): with it, only a follow-up naming one of them
      is more of its answer by `covers` ("what do they care about most?"); what bothers the
      group is their pain summary ("what bugs them the most?");
    - `one_subject`: its input is about one group of people (an atlas persona or a
      segment): a follow-up naming one kind replaces the other;
    - `answer(question, args, ctx, run) -> Answer`: optional; the tool's own offline answer
      (`run(args)` runs the tool through the request's toolset), instead of `render`;
    - `cite(output, titles) -> citations`: optional; the citations an LLM answer keeps from
      its output (default: every piece of evidence in it)."""

    name: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    func: Callable[[Any, ToolContext], BaseModel]
    render: Callable[[Any, str], str] | None
    commands: tuple[str, ...]
    cues: tuple[str, ...] = ()
    help: dict[str, str] = field(default_factory=dict)
    uses_feedback: bool = False
    shape_args: Callable[[dict[str, Any], str], dict[str, Any]] | None = None
    free_text: str | None = None
    positional: str | None = None
    charts: bool = False
    fallback: bool = False
    follow_ups: bool = True
    voice: bool = False
    weak_cues: bool = False
    about_method: Callable[[str, dict[str, Any], bool], bool] | None = None
    one_subject: bool = False
    covers: tuple[str, ...] = ()
    own_parts: re.Pattern[str] | None = None
    situated: bool = False
    answer: Callable[[str, dict[str, Any], ToolContext, Callable[[dict[str, Any]], BaseModel]],
                     Answer] | None = None  # fmt: skip
    cite: Callable[[Any, dict[str, str]], list[Citation]] | None = None

    @property
    def description(self) -> str:
        return " ".join((self.func.__doc__ or self.name).split())

    def run(self, args: dict[str, Any], ctx: ToolContext) -> BaseModel:
        fields = self.input_model.model_fields
        return self.func(self.input_model(**{k: v for k, v in args.items() if k in fields}), ctx)
