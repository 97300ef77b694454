"""The playbook: domain rules a company adapts as data (`corpus/playbook/*.yaml`), not code.

- `roadmap.yaml`: the action for each feedback aspect, its kind (product, service, policy),
  the digital touchpoints, the effort rules, and the headline KPIs with their targets;
- `names.yaml`: names for what the atlas writes in English or as ids (metrics, touchpoints);
- `persona.yaml`: the signals that show a Table 2 dimension in comments, and how to fill
  the dimensions the data cannot show;
- `citations.yaml`: the methodology passage each tool cites, pinned by article and phrase.

Validated like the atlas: every problem with file, line and field, the valid parts kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.atlas.model import (
    INDIVIDUAL_DIMENSIONS,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    ORGANIZATION_DIMENSIONS,
    Bi,
    Problem,
    _Reader,
)
from assistant.core.errors import AtlasError

AspectKind = Literal["product", "service", "policy"]
Level = Literal["high", "medium", "low"]
MetricGroup = Literal["operational", "perception", "outcome"]
# What each headline KPI measures is code (assistant/tools/kpis.py); its name and target data.
KpiId = Literal["service_complaints", "mean_rating", "net_stars"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AspectRule(_Strict):
    aspect: str
    kind: AspectKind
    need: Bi = Field(description="What a complaint about the aspect says customers need.")
    action: Bi
    journeys: dict[str, Bi] = Field(
        default_factory=dict,
        description="Journey id -> the action in that journey, where the general one speaks "
        "of another journey's steps (a loan phone belongs to a repair, not to a delivery).",
    )

    def action_for(self, journey: str) -> Bi:
        """The action for this aspect in one journey."""
        return self.journeys.get(journey, self.action)


class EffortRule(_Strict):
    kind: AspectKind
    digital: bool | None = Field(None, description="Needs a digital touchpoint (true) or not.")
    level: Level
    rule: Bi


class KpiRule(_Strict):
    """A headline KPI measured on the feedback, and the change a roadmap cycle aims for."""

    id: KpiId
    group: MetricGroup
    name: Bi
    definition: Bi
    change: float = Field(description="Target change, in the KPI's unit or relative.")
    relative: bool = Field(False, description="`change` is a fraction of the baseline.")


class RoadmapRules(_Strict):
    aspects: list[AspectRule]
    digital_touchpoints: list[str] = Field(default_factory=list)
    effort: list[EffortRule]
    kpis: list[KpiRule] = Field(default_factory=list)

    def aspect(self, aspect_id: str) -> AspectRule | None:
        return next((a for a in self.aspects if a.aspect == aspect_id), None)

    def effort_for(self, aspect_id: str, touchpoints: list[str]) -> EffortRule | None:
        rule = self.aspect(aspect_id)
        kind = rule.kind if rule else "policy"
        digital = bool(set(touchpoints) & set(self.digital_touchpoints))
        return next(
            (e for e in self.effort if e.kind == kind and e.digital in (None, digital)), None
        )


class Signal(_Strict):
    dimension: str
    label: Bi
    pattern: str

    @field_validator("dimension")
    @classmethod
    def _known(cls, v: str) -> str:
        known = set(INDIVIDUAL_DIMENSIONS) | set(ORGANIZATION_DIMENSIONS)
        if v not in known:
            raise ValueError(f"unknown dimension {v!r}; known: {', '.join(sorted(known))}")
        return v

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return v


class PersonaRules(_Strict):
    min_records: int = Field(5, ge=1)
    signals: list[Signal]
    how_to_fill: dict[str, Bi]


class Citation(_Strict):
    doc: str
    anchor: str = Field(min_length=3)


class Names(_Strict):
    metrics: dict[str, str] = Field(default_factory=dict, description="English -> Vietnamese.")
    touchpoints: dict[str, Bi] = Field(default_factory=dict, description="Id -> names.")


class Playbook(BaseModel):
    roadmap: RoadmapRules
    persona: PersonaRules
    citations: dict[str, Citation]
    names: Names = Field(default_factory=Names)

    def metric_name(self, name: str, lang: str) -> str:
        """An atlas metric's name in `lang` (the atlas writes them in English)."""
        return self.names.metrics.get(name, name) if lang == "vi" else name

    def touchpoint_name(self, touchpoint: str, lang: str) -> str:
        """A touchpoint's name in `lang` (the atlas names them by id)."""
        found = self.names.touchpoints.get(touchpoint)
        return found.get(lang) if found else touchpoint

    @property
    def service_aspects(self) -> set[str]:
        return {a.aspect for a in self.roadmap.aspects if a.kind == "service"}


def validate_playbook(
    root: Path,
    aspects: set[str] | None = None,
    articles: dict[str, str] | None = None,
    metrics: set[str] | None = None,
    touchpoints: set[str] | None = None,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> tuple[Playbook | None, list[Problem]]:
    """Read `root` (corpus/playbook); check aspects against the taxonomy, citation anchors
    against the article texts (doc id -> text), and that every atlas metric and touchpoint
    has its names, when those are given."""
    reader = _Reader(root, max_file_bytes, MAX_DEPTH)  # the atlas's limits on every file
    parts: dict[str, BaseModel | None] = {}
    for name, model in (("roadmap", RoadmapRules), ("persona", PersonaRules)):
        path = root / f"{name}.yaml"
        if not path.is_file():
            reader.problems.append(
                Problem(file=reader.rel(path), line=None, field="", message="missing file")
            )
            parts[name] = None
            continue
        parts[name] = reader.validate(model, reader.read(path), reader.rel(path))
    cites_path = root / "citations.yaml"
    citations: dict[str, Citation] = {}
    if cites_path.is_file():
        file = reader.rel(cites_path)
        raw = reader.read(cites_path) or {}
        if not isinstance(raw, dict):
            reader.problem(file, (), "expected a mapping: name -> {doc, anchor}")
            raw = {}
        for key, value in raw.items():
            c = reader.validate(Citation, value, file, (key,))
            if c is None:
                continue
            text = (articles or {}).get(c.doc)
            if articles is not None and text is None:
                reader.problem(file, (key, "doc"), f"no methodology article {c.doc!r}")
            elif text is not None and c.anchor not in text:
                reader.problem(file, (key, "anchor"), f"phrase not found in {c.doc}")
            else:
                citations[key] = c
    names = Names()
    names_path = root / "names.yaml"
    if names_path.is_file():  # optional: without it the atlas's own text is shown
        file = reader.rel(names_path)
        found = reader.validate(Names, reader.read(names_path) or {}, file)
        if isinstance(found, Names):
            names = found
            for name in sorted((metrics or set()) - set(found.metrics)):
                reader.problem(file, ("metrics",), f"no Vietnamese name for metric {name!r}")
            for name in sorted((touchpoints or set()) - set(found.touchpoints)):
                reader.problem(file, ("touchpoints",), f"no names for touchpoint {name!r}")
    roadmap = parts["roadmap"]
    if aspects is not None and isinstance(roadmap, RoadmapRules):
        file = reader.rel(root / "roadmap.yaml")
        for i, a in enumerate(roadmap.aspects):
            if a.aspect not in aspects:
                reader.problem(file, ("aspects", i, "aspect"),
                               f"aspect {a.aspect!r} is not in the atlas taxonomy")  # fmt: skip
    persona = parts["persona"]
    if isinstance(persona, PersonaRules):
        file = reader.rel(root / "persona.yaml")
        for dim in sorted(set(INDIVIDUAL_DIMENSIONS) | set(ORGANIZATION_DIMENSIONS)):
            if dim not in persona.how_to_fill:
                reader.problem(file, ("how_to_fill",), f"no way to fill dimension {dim!r}")
    if not isinstance(roadmap, RoadmapRules) or not isinstance(persona, PersonaRules):
        return None, reader.problems
    return Playbook(roadmap=roadmap, persona=persona, citations=citations,
                    names=names), reader.problems  # fmt: skip


def load_playbook(
    root: Path, aspects: set[str] | None = None, *, max_file_bytes: int = MAX_FILE_BYTES
) -> Playbook:
    playbook, problems = validate_playbook(root, aspects, max_file_bytes=max_file_bytes)
    if playbook is None:
        raise AtlasError(problems)
    return playbook
