"""Every tool, registered in one place: its input model, function and renderer.

The offline agent calls them directly; `langchain_tools` turns each into a LangChain tool
(the pydantic input model is the args schema, the function's docstring the description)
for the LLM agent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from assistant.knowledge.base import KnowledgeBase
from assistant.render.pain_points_md import render_pain_points
from assistant.render.tools_md import (
    render_five,
    render_journey_summary,
    render_persona,
    render_roadmap,
)
from assistant.tools.five_questions import FiveQuestionsInput, answer_five_questions
from assistant.tools.journey_summary import JourneySummaryInput, summarize_journey
from assistant.tools.pain_points import PainPointsInput, summarize_pain_points
from assistant.tools.persona import PersonaInput, draft_persona
from assistant.tools.roadmap import RoadmapInput, propose_roadmap
from assistant.tools.search import SearchInput, search_methodology


@dataclass(frozen=True)
class ToolSpec:
    name: str
    input_model: type[BaseModel]
    func: Callable[[Any, KnowledgeBase], BaseModel]
    render: Callable[[Any, str], str] | None

    @property
    def description(self) -> str:
        return " ".join((self.func.__doc__ or self.name).split())


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec("search", SearchInput, search_methodology, None),
        ToolSpec("five_questions", FiveQuestionsInput, answer_five_questions, render_five),
        ToolSpec("persona", PersonaInput, draft_persona, render_persona),
        ToolSpec("pain_points", PainPointsInput, summarize_pain_points, render_pain_points),
        ToolSpec("roadmap", RoadmapInput, propose_roadmap, render_roadmap),
        ToolSpec("journey_summary", JourneySummaryInput, summarize_journey, render_journey_summary),
    )
}


def run_tool(name: str, args: dict[str, Any], kb: KnowledgeBase) -> BaseModel:
    spec = TOOLS[name]
    fields = spec.input_model.model_fields
    return spec.func(spec.input_model(**{k: v for k, v in args.items() if k in fields}), kb)


def langchain_tools(kb: KnowledgeBase, on_result: Callable[[str, BaseModel], None]) -> list:
    """The registry as LangChain tools. Results go back to the model as JSON marked as
    untrusted data; `on_result` sees every typed result (to collect the citations)."""
    from langchain_core.tools import StructuredTool

    def make(spec: ToolSpec):  # noqa: ANN202
        def call(**kwargs: Any) -> str:
            out = spec.func(spec.input_model(**kwargs), kb)
            on_result(spec.name, out)
            return json.dumps(
                {"untrusted_data": True, "tool": spec.name, "result": out.model_dump(mode="json")},
                ensure_ascii=False,
            )

        return StructuredTool.from_function(
            func=call, name=spec.name, description=spec.description, args_schema=spec.input_model
        )

    return [make(spec) for spec in TOOLS.values()]
