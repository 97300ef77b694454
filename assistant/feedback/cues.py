"""Cue phrases found in texts: case- and diacritic-insensitive, on word boundaries.

Shared by the request filters (segments, unsupported filters), the segment book and the
journey linker.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

from assistant.core.text import fold, has_diacritics, nfc

_WORDS = re.compile(r"\w+")
_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "’": "'"})


class _FoldTable(dict):
    """A str.translate table that folds each character to one character, computed once per
    character seen (translate runs in C: a scan of every comment stays fast)."""

    def __missing__(self, code: int) -> str:
        f = fold(chr(code))
        self[code] = value = (f[0] if f else " ").translate(_DASHES)
        return value


_FOLD_TABLE = _FoldTable()


def fold_aligned(text: str) -> str:
    """fold() character by character, so offsets in the result are offsets in `text`
    (which must be NFC); dashes and curly apostrophes are made plain."""
    return text.translate(_FOLD_TABLE)


class CueHit(NamedTuple):
    """A cue found in a text: its label, the cue as written in the data (NFC, lower case)
    and the offsets of the words that matched it."""

    label: str
    cue: str
    start: int
    end: int


class CueMatcher:
    """Finds cue phrases in texts: case- and diacritic-insensitive, on word boundaries.

    Accents are ignored only where the text was typed without them: a phrase written with
    diacritics on any of its syllables must match the cue exactly ("tỉnh" is not "tính";
    "tra lại" in "kiểm tra lại" is not "trả lại"), while a phrase typed with none matches
    whatever accents the cue has ("tinh le" matches "tỉnh lẻ"). Texts often mix both.
    """

    def __init__(self, cues: dict[str, list[str]]) -> None:
        """`cues`: label -> cue phrases. Longer phrases are tried first."""
        pairs = [(nfc(c).lower(), label) for label, words in cues.items() for c in words]
        pairs.sort(key=lambda p: -len(p[0]))
        self._cues = [(c, fold_aligned(c), label) for c, label in pairs]
        # Compiled on first use: a text tries only the cues whose first word it has, and
        # compiling thousands of cues up front cost a cold `ask` ~0.4 s.
        self._patterns: list[re.Pattern[str] | None] = [None] * len(self._cues)
        # A cue can only match where its first word is a word of the text: index cues by it,
        # so a text tries the few cues whose first word it has, not all of them.
        self._by_head: dict[str, list[int]] = defaultdict(list)
        self._always: list[int] = []
        for i, (_, f, _) in enumerate(self._cues):
            head = f.split(" ", 1)[0]
            if _WORDS.fullmatch(head):
                self._by_head[head].append(i)
            else:
                self._always.append(i)

    def find(self, text: str, folded: str | None = None) -> Iterator[CueHit]:
        """Each cue found in NFC `text`, longest cues first, without overlaps. `folded` is
        fold_aligned(text), possibly with consumed parts blanked."""
        folded = fold_aligned(text) if folded is None else folded
        taken: list[tuple[int, int]] = []
        present = set(_WORDS.findall(folded))
        candidates = sorted(
            {i for w in present for i in self._by_head.get(w, ())}.union(self._always)
        )
        for i in candidates:  # in the cues' order: longer phrases first
            cue, f, label = self._cues[i]
            pattern = self._patterns[i]
            if pattern is None:
                words = r"\s+".join(re.escape(w) for w in f.split())
                pattern = self._patterns[i] = re.compile(r"(?<!\w)" + words + r"(?!\w)")
            for m in pattern.finditer(folded):
                s, e = m.span()
                if any(s < te and ts < e for ts, te in taken):
                    continue
                if not _accents_agree(text[s:e], cue):
                    continue
                taken.append((s, e))
                yield CueHit(label, cue, s, e)

    def labels(self, text: str) -> list[str]:
        """The labels whose cues occur in `text`, in order of first occurrence."""
        hits = sorted(self.find(nfc(text)), key=lambda h: h.start)
        return list(dict.fromkeys(h.label for h in hits))


def _accents_agree(written: str, cue: str) -> bool:
    """A phrase typed without diacritics matches any accents; one typed with them (on any
    syllable) must match the cue as written, syllable by syllable."""
    if not has_diacritics(written):
        return True
    return nfc(written).lower().split() == cue.split()
