"""What the agent returns, whatever tool answered."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SerializeAsAny

from assistant.core.text import Lang

Status = Literal["answered", "refused", "clarify", "error", "out_of_scope", "help"]


class Citation(BaseModel):
    doc_id: str
    title: str
    kind: str
    quote: str = Field(description="The cited text, verbatim, in the answer's language.")
    score: float
    # Methodology citations also name the unit and carry the same passage in the other
    # rendering (the Vietnamese original when the answer is English, and the other way round).
    ref: str | None = Field(None, description="The cited unit (article#unit).")
    lang: str | None = Field(None, description="Language of `title`, `section` and `quote`.")
    section: str | None = None
    twin_lang: str | None = Field(None, description="Language of the other rendering.")
    twin_title: str | None = None
    twin_section: str | None = None
    twin_quote: str | None = Field(None, description="The cited text in the other rendering.")


class Attachment(BaseModel):
    """A file that goes with the answer (a chart): a surface uploads or names it."""

    kind: Literal["chart"] = "chart"
    path: str
    title: str = ""


class Answer(BaseModel):
    question: str
    lang: Lang
    answer: str = Field(description="Markdown text; every point refers to a citation [n].")
    citations: list[Citation]
    tool: str = Field(description="The capability that answered.")
    status: Status = "answered"
    result: SerializeAsAny[BaseModel] | None = Field(
        None, description="The tool's own typed output, if a tool answered."
    )
    attachments: list[Attachment] = Field(default_factory=list)
    # In a conversation: what kind of turn it was (new, edit, switch_tool, language, more,
    # clarify) and the frame after it (tool, filters, language), for scripts and evals.
    act: str | None = None
    frame: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True)
        if not self.attachments:
            data.pop("attachments")
        return data
