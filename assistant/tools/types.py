"""Types shared by the tools: evidence behind every claim, and confidence from its amount."""

from __future__ import annotations

from typing import Literal

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


def confidence_from(records: int, atlas_only: bool = False) -> Confidence:
    """High from 100 feedback records, medium from 20, low below; atlas-only facts are low
    (written by people, not measured)."""
    if records >= 100:
        return "high"
    if records >= 20:
        return "medium"
    if records > 0 or atlas_only:
        return "low"
    return "none"
