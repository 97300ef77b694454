"""What the agent returns, whatever tool answered."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.text import Lang


class Citation(BaseModel):
    doc_id: str
    title: str
    kind: str
    quote: str = Field(description="The cited chunk's text.")
    score: float


class Answer(BaseModel):
    question: str
    lang: Lang
    answer: str = Field(description="Markdown text; every point refers to a citation [n].")
    citations: list[Citation]
    tool: str = Field(description="The capability that answered.")
    result: dict[str, Any] | None = Field(None, description="The tool's own output, if any.")

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
