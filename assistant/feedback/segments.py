"""Customer segments and the cues of filters the data has no field for, read from
`corpus/playbook/segments.yaml` and checked with file:line: field messages."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from assistant.core.errors import SegmentsFileError
from assistant.core.text import nfc
from assistant.core.yaml_files import YamlData
from assistant.feedback.cues import CueMatcher, fold_aligned

Unsupported = Literal["location", "gender", "age", "channel", "product model", "occasion"]
# How mentions are read (negation included): stored segment members are computed again when
# this changes, as when the segments file does.
MENTION_RULES = "negation-1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cues(_Strict):
    """Cue words in each language; matching ignores case and, where untyped, diacritics."""

    vi: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("vi", "en")
    @classmethod
    def _clean(cls, words: list[Any]) -> list[str]:
        out = []
        for w in words:
            if not isinstance(w, str) or not w.strip():
                raise ValueError(f"a cue must be a non-empty text (got {w!r})")
            out.append(nfc(w.strip()))
        return out

    def all(self) -> list[str]:
        return [*self.vi, *self.en]


class SegmentName(_Strict):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Segment(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: SegmentName
    cues: Cues
    # Words a request names the segment by that are no evidence of who wrote a comment
    # ("những người thích selfie" in a review is someone else): read in requests only.
    asked: Cues = Field(default_factory=Cues)


class UnsupportedCue(_Strict):
    kind: Unsupported
    cues: Cues


class SegmentBook(_Strict):
    """The segments file: customer segments and the cues of filters the data cannot apply."""

    segments: list[Segment] = Field(default_factory=list)
    unsupported: list[UnsupportedCue] = Field(default_factory=list)

    _matchers: dict[str, CueMatcher] = PrivateAttr(default_factory=dict)

    def segment(self, sid: str) -> Segment | None:
        return next((s for s in self.segments if s.id == sid), None)

    def segment_matcher(self) -> CueMatcher:
        """Finds segment cues in a request or in a comment ("mình là sinh viên" -> students)."""
        if "segments" not in self._matchers:
            self._matchers["segments"] = CueMatcher({s.id: s.cues.all() for s in self.segments})
        return self._matchers["segments"]

    def request_matcher(self) -> CueMatcher:
        """Finds a segment in a request: its cues and the words only requests use."""
        if "requests" not in self._matchers:
            self._matchers["requests"] = CueMatcher(
                {s.id: [*s.cues.all(), *s.asked.all()] for s in self.segments})
        return self._matchers["requests"]

    def unsupported_matcher(self) -> CueMatcher:
        """Finds cues of the filters the data has no field for (location, gender, ...)."""
        if "unsupported" not in self._matchers:
            cues = {u.kind: u.cues.all() for u in self.unsupported}
            self._matchers["unsupported"] = CueMatcher(cues)
        return self._matchers["unsupported"]

    def segments_mentioned(self, text: str, request: bool = False) -> list[str]:
        """Ids of the segments whose cue words occur in `text` (a comment; `request`: a
        request, whose own words count too), in order of appearance; a negated mention
        ("không hợp với gamer", "not for students") is not one."""
        text = nfc(text)
        matcher = self.request_matcher() if request else self.segment_matcher()
        hits = sorted(matcher.find(text), key=lambda h: h.start)
        return list(dict.fromkeys(h.label for h in hits if not negated(text, h.start)))


# A negation shortly before a cue: the text says who it is NOT for. Grammar, so a list.
_NEGATION = re.compile(
    r"(?:\b(?:khong|ko|k|chang|cha|chua|not|no|never|non|nor|isnt|arent|wasnt|dont|doesnt|"
    r"cannot|cant|without)\b|n't)(?:\W+\w+){0,3}\W*$"
)


def negated(text: str, start: int) -> bool:
    """Whether the words just before `start` in `text` negate what follows."""
    before = fold_aligned(text[max(0, start - 40):start]).lower().replace("'", "")
    return bool(_NEGATION.search(before))


def validate_segments(path: Path) -> tuple[SegmentBook | None, list[str]]:
    """Read and check a segments file: the book, or None and every problem as
    'file:line: field: message'. Ids must be unique and each segment needs a cue."""
    data = YamlData(path)
    book = data.validate(SegmentBook)
    if book is None:
        return None, data.problems
    seen: set[str] = set()
    for i, seg in enumerate(book.segments):
        if seg.id in seen:
            data.report(("segments", i, "id"), f"duplicate segment id {seg.id!r}")
        seen.add(seg.id)
        if not seg.cues.all():
            data.report(("segments", i, "cues"), "a segment needs at least one cue word")
    return (None, data.problems) if data.problems else (book, [])


def load_segments(path: Path | None = None) -> SegmentBook:
    """The segments file (default: corpus/playbook/segments.yaml under CX_CORPUS_DIR).

    Cached per file and modification time; raises SegmentsFileError listing every problem.
    """
    if path is None:
        from assistant.core.settings import Settings

        path = Settings().cx_corpus_dir / "playbook" / "segments.yaml"
    if not path.is_file():
        raise SegmentsFileError(f"{path}: missing segments file")
    return _load_cached(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> SegmentBook:
    book, problems = validate_segments(path)
    if book is None:
        raise SegmentsFileError(
            f"the segments file has {len(problems)} problem(s):\n" + "\n".join(problems)
        )
    return book
