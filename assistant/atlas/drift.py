"""Drift between the atlas's parts, and between the atlas and the feedback it describes.

Each check is a warning, not an error: the atlas still loads, but a tool would quietly see
less than the atlas claims (a step that lists an aspect the taxonomy does not link back
never receives that aspect's feedback; a cue word no comment uses finds nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.atlas.model import Atlas, Problem
from assistant.core.text import detect_lang, fold


def drift_warnings(atlas: Atlas, texts: Iterable[str] | None = None) -> list[Problem]:
    """Step→aspect links missing from the taxonomy, aspects no step uses and, given the
    stored feedback texts, journey and aspect cue words that match no comment."""
    out: list[Problem] = []
    by_aspect = {a.id: set(a.steps) for a in atlas.taxonomy}
    used: set[str] = set()
    for ref in atlas.step_refs():
        for aspect in ref.step.aspects:
            used.add(aspect)
            if aspect in by_aspect and ref.ref not in by_aspect[aspect]:
                out.append(Problem(
                    file=f"atlas/journeys/{ref.journey.id}.yaml", line=None,
                    field=f"{ref.ref}.aspects",
                    message=f"lists {aspect}, but taxonomy.yaml does not link {aspect} to "
                            f"{ref.ref}: the step never receives that aspect's feedback",
                ))  # fmt: skip
    for a in atlas.taxonomy:
        used |= {a.id} if a.steps else set()
        if a.id not in used:
            out.append(Problem(file="atlas/taxonomy.yaml", line=None, field=a.id,
                               message="no step uses this aspect"))  # fmt: skip
    texts = list(texts or [])
    if texts:
        corpus = " \n ".join(fold(t) for t in texts)
        # Only cue words in the comments' own language: English cues exist for questions.
        langs = [detect_lang(t) for t in texts[:200]]
        lang = max(set(langs), key=langs.count)
        cues = [("journey", j.id, k) for j in atlas.journeys for k in j.keywords]
        cues += [("aspect", a.id, k) for a in atlas.taxonomy for k in a.keywords]
        for kind, owner, cue in cues:
            if detect_lang(cue) == lang and fold(cue) not in corpus:
                out.append(Problem(
                    file=f"atlas ({kind} {owner})", line=None, field="keywords",
                    message=f"cue word {cue!r} matches no stored comment",
                ))  # fmt: skip
    return out
