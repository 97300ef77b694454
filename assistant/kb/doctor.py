"""Is the index whole? A cheap check for the answer path, and a thorough one that repairs.

- `index_health(kb)`: milliseconds. Per part: the collection is there and not empty, the
  last indexing run finished (a run marks its collection incomplete while it changes it,
  complete at its end), and a few records spread over it are found by their own vectors.
  Feedback: the tabular copy (SQLite) can be read, and Chroma holds no records it lacks.
- `run_doctor(kb)`: every vector read back and searched for, every document compared with
  the corpus, SQLite's own consistency check; with `repair`, what is missing or lost is
  embedded again (methodology and atlas from the corpus, feedback from SQLite; feedback
  that was never embedded stays so: the tools read SQLite).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from assistant.core.datadir import storage_error
from assistant.core.errors import AssistantError
from assistant.index.indexer import document_hash
from assistant.index.store import APPROXIMATE_MISS_SHARE, lost_of

if TYPE_CHECKING:
    from assistant.index.store import ChunkStore
    from assistant.kb.base import KnowledgeBase

log = logging.getLogger(__name__)
Part = Literal["methodology", "atlas", "feedback"]
Status = Literal["ok", "empty", "incomplete", "damaged", "unreadable"]
PARTS: tuple[Part, ...] = ("methodology", "atlas", "feedback")
_NOT_REPAIRED = {"read", "sqlite", "corpus"}  # problems the doctor reports but cannot mend

_INDEX = "run `cx-assistant index`"
_DOCTOR = "run `cx-assistant doctor` to repair it"


class PartHealth(BaseModel):
    part: Part
    status: Status
    stored: int = Field(0, description="Chunks in Chroma (feedback: records in SQLite).")
    expected: int | None = Field(
        None, description="Chunks the last complete run left (feedback: records in SQLite)."
    )
    not_embedded: int = Field(
        0, description="Feedback only: stored records without a vector (ingested with "
        "--no-embed, from Slack, or by a run that stopped); the tools read SQLite and do not "
        "need them.",
    )  # fmt: skip
    message: str = Field("", description="What is wrong and what to run, for a user.")


class IndexHealth(BaseModel):
    parts: list[PartHealth]

    @property
    def ok(self) -> bool:
        return all(p.status == "ok" for p in self.parts)

    def part(self, name: Part) -> PartHealth | None:
        return next((p for p in self.parts if p.part == name), None)

    def problems(self) -> list[str]:
        return [p.message for p in self.parts if p.status != "ok"]


def _message(part: Part, status: Status) -> str:
    return {
        "ok": "",
        "empty": f"The {part} index is empty: {_INDEX}.",
        "incomplete": f"The {part} index is incomplete (an indexing run did not finish): "
        f"{_INDEX} to complete it.",
        "damaged": f"The {part} index is damaged (records are no longer found by their "
        f"vectors): {_DOCTOR}.",
        "unreadable": f"The {part} index cannot be read: {_INDEX}.",
    }[status]


def _chunks_health(kb: KnowledgeBase, part: Part) -> PartHealth:
    store = kb.store(part)
    stored = store.count()
    mark = store.completed_size()
    status: Status = "ok"
    if stored == 0:
        status = "empty" if mark in (None, 0) else "incomplete"
    elif mark == -1 or (mark is not None and mark != stored):
        status = "incomplete"
    elif mark is None and any(not e["hash"] for e in store.manifest().values()):
        status = "incomplete"  # indexed before the mark existed: half-written documents
    elif store.probe():
        status = "damaged"
    expected = mark if mark is not None and mark >= 0 else None
    return PartHealth(part=part, status=status, stored=stored, expected=expected,
                      message=_message(part, status))  # fmt: skip


def _feedback_health(kb: KnowledgeBase) -> PartHealth:
    rows = kb.feedback().count()
    if rows == 0:
        return PartHealth(
            part="feedback", status="empty", message="No feedback is stored yet: "
            "run `cx-assistant index` (or `cx-assistant ingest FILE`).",
        )  # fmt: skip
    store = kb.store("feedback")
    embedded = store.count()
    status: Status = "damaged" if embedded > rows or store.probe() else "ok"
    return PartHealth(
        part="feedback", status=status, stored=rows, expected=rows,
        not_embedded=max(rows - embedded, 0), message=_message("feedback", status),
    )  # fmt: skip


def _failure(kb: KnowledgeBase, part: Part, exc: Exception) -> str:
    """A fixed message for a part that could not be checked: never a raw traceback."""
    if isinstance(exc, AssistantError):  # unreadable SQLite, an unreachable Chroma server
        return str(exc)
    if err := storage_error(exc, kb.settings.cx_data_dir):  # a full disk, a read-only folder
        return str(err)
    log.warning("the %s index cannot be read", part, exc_info=exc)
    return f"The {part} index cannot be read ({type(exc).__name__}): {_DOCTOR}."


def index_health(kb: KnowledgeBase, parts: Sequence[Part] = PARTS) -> IndexHealth:
    out: list[PartHealth] = []
    for part in parts:
        try:
            out.append(_feedback_health(kb) if part == "feedback" else _chunks_health(kb, part))
        except Exception as exc:
            out.append(PartHealth(part=part, status="unreadable", message=_failure(kb, part, exc)))
    return IndexHealth(parts=out)


# -- the thorough check ------------------------------------------------------------------------


class Finding(BaseModel):
    part: Part
    check: str
    ok: bool
    detail: str


class DoctorReport(BaseModel):
    repair: bool = Field(description="Whether problems were repaired, or only reported.")
    findings: list[Finding] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list, description="What the repair did.")
    health: IndexHealth | None = Field(None, description="The cheap check, after any repair.")
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing wrong is left: no problem found, or every one repaired."""
        if self.health is not None and not self.health.ok:
            return False
        if any(not f.ok for f in self.findings if f.check in _NOT_REPAIRED):
            return False
        return self.repair or all(f.ok for f in self.findings)

    def text(self) -> str:
        lines = [
            f"{'ok ' if f.ok else 'BAD'} {f.part}: {f.check}: {f.detail}" for f in self.findings
        ]
        lines += [f"repaired: {a}" for a in self.actions]
        if self.health is not None:
            lines += [f"still wrong: {m}" for m in self.health.problems()]
        verdict = "the index is healthy" if self.ok else "problems remain"
        return "\n".join([*lines, f"{verdict} ({self.seconds:.1f} s)"])


def _vectors_finding(
    store: ChunkStore, ids: list[str], what: str, add: Callable[[str, bool, str], None]
) -> list[str]:
    """The "vectors" finding, and the ids whose vectors are lost (ChunkStore.lost_vectors's
    rule), saying how many the approximate search alone does not return."""
    unreadable, missed = store.vector_check(ids)
    lost = lost_of(unreadable, missed, len(ids))
    detail = f"{len(lost)} of {len(ids)} {what} not found by their own vector"
    if missed and not set(missed) & set(lost):
        detail += (f" ({len(missed)} not returned by the approximate search: within its "
                   f"expected misses, under {APPROXIMATE_MISS_SHARE:.0%})")  # fmt: skip
    add("vectors", not lost, detail)
    return lost


def _check_chunks(kb: KnowledgeBase, part: Part, report: DoctorReport) -> bool:
    """Findings for methodology or atlas; True when something needs repair."""
    from assistant.atlas.documents import atlas_documents
    from assistant.methodology.loaders import load_methodology

    def add(check: str, ok: bool, detail: str) -> None:
        report.findings.append(Finding(part=part, check=check, ok=ok, detail=detail))

    store: ChunkStore = kb.store(part)
    manifest = store.manifest()
    ids = [i for e in manifest.values() for i in e["ids"]]
    add("chunks", bool(ids), f"{len(ids)} chunks of {len(manifest)} documents in Chroma")
    mark = store.completed_size()
    finished = mark is not None and mark == len(ids)
    add("last run", finished, "finished" if finished else "did not finish (or predates the mark)")
    lost = _vectors_finding(store, ids, "chunks", add)
    try:
        docs = (
            list(load_methodology(kb.settings.methodology_dir))
            if part == "methodology"
            else list(atlas_documents(kb.atlas()))
        )
    except AssistantError as exc:  # nothing to repair from: reported only
        add("corpus", False, f"cannot be read, so it is not compared: {exc}")
        return False
    hashes = {d.id: document_hash(d, kb.embedder.name) for d in docs}
    missing = [d for d in hashes if d not in manifest]
    stale = [d for d, h in hashes.items() if d in manifest and manifest[d]["hash"] != h]
    removed = [d for d in manifest if d not in hashes]
    detail = (
        f"{len(hashes)} documents; {len(missing)} not indexed, {len(stale)} changed or "
        f"half-written, {len(removed)} no longer in the corpus"
    )
    in_line = not (missing or stale or removed)
    add("documents", in_line, detail)
    return bool(lost) or not in_line or not finished


def _check_feedback(kb: KnowledgeBase, report: DoctorReport) -> bool:
    def add(check: str, ok: bool, detail: str) -> None:
        report.findings.append(Finding(part="feedback", check=check, ok=ok, detail=detail))

    feedback = kb.feedback()
    problems = feedback.quick_check()
    add("sqlite", not problems, "; ".join(problems[:3]) or f"{feedback.location} is consistent")
    stored = set(feedback.ids())
    store = kb.store("feedback")
    indexed = set(store.ids())
    orphans = indexed - stored
    add("orphans", not orphans, f"{len(orphans)} vectors of records SQLite does not hold")
    lost = _vectors_finding(store, sorted(indexed & stored), "records", add)
    # Records never embedded (ingested with --no-embed, or from Slack) are not a fault: the
    # tools read SQLite. `cx-assistant ingest FILE` embeds a file's records.
    add("embedded", True, f"{len(stored & indexed)} of {len(stored)} records have a vector")
    unfinished = feedback.unfinished_ids()
    add("unfinished", not unfinished, (
        f"incomplete work: {len(unfinished)} records stored but not tagged or not linked (a run "
        f"stopped half-way); the next `cx-assistant ingest` or `index` finishes them"
    ) if unfinished else "every record is tagged and linked")  # fmt: skip
    return bool(orphans or lost or unfinished)


def run_doctor(kb: KnowledgeBase, repair: bool = True, progress: bool = False) -> DoctorReport:
    """Check every part thoroughly; with `repair`, bring each one in line with its source
    (methodology and atlas: the corpus; feedback vectors: SQLite)."""
    start = time.perf_counter()
    report = DoctorReport(repair=repair)
    for part in PARTS:
        try:
            needs = (
                _check_feedback(kb, report)
                if part == "feedback"
                else _check_chunks(kb, part, report)
            )
        except Exception as exc:
            report.findings.append(
                Finding(part=part, check="read", ok=False, detail=_failure(kb, part, exc))
            )
            continue
        if not (repair and needs):
            continue
        try:
            report.actions.append(_repair(kb, part, progress))
        except Exception as exc:
            report.findings.append(
                Finding(part=part, check="read", ok=False, detail=_failure(kb, part, exc))
            )
    report.health = index_health(kb)
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _repair(kb: KnowledgeBase, part: Part, progress: bool) -> str:
    """What was done to bring one part in line with its source."""
    if part == "feedback":
        sync = kb.sync_feedback_index(progress=progress, check_vectors="all")
        unfinished = len(kb.unfinished_feedback())
        if unfinished:  # what a run that stopped left half-done
            kb.tag_feedback(progress=progress)
            kb.link_feedback(progress=progress)
        return (
            f"feedback: {sync.repaired} records with lost vectors embedded again, "
            f"{sync.deleted} orphan vectors deleted, {unfinished} unfinished records tagged "
            f"and linked"
        )
    index = kb.index_methodology if part == "methodology" else kb.index_atlas
    r = index(progress=progress, check_vectors="all")
    return (
        f"{part}: {r.added} documents added, {r.updated} updated, {r.repaired} with lost "
        f"vectors embedded again, {r.removed} removed; {r.chunks_embedded} chunks embedded"
    )
