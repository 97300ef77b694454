"""What every tool shares: evidence behind each claim, the request context, the tool spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

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
    `allowed` the tools the access policy grants this request; `feedback_allowed` whether
    feedback-derived facts may be shown at all (a tool that mixes atlas and feedback
    leaves the feedback out)."""

    kb: KB
    lang: Lang = "vi"
    chart_dir: Path | None = None
    requester: str = ""
    allowed: frozenset[str] | None = None  # None: every tool
    feedback_allowed: bool = True

    def may_use(self, tool: str) -> bool:
        return self.allowed is None or tool in self.allowed


@dataclass(frozen=True)
class ToolSpec:
    """The one definition of a tool. The router, `help`, the CLI subcommand, the LangChain
    tool given to an LLM and the evals are all derived from it.

    - `func(input, ctx) -> output`, whose docstring is the tool's description;
    - `render(output, lang) -> Markdown` (None: the agent composes the answer itself);
    - `commands`: words that name the tool as a command (`pains`, `/cx pains`); the first is
      the CLI subcommand;
    - `cues`: intent words in free text, diacritic-free, vi and en;
    - `help`: one line per language; `uses_feedback`: built on customer feedback, so the
      access policy may refuse it;
    - `shape_args(args, text) -> args`: optional; adjusts the arguments the router resolved
      (which of several is meant), kept beside the tool rather than in the router;
    - `free_text`: the input field that takes the rest of the request when nothing else
      does (a situation, a segment, a question);
    - `positional`: the input field given as the CLI's positional argument."""

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
    charts: bool = False  # draws a chart when the request has a chart folder

    @property
    def description(self) -> str:
        return " ".join((self.func.__doc__ or self.name).split())

    def run(self, args: dict[str, Any], ctx: ToolContext) -> BaseModel:
        fields = self.input_model.model_fields
        return self.func(self.input_model(**{k: v for k, v in args.items() if k in fields}), ctx)
