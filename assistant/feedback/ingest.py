"""Feedback ingestion: file -> validated, redacted records -> SQLite + Chroma.

Bad rows never stop the good ones: they are reported with line, field and reason, and
written to a rejects file beside the index (the first RAW_KEPT characters of each; a run of
rows with the same error is one entry). Re-ingesting a file adds nothing; a row is a
duplicate when its content (text, rating, date, in a normal form: records.content_hash) is
already stored, whatever the file it came from. Each file location is its own source (see
FeedbackStore.source_for).

A file is read twice, lazily, never held whole: once to count its rows (refused past the row
limit before anything is stored) and find the reference date, once to store its records a
batch at a time.

After the tabular copy, Chroma is brought in line with it: records it lacks or whose
vectors were lost are embedded, records it holds that SQLite does not are deleted.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO

from pydantic import BaseModel, Field
from tqdm import tqdm

from assistant.core.errors import IngestError, IngestLimitError
from assistant.feedback.dates import EARLIEST_DATE, DateRange
from assistant.feedback.readers import Row, read_file, read_rows, reader_for
from assistant.feedback.records import (
    MAX_CELL_CHARS,
    ColumnMapping,
    FeedbackRecord,
    KnownRow,
    RowError,
    reference_date_of,
    to_record,
)
from assistant.feedback.store import FeedbackStore
from assistant.index.store import CheckVectors, ChunkStore
from assistant.index.types import Chunk, Embedder

log = logging.getLogger(__name__)

__all__ = [
    "IngestError", "IngestLimits", "IngestReport", "SyncReport", "ingest_file",
    "sync_feedback_vectors",
]  # fmt: skip


STORE_BATCH = 1000  # records stored at a time: memory does not grow with the file


class IngestLimits(BaseModel):
    """What one file may hold, with the settings that set it (named in a refusal)."""

    max_bytes: int | None = None
    bytes_setting: str = "CX_MAX_INGEST_BYTES"
    max_rows: int | None = None
    rows_setting: str = "CX_MAX_UPLOAD_ROWS"
    earliest_date: date = Field(EARLIEST_DATE, description="CX_EARLIEST_DATE; latest: today.")


class ErrorItem(BaseModel):
    line: int
    field: str
    message: str
    until: int | None = Field(None, description="Last line of a run with this same error.")


class IngestReport(BaseModel):
    file: str
    source: str
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[ErrorItem] = Field(default_factory=list)
    indexed: int = Field(0, description="Records embedded into Chroma in this run.")
    repaired: int = Field(0, description="Of those, records whose vectors had been lost.")
    completed: int = Field(
        0, description="Records an earlier run left stored but untagged or unlinked, "
        "finished by this one (set by the caller that tags and links)."
    )
    redactions: int = Field(0, description="Personal data items replaced in accepted rows.")
    undated: int = Field(0, description="Accepted rows whose date could not be read.")
    reference_date: date | None = None
    rejects_file: str | None = None
    seconds: float = 0.0

    def public(self) -> dict:
        """The --json shape."""
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors": [e.model_dump(exclude_none=True) for e in self.errors],
        }


def feedback_chunk(record: FeedbackRecord) -> tuple[Chunk, dict]:
    """A record as a Chroma entry, with the metadata that filters need."""
    chunk = Chunk(
        id=record.id,
        doc_id=record.id,
        kind="feedback",
        title=record.source,
        text=record.text,
        position=record.line,
    )
    extra = {
        "source": record.source,
        "rating": record.rating,
        "date": int(record.date.strftime("%Y%m%d")) if record.date else None,
        "lang": record.lang,
        "channel": record.channel,
        "segment": record.segment,
        "journey": record.journey,
        "stage": record.stage,
    }
    return chunk, {k: v for k, v in extra.items() if v is not None}


def embed_records(
    records: list[FeedbackRecord],
    store: ChunkStore,
    embedder: Embedder,
    batch_size: int = 64,
    progress: bool = True,
) -> int:
    with tqdm(total=len(records), desc="embedding feedback", unit="rec",
              disable=not progress or not records) as bar:  # fmt: skip
        for i in range(0, len(records), batch_size):
            batch = records[i : i + batch_size]
            vectors = embedder.embed_passages([r.text for r in batch])
            pairs = [feedback_chunk(r) for r in batch]
            store.upsert([c for c, _ in pairs], vectors, [x for _, x in pairs])
            bar.update(len(batch))
    return len(records)


class SyncReport(BaseModel):
    embedded: int = Field(0, description="Records embedded: Chroma lacked them.")
    repaired: int = Field(0, description="Records embedded again: their vectors were lost.")
    deleted: int = Field(0, description="Chroma entries with no record in SQLite, deleted.")


def sync_feedback_vectors(
    feedback: FeedbackStore,
    chroma: ChunkStore,
    embedder: Embedder,
    *,
    sources: set[str] | None = None,
    check_vectors: CheckVectors = "sample",
    batch_size: int = 64,
    progress: bool = True,
    missing: bool = True,
) -> SyncReport:
    """Bring Chroma in line with SQLite: embed the records (of these sources, or all) whose
    vectors were lost, and with `missing` those it lacks; delete what SQLite does not hold."""
    report = SyncReport()
    stored = set(feedback.ids())
    indexed = set(chroma.ids())
    orphans = sorted(indexed - stored)
    chroma.delete(orphans)
    report.deleted = len(orphans)
    wanted = stored if sources is None else {i for s in sources for i in feedback.ids(s)}
    present = sorted(wanted & indexed)
    lost = set(chroma.check_vectors(present, check_vectors))
    if lost:
        log.warning("%s: %d feedback vectors are lost; embedding them again", chroma.name,
                    len(lost))  # fmt: skip
    todo = ((wanted - indexed) if missing else set()) | lost
    records = feedback.records_by_id(sorted(todo)) if todo else []
    embed_records(records, chroma, embedder, batch_size, progress)
    report.repaired = len(lost)
    report.embedded = len(records) - len(lost)
    return report


def source_location(path: Path, shipped_dir: Path | None) -> str:
    """Where a file comes from, as the key of its source: files shipped in the corpus by
    their name (the same in every checkout), others by their absolute path."""
    resolved = path.resolve()
    if shipped_dir is not None and resolved.parent == shipped_dir.resolve():
        return f"corpus:{resolved.name}"
    return str(resolved)


def ingest_file(
    path: Path,
    feedback: FeedbackStore,
    chroma: ChunkStore | None,
    embedder: Embedder | None,
    *,
    rejects_dir: Path,
    columns: dict[str, str | None] | None = None,
    reference: date | None = None,
    progress: bool = True,
    batch_size: int = 64,
    source: str | None = None,
    max_cell_chars: int = MAX_CELL_CHARS,
    check_vectors: CheckVectors = "sample",
    limits: IngestLimits | None = None,
) -> IngestReport:
    """Ingest one feedback file (a format of assistant/feedback/readers). `chroma`/`embedder`
    None: tabular copy only. `source`: the source name (default: FeedbackStore.source_for
    the file's absolute path). A file over `limits` is refused whole (IngestLimitError)
    before anything is stored."""
    start = time.perf_counter()
    limits = limits or IngestLimits()
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    reader_for(path)  # an unsupported type is refused before the file is read
    size = path.stat().st_size
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise IngestLimitError(
            f"{path}: {size:,} bytes is larger than the {limits.max_bytes:,} bytes a feedback "
            f"file may have (setting {limits.bytes_setting}); nothing was stored",
            what="bytes", found=size, limit=limits.max_bytes, setting=limits.bytes_setting,
        )  # fmt: skip
    dates = DateRange(limits.earliest_date, date.today())
    header, rows = read_file(path)
    mapping = ColumnMapping.detect(header, columns)
    if not mapping.text:
        raise IngestError(
            f"{path}: no text column found in the header; name it with --text-column "
            f"(recognised: comment, text, verbatim, feedback, review, message, content)"
        )
    source = source or feedback.source_for(source_location(path, None), path.stem)
    report = IngestReport(file=str(path), source=source)
    # First pass: the row count (refused at the limit, before anything is stored) and the
    # reference date, which needs every row.
    count = _RowCount(path, limits)
    latest = reference_date_of(count.rows(rows), mapping, dates)
    count.finish(rows)
    report.reference_date = reference or latest
    known = feedback.hashes()  # rows stored by an earlier run (from any file) are only counted
    batch: list[FeedbackRecord] = []
    seen: set[str] = set()
    rejects = _Rejects(rejects_dir / f"{source}.rejects.jsonl", report)

    def store() -> None:
        inserted, already = feedback.add(batch)
        report.duplicates += already
        report.accepted += len(inserted)
        report.redactions += sum(r.redactions for r in inserted)
        report.undated += sum(1 for r in inserted if r.date is None)
        batch.clear()

    with tqdm(read_rows(path), total=count.n, desc=f"reading {path.name}", unit="row",
              disable=not progress) as bar:  # fmt: skip
        for line, row, raw in bar:
            if row is None:
                rejects.add(RowError(line=line, field="row", message="not a JSON object"), raw)
                continue
            result = to_record(
                row, line, source, mapping, report.reference_date, known,
                max_cell_chars=max_cell_chars, dates=dates,
            )  # fmt: skip
            if isinstance(result, RowError):
                rejects.add(result, raw)
                continue
            rejects.end_run()
            if isinstance(result, KnownRow) or result.content_hash in seen:
                report.duplicates += 1
                continue
            seen.add(result.content_hash)
            batch.append(result)
            if len(batch) >= STORE_BATCH:
                store()
    store()
    rejects.close()
    if chroma is not None and embedder is not None:
        synced = sync_feedback_vectors(
            feedback, chroma, embedder, sources={source}, check_vectors=check_vectors,
            batch_size=batch_size, progress=progress,
        )  # fmt: skip
        report.indexed = synced.embedded + synced.repaired
        report.repaired = synced.repaired
    report.seconds = round(time.perf_counter() - start, 3)
    log.info("ingested %s: %s", path, report.model_dump(exclude={"errors"}))
    return report


class _RowCount:
    """Counts a file's rows as they pass, and refuses the file at the first row past the
    limit: neither the file nor its rows are ever held to be counted."""

    def __init__(self, path: Path, limits: IngestLimits) -> None:
        self.path, self.limits, self.n = path, limits, 0

    def rows(self, rows: Iterator[Row]) -> Iterator[Row]:
        limit = self.limits.max_rows
        for row in rows:
            self.n += 1
            if limit is not None and self.n > limit:
                setting = self.limits.rows_setting
                raise IngestLimitError(
                    f"{self.path}: more than the {limit:,} rows a file may have here (setting "
                    f"{setting}); nothing was stored",
                    what="rows", found=self.n, limit=limit, setting=setting,
                )  # fmt: skip
            yield row

    def finish(self, rows: Iterator[Row]) -> None:
        """Count the rows a first reader left (all of them when it needed none)."""
        for _ in self.rows(rows):
            pass


class _Rejects:
    """Rejected rows, reported and written to the rejects file as they come: each one cut to
    RAW_KEPT characters and redacted; a run of rows with the same error (1 MB of unclosed
    quotes) is one entry naming its first and last line, so the file never outgrows the
    input."""

    def __init__(self, path: Path, report: IngestReport) -> None:
        self.path, self.report = path, report
        self.run: RowError | None = None
        self.file: IO[str] | None = None

    def add(self, error: RowError, raw: str) -> None:
        self.report.rejected += 1
        run = self.run
        if run is not None and (run.field, run.message) == (error.field, error.message):
            run.until = error.line
            return
        self.end_run()
        error.keep(raw)
        self.run = error

    def end_run(self) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        self.report.errors.append(ErrorItem(**run.model_dump(exclude={"raw"})))
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = self.path.open("w", encoding="utf-8")
            self.report.rejects_file = str(self.path)
        self.file.write(json.dumps(run.model_dump(exclude_none=True), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.end_run()
        if self.file is not None:
            self.file.close()
