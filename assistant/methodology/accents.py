"""Diacritics put back into Vietnamese typed without them, from the articles' own words.

"ban do hanh trinh khach hang thuc chat la gi" is read by the embedder as a string of
syllables with no meaning: unaccented Vietnamese lies far from the passages that answer it.
The articles say which accented words their folded forms stand for: every run of 1-4 words
of the Vietnamese original is counted under its diacritic-free form, and a question typed
without diacritics gets, from left to right, the most frequent accented form of the longest
run the articles have ("ban do" -> "bản đồ"). A syllable no longer run settles gets its
most frequent form: measured on the accent-stripped questions of the project's sets, that
ranks better than leaving an ambiguous one ("ban": bản, bạn, bán) as typed. A word the
articles lack stays as typed (English terms, names).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from assistant.core.text import fold, nfc

MAX_RUN = 4
_WORD = re.compile(r"\w+")
_BREAK = re.compile(r"[\n.;:!?()\[\]“”\"|•]+")  # runs never cross a sentence or a bracket


class AccentRestorer:
    """Built once from the texts of the Vietnamese original."""

    def __init__(self, texts: Iterable[str]) -> None:
        runs: Counter[str] = Counter()
        for text in texts:
            for piece in _BREAK.split(nfc(text).lower()):
                toks = _WORD.findall(piece)
                runs.update(
                    " ".join(toks[i : i + n])
                    for n in range(1, MAX_RUN + 1)
                    for i in range(len(toks) - n + 1)
                )
        folded = {run: fold(run) for run in runs if " " not in run}  # every word is a run
        # the most frequent accented form of each diacritic-free run (the first seen on a tie)
        self._forms: dict[str, str] = {}
        for run, _ in runs.most_common():
            self._forms.setdefault(" ".join(folded[t] for t in run.split(" ")), run)

    def _best(self, key: tuple[str, ...]) -> tuple[str, ...] | None:
        form = self._forms.get(" ".join(key))
        return tuple(form.split(" ")) if form else None

    def restore(self, text: str) -> str:
        """`text` with the diacritics the articles' words give it; words they do not settle
        stay as typed. Meant for text typed entirely without diacritics."""
        matches = list(_WORD.finditer(text))
        folded = [fold(m.group(0)) for m in matches]
        # Word positions where a run may not continue (a sentence break between them).
        breaks = {
            i for i in range(1, len(matches))
            if _BREAK.search(text[matches[i - 1].end() : matches[i].start()])
        }  # fmt: skip
        out: list[str | None] = [None] * len(matches)
        i = 0
        while i < len(matches):
            for n in range(min(MAX_RUN, len(matches) - i), 0, -1):
                if any(j in breaks for j in range(i + 1, i + n)):
                    continue
                form = self._best(tuple(folded[i : i + n]))
                if form is not None:
                    out[i : i + n] = list(form)
                    i += n
                    break
            else:
                i += 1
        pieces: list[str] = []
        last = 0
        for m, new in zip(matches, out, strict=True):
            pieces.append(text[last : m.start()])
            word = m.group(0)
            same = new is None or fold(new) != fold(word)
            pieces.append(word if same else _cased(word, new))
            last = m.end()
        pieces.append(text[last:])
        return "".join(pieces)


def _cased(typed: str, accented: str) -> str:
    """The accented form in the case the word was typed in ("CJM", "Ban" -> "Bản")."""
    if typed.isupper() and len(typed) > 1:
        return accented.upper()
    if typed[:1].isupper():
        return accented[:1].upper() + accented[1:]
    return accented
