"""The journey atlas: schema, loading with file/line/field problems, and navigation.

Layout of an atlas folder (`corpus/atlas/` ships a sample):
    personas.yaml      a list of personas
    taxonomy.yaml      the feedback aspects and the steps they speak about
    links.yaml         links from a step of one journey into a step of another
    journeys/*.yaml    one journey per file: stages in order, steps in order
Steps are referred to as JOURNEY.STEP everywhere (links, taxonomy, tools).

Reading is bounded: a file over CX_MAX_ATLAS_FILE_BYTES is refused, YAML aliases (`*name`,
`<<: *name`) are refused (a few hundred bytes of them expand to gigabytes), nesting deeper
than MAX_DEPTH is refused, at most MAX_PROBLEMS_PER_FILE problems are listed per file, and
messages quote values cut short. Each refusal is a problem with file, line and field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from assistant.atlas.names import AtlasNames
from assistant.atlas.names import Kind as NameKind
from assistant.core.errors import AtlasError, UnknownNameError
from assistant.core.text import fold
from assistant.core.yaml_files import field_path, node_line

# libyaml's parser when PyYAML was built with it: the atlas is read on every CLI call.
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FILE_BYTES = 1_000_000  # default of CX_MAX_ATLAS_FILE_BYTES
MAX_DEPTH = 64  # the sample atlas nests about 10 levels
MAX_PROBLEMS_PER_FILE = 200

INDIVIDUAL_DIMENSIONS = (
    "demographics", "technology", "psychographics", "ethnography", "behaviour", "transactions",
)  # fmt: skip
ORGANIZATION_DIMENSIONS = (
    "company", "technology", "psychographics", "business_situation", "business",
    "organizational_model", "resources",
)  # fmt: skip
# The taxonomy's aspect of the overall verdict ("đánh giá chung"): its words ("nói chung",
# "overall") beside another aspect only say "on the whole" (see agent/slots.py).
OVERALL_ASPECT = "GENERAL"
# What a persona dimension and a customer type are called in each language.
DIMENSION_NAMES = {
    "vi": {"demographics": "Nhân khẩu học", "technology": "Công nghệ",
           "psychographics": "Tâm lý học", "ethnography": "Dân tộc học", "behaviour": "Hành vi",
           "transactions": "Giao dịch", "company": "Công ty",
           "business_situation": "Tình hình doanh nghiệp", "business": "Kinh doanh",
           "organizational_model": "Mô hình của tổ chức", "resources": "Nguồn lực"},
    "en": {"demographics": "Demographics", "technology": "Technology",
           "psychographics": "Psychographics", "ethnography": "Ethnography",
           "behaviour": "Behaviour", "transactions": "Transactions", "company": "Company",
           "business_situation": "Business situation", "business": "Business",
           "organizational_model": "Organizational model", "resources": "Resources"},
}  # fmt: skip
CUSTOMER_TYPE_NAMES = {"vi": {"individual": "cá nhân", "organization": "tổ chức"},
                       "en": {"individual": "individual", "organization": "organization"}}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Bi(_Strict):
    """A text in Vietnamese and English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


class Sourced(Bi):
    """A persona fact: where it comes from, or that it is an assumption still to check."""

    source: str = ""
    assumption: bool = False

    @model_validator(mode="after")
    def _source_or_assumption(self) -> Sourced:
        if bool(self.source) == self.assumption:
            raise ValueError("give either a source or `assumption: true` (exactly one)")
        return self


class _Named(_Strict):
    """Something people refer to by id, by its name in either language, or by keywords."""

    id: str
    name: Bi
    keywords: list[str] = Field(
        default_factory=list, description="Other words people use for it (vi or en)."
    )


class Persona(_Named):
    customer_type: Literal["individual", "organization"]
    dimensions: dict[str, Sourced] = Field(default_factory=dict)
    goals: list[Sourced] = Field(default_factory=list)
    needs: list[Sourced] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dimensions_fit_type(self) -> Persona:
        allowed = (
            INDIVIDUAL_DIMENSIONS if self.customer_type == "individual" else ORGANIZATION_DIMENSIONS
        )
        wrong = [d for d in self.dimensions if d not in allowed]
        if wrong:
            raise ValueError(
                f"dimension(s) {', '.join(wrong)} do not apply to a {self.customer_type} "
                f"customer; allowed: {', '.join(allowed)}"
            )
        return self


class Metrics(_Strict):
    """The three metric groups of the methodology (article cx-team)."""

    operational: list[str] = Field(default_factory=list)
    perception: list[str] = Field(default_factory=list)
    outcome: list[str] = Field(default_factory=list)


class Step(_Strict):
    id: str
    name: Bi
    intent: Bi
    touchpoints: list[str] = Field(default_factory=list)
    channel: str
    actions: list[Bi] = Field(default_factory=list)
    thoughts: list[Bi] = Field(default_factory=list)
    emotion: int = Field(ge=-2, le=2, description="-2 (very negative) .. +2 (very positive)")
    expectations: list[Bi] = Field(default_factory=list)
    pain_points: list[Bi] = Field(default_factory=list)
    moment_of_truth: bool = False
    metrics: Metrics = Field(default_factory=Metrics)
    aspects: list[str] = Field(default_factory=list)


class Stage(_Strict):
    id: str
    name: Bi
    steps: list[Step] = Field(min_length=1)


class Journey(_Named):
    personas: list[str] = Field(min_length=1)
    goal: Bi
    trigger: Bi
    end: Bi
    stages: list[Stage] = Field(min_length=1)

    def steps(self) -> Iterator[tuple[Stage, Step]]:
        for stage in self.stages:
            for step in stage.steps:
                yield stage, step


class Link(_Strict):
    from_: str = Field(alias="from")
    to: str
    note: Bi | None = None


class Aspect(_Named):
    description: Bi
    steps: list[str] = Field(default_factory=list)
    touchpoints: list[str] = Field(default_factory=list)


class StepRef(BaseModel):
    """A step located in the atlas."""

    ref: str
    journey: Journey
    stage: Stage
    step: Step


class Problem(BaseModel):
    file: str
    line: int | None
    field: str
    message: str

    @classmethod
    def from_text(cls, text: str) -> Problem:
        """A problem written as 'file:line: field: message' (the playbook's YAML readers)."""
        m = re.match(r"^(?P<file>.+?):(?P<line>\d+): (?P<rest>.*)$", text, re.S)
        if m is None:
            file, _, rest = text.partition(": ")
            return cls(file=file, line=None, field="", message=rest)
        field, sep, message = m.group("rest").partition(": ")
        if not sep:
            field, message = "", field
        return cls(file=m.group("file"), line=int(m.group("line")), field=field, message=message)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


def _closest(name: str, candidates: dict[str, str]) -> list[str]:
    """Ids whose id or name is closest to `name` (accent-insensitive)."""
    by_key = {fold(k): v for k, v in candidates.items()}
    wanted = fold(name)
    contains = [k for k in by_key if wanted in k or k in wanted]
    keys = contains + difflib.get_close_matches(wanted, list(by_key), n=6, cutoff=0.4)
    return list(dict.fromkeys(by_key[k] for k in keys))[:3]


class Atlas(BaseModel):
    personas: list[Persona] = Field(default_factory=list)
    journeys: list[Journey] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    taxonomy: list[Aspect] = Field(default_factory=list)
    _names: AtlasNames | None = PrivateAttr(None)
    _step_refs: dict[str, StepRef] | None = PrivateAttr(None)  # an atlas never changes once loaded

    # -- lookup --------------------------------------------------------------------------
    def persona(self, pid: str) -> Persona | None:
        return next((p for p in self.personas if p.id == pid), None)

    def journey(self, jid: str) -> Journey | None:
        return next((j for j in self.journeys if j.id == jid), None)

    def aspect(self, aid: str) -> Aspect | None:
        return next((a for a in self.taxonomy if a.id == aid), None)

    def find_journey(self, name: str) -> Journey:
        """A journey by id or by its Vietnamese or English name (case and accents ignored)."""
        wanted = fold(name.strip())
        for j in self.journeys:
            if wanted in (fold(j.id), fold(j.name.vi), fold(j.name.en)):
                return j
        found = self.names().resolve("journey", name)  # keywords, partial names, typos
        if found:
            return self.journey(found)  # type: ignore[return-value]
        names = {j.id: j.id for j in self.journeys}
        names |= {j.name.vi: j.id for j in self.journeys} | {j.name.en: j.id for j in self.journeys}
        raise UnknownNameError("journey", name, _closest(name, names))

    def find_step(self, journey: Journey, name: str) -> StepRef:
        """A step of a journey by id, JOURNEY.STEP ref, or name in either language."""
        wanted = fold(name.strip())
        refs = [r for r in self.step_refs() if r.journey.id == journey.id]
        for r in refs:
            if wanted in (fold(r.step.id), fold(r.ref), fold(r.step.name.vi), fold(r.step.name.en)):
                return r
        found = self.names().resolve("step", name, within=journey.id)
        if found:
            return next(r for r in refs if r.ref == found)
        names = {r.step.id: r.step.id for r in refs}
        names |= {r.step.name.vi: r.step.id for r in refs} | {
            r.step.name.en: r.step.id for r in refs
        }
        raise UnknownNameError(f"step in journey {journey.id!r}", name, _closest(name, names))

    def find_persona(self, name: str) -> Persona:
        """A persona by id, by name in either language or by its keywords."""
        found = self.persona(name) or self.persona(self.names().resolve("persona", name) or "")
        if found is None:
            names = {p.id: p.id for p in self.personas} | {p.name.en: p.id for p in self.personas}
            raise UnknownNameError("persona", name, _closest(name, names))
        return found

    def names(self) -> AtlasNames:
        """The matcher of every entity's names (built once: the atlas is immutable)."""
        if self._names is None:
            names: list[tuple[NameKind, str, str]] = []
            for j in self.journeys:
                names += [("journey", j.id, t) for t in (j.id, j.name.vi, j.name.en, *j.keywords)]
            for ref in self.step_refs():
                s = ref.step
                names += [("step", ref.ref, t) for t in (s.id, s.name.vi, s.name.en)]
            for p in self.personas:
                names += [("persona", p.id, t) for t in (p.id, p.name.vi, p.name.en, *p.keywords)]
            for a in self.taxonomy:
                names += [("aspect", a.id, t) for t in (a.id, a.name.vi, a.name.en, *a.keywords)]
            self._names = AtlasNames(names)
        return self._names

    def _refs(self) -> dict[str, StepRef]:
        if self._step_refs is None:
            self._step_refs = {
                f"{j.id}.{step.id}": StepRef(ref=f"{j.id}.{step.id}", journey=j, stage=stage,
                                             step=step)
                for j in self.journeys
                for stage, step in j.steps()
            }  # fmt: skip
        return self._step_refs

    def step_refs(self) -> list[StepRef]:
        return list(self._refs().values())

    def locate(self, ref: str) -> StepRef | None:
        return self._refs().get(ref)

    # -- navigation ----------------------------------------------------------------------
    def next_steps(self, ref: str) -> list[str]:
        """Steps that follow: the next step of the journey, or where its links lead."""
        located = self.locate(ref)
        if located is None:
            return []
        order = [f"{located.journey.id}.{s.id}" for _, s in located.journey.steps()]
        i = order.index(ref)
        linked = [link.to for link in self.links if link.from_ == ref]
        return [order[i + 1]] if i + 1 < len(order) else linked

    def previous_steps(self, ref: str) -> list[str]:
        """Steps that come before: the previous step of the journey, or links leading in."""
        located = self.locate(ref)
        if located is None:
            return []
        order = [f"{located.journey.id}.{s.id}" for _, s in located.journey.steps()]
        i = order.index(ref)
        linked = [link.from_ for link in self.links if link.to == ref]
        return [order[i - 1]] if i > 0 else linked

    def walk(self, ref: str, direction: Literal["before", "after"], n: int = 3) -> list[str]:
        """Up to n steps back or on, crossing into linked journeys (the first link when a
        step has several); nearest first. Stops early where the atlas has nothing more."""
        out: list[str] = []
        seen = {ref}
        current = ref
        for _ in range(n):
            options = (
                self.previous_steps(current) if direction == "before" else self.next_steps(current)
            )
            options = [o for o in options if o not in seen]
            if not options:
                break
            current = options[0]
            seen.add(current)
            out.append(current)
        return out


# -- loading with line numbers ---------------------------------------------------------------


def _preview(value: Any, limit: int = 60) -> str:
    """A value quoted in a message, never the whole of a large one (nor its repr)."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < 10**limit else "a very large number"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


def _screen(text: str, max_depth: int) -> tuple[int | None, str] | None:
    """One pass over the YAML events before anything is built: (line, problem) for the
    first alias or the first nesting deeper than max_depth."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1, (
                f"YAML aliases are not allowed in the atlas (*{_preview(event.anchor, 40)[1:-1]}):"
                f" write the value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                return event.start_mark.line + 1, f"nested deeper than {max_depth} levels"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


class _Reader:
    def __init__(self, root: Path, max_file_bytes: int, max_depth: int) -> None:
        self.root = root
        self.max_file_bytes = max_file_bytes
        self.max_depth = max_depth
        self.problems: list[Problem] = []
        self.nodes: dict[str, yaml.Node] = {}
        self._listed: dict[str, int] = {}
        self._unlisted: dict[str, int] = {}

    def add(self, problem: Problem) -> None:
        """Record a problem; past MAX_PROBLEMS_PER_FILE in one file they are only counted."""
        n = self._listed.get(problem.file, 0)
        if n >= MAX_PROBLEMS_PER_FILE:
            self._unlisted[problem.file] = self._unlisted.get(problem.file, 0) + 1
            return
        self._listed[problem.file] = n + 1
        self.problems.append(problem)

    def finish(self) -> list[Problem]:
        for file, n in self._unlisted.items():
            msg = f"{n:,} more problems in this file are not listed"
            self.problems.append(Problem(file=file, line=None, field="", message=msg))
        return self.problems

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def read(self, path: Path) -> Any:
        name = self.rel(path)
        size = path.stat().st_size
        if size > self.max_file_bytes:
            msg = (
                f"the file is {size:,} bytes; the limit is {self.max_file_bytes:,} "
                f"(CX_MAX_ATLAS_FILE_BYTES)"
            )
            self.add(Problem(file=name, line=None, field="", message=msg))
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.add(
                Problem(
                    file=name,
                    line=None,
                    field="",
                    message=f"not UTF-8 ({exc.reason} at byte {exc.start})",
                )
            )
            return None
        try:
            refused = _screen(text, self.max_depth)
            if refused:
                self.add(Problem(file=name, line=refused[0], field="", message=refused[1]))
                return None
            # One parse: the nodes (for line numbers) and the data built from them.
            loader = _Loader(text)
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = str(getattr(exc, "problem", None) or exc)[:200]
            self.add(
                Problem(
                    file=name,
                    line=mark.line + 1 if mark else None,
                    field="",
                    message=f"YAML syntax error: {problem}",
                )
            )
            return None
        except ValueError:  # an integer of more than 4,300 digits
            msg = "a number is too long to read"
            self.add(Problem(file=name, line=None, field="", message=msg))
            return None
        self.nodes[name] = node
        return data

    def validate(self, model: type[BaseModel], data: Any, file: str, base: tuple = ()) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            room = max(MAX_PROBLEMS_PER_FILE - self._listed.get(file, 0), 0)
            if len(errors) > room:
                self._unlisted[file] = self._unlisted.get(file, 0) + len(errors) - room
            for err in errors[:room]:
                loc = base + tuple(p for p in err["loc"] if p not in ("function-after",))
                msg = err["msg"].removeprefix("Value error, ")[:200]
                if err["type"] not in ("missing", "extra_forbidden") and "input" in err:
                    msg += f" (got {_preview(err['input'])})"
                self.add(
                    Problem(
                        file=file,
                        line=node_line(self.nodes.get(file), loc),
                        field=field_path(loc),
                        message=msg,
                    )
                )
            return None

    def problem(self, file: str, loc: tuple, message: str) -> None:
        if self._listed.get(file, 0) >= MAX_PROBLEMS_PER_FILE:  # not listed: skip the lookup
            self._unlisted[file] = self._unlisted.get(file, 0) + 1
            return
        self.add(
            Problem(file=file, line=node_line(self.nodes.get(file), loc), field=field_path(loc),
                    message=message)
        )  # fmt: skip

    def read_list(
        self, path: Path, model: type[BaseModel], data: Any
    ) -> list[tuple[Any, str, tuple]]:
        """Validate each item of a YAML list on its own: one bad item keeps the others."""
        name = self.rel(path)
        if not path.is_file():
            self.add(Problem(file=name, line=None, field="", message="missing file"))
            return []
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(name, (), "expected a list")
            return []
        out = []
        for i, item in enumerate(data):
            obj = self.validate(model, item, name, (i,))
            if obj is not None:
                out.append((obj, name, (i,)))
        return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(items: Any) -> set[str]:
    return {i["id"] for i in _list(items) if isinstance(i, dict) and isinstance(i.get("id"), str)}


def _raw_steps(data: dict[str, Any]) -> Iterator[tuple[int, int, dict, dict]]:
    """(stage index, step index, stage, step) of a journey as written, however malformed."""
    stages = data.get("stages")
    for si, stage in enumerate(stages if isinstance(stages, list) else []):
        steps = stage.get("steps") if isinstance(stage, dict) else None
        for ti, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict):
                yield si, ti, stage, step


def validate_atlas(
    root: Path, *, max_file_bytes: int = MAX_FILE_BYTES, max_depth: int = MAX_DEPTH
) -> tuple[Atlas, list[Problem]]:
    """Read an atlas folder; return what is valid and every problem found (file, line, field).

    Cross-references are checked on the data as written, so one invalid field does not hide
    an unknown persona next to it, nor turn every link into its journey into a false alarm.
    Values of the wrong type there are skipped: validation has reported them already.
    """
    r = _Reader(root, max_file_bytes, max_depth)
    if not root.is_dir():
        return Atlas(), [Problem(file=str(root), line=None, field="", message="no such folder")]
    raw: dict[str, Any] = {}

    def read_list(name: str, model: type[BaseModel]) -> list[tuple[Any, str, tuple]]:
        path = root / name
        raw[name] = r.read(path) if path.is_file() else None
        return r.read_list(path, model, raw[name])

    personas = read_list("personas.yaml", Persona)
    taxonomy = read_list("taxonomy.yaml", Aspect)
    links = read_list("links.yaml", Link) if (root / "links.yaml").exists() else []
    journeys: list[tuple[Journey, str, tuple]] = []
    raw_journeys: list[tuple[dict[str, Any], str]] = []
    files = sorted((root / "journeys").glob("*.yaml")) if (root / "journeys").is_dir() else []
    if not files:
        r.add(
            Problem(file=r.rel(root / "journeys"), line=None, field="", message="no journey files")
        )
    for path in files:
        data = r.read(path)
        if data is None:
            continue
        if isinstance(data, dict):
            raw_journeys.append((data, r.rel(path)))
        journey = r.validate(Journey, data, r.rel(path))
        if journey is not None:
            journeys.append((journey, r.rel(path), ()))

    def unique(items: list[tuple[Any, str, tuple]], what: str) -> list[Any]:
        seen: dict[str, str] = {}
        kept = []
        for obj, file, loc in items:
            if obj.id in seen:
                msg = f"duplicate {what} id {_preview(obj.id)} (first in {seen[obj.id]})"
                r.problem(file, (*loc, "id"), msg)
                continue
            seen[obj.id] = file
            kept.append(obj)
        return kept

    atlas = Atlas(
        personas=unique(personas, "persona"),
        taxonomy=unique(taxonomy, "aspect"),
        journeys=unique(journeys, "journey"),
    )
    persona_ids = _ids(raw.get("personas.yaml"))
    aspect_ids = _ids(raw.get("taxonomy.yaml"))
    refs: set[str] = set()
    for data, file in raw_journeys:
        jid = data.get("id")
        for i, pid in enumerate(_list(data.get("personas"))):
            if persona_ids and isinstance(pid, str) and pid not in persona_ids:
                r.problem(file, ("personas", i), f"unknown persona {_preview(pid)}")
        seen_steps: set[str] = set()
        for si, ti, _stage, step in _raw_steps(data):
            loc = ("stages", si, "steps", ti)
            sid = step.get("id")
            if not isinstance(sid, str):
                continue
            if sid in seen_steps:
                msg = f"duplicate step id {_preview(sid)} in journey {_preview(jid)}"
                r.problem(file, (*loc, "id"), msg)
            seen_steps.add(sid)
            if isinstance(jid, str):
                refs.add(f"{jid}.{sid}")
            for ai, aspect in enumerate(_list(step.get("aspects"))):
                if aspect_ids and isinstance(aspect, str) and aspect not in aspect_ids:
                    r.problem(file, (*loc, "aspects", ai), f"unknown aspect {_preview(aspect)}")
    for link, file, loc in links:
        ok = True
        for key, ref in (("from", link.from_), ("to", link.to)):
            if ref not in refs:
                r.problem(file, (*loc, key), f"dangling link: no step {_preview(ref)}")
                ok = False
        if ok:
            atlas.links.append(link)
    for aspect, file, loc in taxonomy:
        for i, ref in enumerate(aspect.steps):
            if ref not in refs:
                r.problem(file, (*loc, "steps", i), f"unknown step {_preview(ref)}")
    # Links into journeys that failed validation are kept out of the usable atlas.
    usable = {s.ref for s in atlas.step_refs()}
    atlas.links = [lk for lk in atlas.links if lk.from_ in usable and lk.to in usable]
    return atlas, r.finish()


def load_atlas(root: Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> Atlas:
    """The atlas, or AtlasError listing every problem."""
    atlas, problems = validate_atlas(root, max_file_bytes=max_file_bytes)
    if problems:
        raise AtlasError(problems)
    return atlas
