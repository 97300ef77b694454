"""Atlas names in free text: journeys, steps, personas and aspects named by id, by their
Vietnamese or English names or by their `keywords`, with or without diacritics and with
small typos. One matcher serves the router, the CLI and the tools, so a name that routes
also works as an option (`journey "bảo hành"`, `--step "nhận lại máy"`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from assistant.core.text import fold, has_diacritics, words

Kind = Literal["journey", "step", "persona", "aspect"]


@dataclass(frozen=True)
class Phrase:
    kind: Kind
    id: str
    text: str  # folded
    exact: str = ""  # set for one short syllable with diacritics ("đơ"): folded, it would
    # collide with other words ("do"), so it must match as written


def norm(text: str) -> str:
    """Diacritic-free words joined by single spaces ('After-sales' -> 'after sales')."""
    return " ".join(words(fold(text)))


def fuzzy_contains(tokens: list[str], phrase: str) -> float:
    """How well a phrase occurs in the tokens: 1.0 exact, ~0.85+ with small typos, else 0."""
    ptoks = phrase.split()
    if not ptoks:
        return 0.0
    text = " ".join(tokens)
    # An English plural ("trade-ins", "apps"): no Vietnamese syllable ends in "s".
    if re.search(rf"(?<!\w){re.escape(phrase)}(?:e?s)?(?!\w)", text):
        return 1.0
    n = len(ptoks)
    if n == 1 and len(phrase) >= 4 and any(t.startswith(phrase) for t in tokens):
        return 0.9  # "unboxing" names the "unbox" step
    best = 0.0
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if len("".join(window)) < 5:  # short words must match exactly
            continue
        # Word by word: a typo in a word is tolerated, a different word is not.
        ratios = []
        for w, p in zip(window, ptoks, strict=True):
            # A short word (a Vietnamese syllable) with one letter changed is another word
            # ("hơn" is not "chọn"): only longer words are read through typos.
            ratios.append(_word_ratio(w, p) if min(len(w), len(p)) > 4 else float(w == p))
            if ratios[-1] < 0.75:
                break
        else:
            best = max(best, sum(ratios) / n)
    return best if best >= 0.86 else 0.0


@lru_cache(maxsize=65536)
def _word_ratio(word: str, other: str) -> float:
    """difflib's similarity of two words; 0.0 for pairs that cannot reach 0.75 (the cheap
    upper bounds first: routing compares every word of a request with every atlas name)."""
    if 2 * min(len(word), len(other)) < 0.75 * (len(word) + len(other)):
        return 0.0
    if len(word) == len(other) and one_swap(word, other):
        return 0.9  # "camrea", "battrey": two letters typed the wrong way round
    matcher = difflib.SequenceMatcher(None, word, other)
    return matcher.ratio() if matcher.quick_ratio() >= 0.75 else 0.0


def one_swap(word: str, other: str) -> bool:
    """Whether two words of one length differ by two neighbouring letters swapped."""
    diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
    return (len(diff) == 2 and diff[1] == diff[0] + 1
            and word[diff[0]] == other[diff[1]] and word[diff[1]] == other[diff[0]])


# Function words and light verbs ("get a valuation" is said "the valuation step"), which
# say nothing of which step is meant (closed classes, so a list).
FUNCTION_WORDS = frozenset(
    "a an the and or of to for in on at with from by its their it is are get gets getting "
    "va hoac cua cho tu voi tren tai khi luc de o la cac nhung mot duoc".split()
)


# A text typed without diacritics cannot write a short name as written: there the bare
# syllable is read, except inside the compounds it is part of. Only "gia" gets one ("khach
# che gi ve gia" is the price; "tham gia", "gia dinh" are not): "do" for "đơ", "mau" for
# "màu" or "sac" for "sạc" are common words of their own, so those stay as written.
_BARE_EXCEPT = {
    "gia": re.compile(r"\b(?:tham|chuyen|quoc|dai|danh|tri|nguoi|tuoi|ty) gia\b|\bgia (?:dinh|han|"
                      r"tang|nhap|dung|vi|su|tri|lai|dich|cong|nhiet|toc|truyen|pha|phong|canh|"
                      r"chu|vo)\b"),
}


_CONJUNCTION = re.compile(r"\b(?:va|and)\b")


class AtlasNames:
    """Every name of every atlas entity, matched in free text."""

    def __init__(self, names: Iterable[tuple[Kind, str, str]]) -> None:
        """`names`: (kind, id, name) for every name of every entity (Atlas.names builds them)."""
        self.phrases: list[Phrase] = []
        self._step_words: dict[str, list[frozenset[str]]] | None = None
        for kind, pid, t in names:
            folded = norm(t)
            if not folded:
                continue
            plain = " ".join(words(t))
            short = " " not in folded and len(folded) <= 4 and plain != folded
            self.phrases.append(Phrase(kind, pid, folded, plain if short else ""))
            # A long name said without its "và"/"and" ("nhân viên tư vấn so sánh máy" for
            # "Nhân viên tư vấn và so sánh máy") is still that name.
            bare = _CONJUNCTION.sub(" ", folded).split()
            if kind in ("journey", "step") and len(bare) >= 3 and len(bare) < len(folded.split()):
                self.phrases.append(Phrase(kind, pid, " ".join(bare)))

    def of(self, kind: str, eid: str) -> list[str]:
        """Every name (folded) of one entity."""
        return [p.text for p in self.phrases if p.kind == kind and p.id == eid]

    def step_words(self) -> dict[str, list[frozenset[str]]]:
        """Each step's names as the words only that step's name says: without function words
        and without its journey's own names and keywords ("Nhận hàng từ nhân viên giao" says
        "vien" beyond the delivery journey's "nhận hàng", "giao")."""
        if getattr(self, "_step_words", None) is None:
            journey_words: dict[str, set[str]] = {}
            for p in self.phrases:
                if p.kind == "journey":
                    journey_words.setdefault(p.id, set()).update(p.text.split())
            out: dict[str, list[frozenset[str]]] = {}
            for p in self.phrases:
                if p.kind == "step":
                    own = set(p.text.split()) - FUNCTION_WORDS
                    own -= journey_words.get(p.id.split(".")[0], set())
                    if own:
                        out.setdefault(p.id, []).append(frozenset(own))
            self._step_words = out
        return self._step_words

    def says_step(self, text: str) -> list[tuple[str, float]]:
        """Steps whose own words (step_words) the text says: at least two of them, or the one
        a name has; (step, share of the name said), best first."""
        said = set(norm(text).split())
        found: dict[str, float] = {}
        for sid, names in self.step_words().items():
            for own in names:
                hits = len(own & said)
                if hits >= 2 or (hits == 1 and len(own) == 1):
                    found[sid] = max(found.get(sid, 0.0), hits / len(own))
        return sorted(found.items(), key=lambda kv: -kv[1])

    def entities(self, text: str) -> dict[str, list[tuple[str, float]]]:
        """Atlas entities mentioned in the text, best first: kind -> [(id, score)]."""
        tokens = words(fold(text))
        plain = words(text)
        bare = "" if has_diacritics(text) else " ".join(tokens)
        found: dict[str, dict[str, float]] = {}
        for ph in self.phrases:
            if ph.exact:
                match = ph.exact in plain or (ph.text in _BARE_EXCEPT and ph.text in (
                    _BARE_EXCEPT[ph.text].sub(" ", bare).split()))
            else:
                match = fuzzy_contains(tokens, ph.text)
            if match:
                # Longer phrases are more specific: weigh by length in words.
                score = match * (1 + 0.5 * (len(ph.text.split()) - 1))
                bucket = found.setdefault(ph.kind, {})
                bucket[ph.id] = max(bucket.get(ph.id, 0.0), score)
        return {k: sorted(v.items(), key=lambda kv: -kv[1]) for k, v in found.items()}

    def resolve(self, kind: Kind, name: str, within: str | None = None) -> str | None:
        """The id a name stands for: an exact id or name first, then the best phrase match
        (for steps, `within` limits the search to one journey). None when nothing matches."""
        wanted = norm(name)
        exact = [p.id for p in self.phrases if p.kind == kind and p.text == wanted]
        if within and kind == "step":
            exact = [i for i in exact if i.startswith(f"{within}.")]
        if exact:
            return exact[0]
        ranked = self.entities(name).get(kind, [])
        if not ranked and wanted:
            # A name given as an option may be the start of a longer one ("nhận lại máy" for
            # "Nhận lại máy và kiểm tra"): rank by how much of the longer name it covers.
            scores: dict[str, float] = {}
            for p in self.phrases:
                if p.kind == kind and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", p.text):
                    scores[p.id] = max(scores.get(p.id, 0.0), len(wanted) / len(p.text))
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if within and kind == "step":
            ranked = [(i, s) for i, s in ranked if i.startswith(f"{within}.")]
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return None  # nothing, or two equally good: not a guess to make silently
        return ranked[0][0]
