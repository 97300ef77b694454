"""The feedback store over SQLAlchemy Core: one implementation for both backends, SQLite
(the embedded default, `feedback.sqlite` beside the index: store/sqlite.py opens it) and
PostgreSQL (`CX_DATABASE_URL`, tables made by `cx-assistant db upgrade`). Every query is
written once here; the tables are declared in assistant/storage/feedback_tables.py.

Record ids are "{source}:{content hash}". A source is named once per file location (the
`sources` table): the file's name when no other location has taken it, otherwise the name
and 8 characters of a digest of the location, so two files called export.csv never share
ids or rows. A source may be private (a file shared in a chat that its uploader did not ask
to add to the shared corpus): `corpus_where` is the one rule that keeps private sources out
of whole-corpus figures unless a request names them.

The analytics (`tagset_figures` and the methods after it) aggregate on the server: one
GROUP BY over the records in scope, whatever their number, never a row per record in
Python.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    inspect,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from assistant.core.errors import FeedbackDatabaseError
from assistant.feedback.dates import is_estimated
from assistant.feedback.linking import Link
from assistant.feedback.records import AspectLabel, FeedbackRecord
from assistant.feedback.store.protocol import (
    FeedbackStore,
    RecordQuery,
    TagsetFigures,
    source_slug,
)
from assistant.storage.feedback_sets import (
    step_string,
    stepset_ids,
    write_stepsets,
    write_theme_quotes,
)
from assistant.storage.feedback_tables import (
    FEEDBACK_TABLES,
    feedback,
    link_meta,
    link_steps,
    linked,
    links,
    segment_members,
    segment_state,
    sources,
    step_sets,
    tag_combos,
    tags,
    theme_groups,
    theme_members,
    themes,
)
from assistant.storage.sql import insert_for, safe_url

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 500

_COLUMNS = (
    "id", "content_hash", "source", "line", "text", "rating", "date", "date_raw", "channel",
    "segment", "journey", "stage", "lang", "labels", "labelled", "redactions", "external_id",
)  # fmt: skip
_RECORD_COLUMNS = [feedback.c[name] for name in _COLUMNS]


def tagset(tags: Iterable[AspectLabel]) -> str | None:
    return ",".join(sorted(f"{t.aspect}:{t.sentiment}" for t in tags)) or None


def _position(value: Any) -> Any:
    """A storage position as a sortable value: SQLite's rowid, or PostgreSQL's "(page,row)"."""
    if isinstance(value, str):
        page, row = value.strip("()").split(",")
        return (int(page), int(row))
    return value


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Database errors become the backend's FeedbackDatabaseError naming where and the fix."""

    @functools.wraps(method)
    def wrapper(self: SQLFeedbackStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    return wrapper


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SQLFeedbackStore:
    """The FeedbackStore protocol over an engine whose tables exist (see store/__init__)."""

    def __init__(self, engine: Engine, location: str, read_only: bool = False) -> None:
        self.engine = engine
        self._location = location
        self.read_only = read_only

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _error(self, exc: SQLAlchemyError) -> Exception:
        """The message for a failed query (the SQLite store names its file and the fix)."""
        log.warning("feedback database %s: %r", self.location, exc)
        if isinstance(exc, DBAPIError) and (exc.connection_invalidated
                                            or "connection" in str(exc.orig)):
            return FeedbackDatabaseError(
                f"The feedback database {self.location} cannot be reached. Check that the "
                f"server runs and CX_DATABASE_URL is right, then try again."
            )
        return FeedbackDatabaseError(
            f"The feedback database {self.location} cannot be read. Run `cx-assistant db "
            f"upgrade` (a database from an older version), then try again."
        )

    @property
    def location(self) -> str:
        return safe_url(self._location) if "://" in self._location else self._location

    def close(self) -> None:
        self.engine.dispose()

    # -- sources and the shared corpus ------------------------------------------------------
    @_guarded
    def source_for(
        self, location: str, name: str, reserved: Container[str] = (), private: bool = False
    ) -> str:
        """The source name of the file at `location` (the same on every ingest of it). Only a
        digest of the location is stored: a path may name a customer. `private`: a source
        named now is kept out of the shared corpus (an existing one keeps its state)."""
        location = hashlib.sha256(location.encode("utf-8", "surrogateescape")).hexdigest()
        with self.engine.begin() as conn:
            found = conn.execute(
                select(sources.c.source).where(sources.c.location == location)
            ).scalar()
            if found:
                return found
            source = source_slug(name)
            # Rows stored before sources had locations have none here: the first file of
            # their name to come back takes them over.
            taken = conn.execute(select(sources.c.source).where(sources.c.source == source))
            if taken.first() or source in reserved:
                source = f"{source}-{location[:8]}"
            conn.execute(sources.insert().values(location=location, source=source,
                                                 private=int(private)))  # fmt: skip
        return source

    @_guarded
    def share_source(self, source: str) -> None:
        """Add a private source to the shared corpus (its uploader asked for it)."""
        with self.engine.begin() as conn:
            conn.execute(update(sources).where(sources.c.source == source).values(private=0))

    @_guarded
    def private_sources(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(sources.c.source).where(sources.c.private == 1)))

    def corpus_where(self, include: str | None = None) -> ColumnElement[bool]:
        """THE rule of what whole-corpus figures count: every source but the private ones,
        plus the source `include` when a request names it (its uploader asking about it).
        The private sources are read first and named in the condition: a list of constants
        (usually none) lets the server scan in parallel, where a subquery would not."""
        private = self.private_sources() - {include}
        if not private:
            return true()
        return feedback.c.source.not_in(sorted(private))

    @_guarded
    def corpus_count(self, include: str | None = None) -> int:
        """Records of the shared corpus (plus those of the source `include`)."""
        return self._scalar(select(func.count()).select_from(feedback)
                            .where(self.corpus_where(include)))  # fmt: skip

    @_guarded
    def quick_check(self) -> list[str]:
        """The server checks its own pages; the store checks that its tables answer."""
        with self.engine.connect() as conn:
            missing = [t.name for t in FEEDBACK_TABLES if not inspect(conn).has_table(t.name)]
        return [f"missing table {name}" for name in missing]

    def _scalar(self, query: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    # -- records ------------------------------------------------------------------------------
    @_guarded
    def add(self, records: Iterable[FeedbackRecord]) -> tuple[list[FeedbackRecord], int]:
        """Insert new records; return those inserted and how many were already there (the
        same id, or the same content under another source)."""
        inserted: list[FeedbackRecord] = []
        duplicates = 0
        batch = list(records)
        with self.engine.begin() as conn:
            stmt = insert_for(conn, feedback).on_conflict_do_nothing().returning(feedback.c.id)
            for part in _chunks(batch):
                rows = [{
                    "id": r.id, "content_hash": r.content_hash, "source": r.source,
                    "line": r.line, "text": r.text, "rating": r.rating,
                    "date": r.date.isoformat() if r.date else None, "date_raw": r.date_raw,
                    "channel": r.channel, "segment": r.segment, "journey": r.journey,
                    "stage": r.stage, "lang": r.lang,
                    "labels": json.dumps([lbl.model_dump() for lbl in r.labels]),
                    "labelled": int(r.labelled), "redactions": r.redactions,
                    "external_id": r.external_id,
                } for r in part]  # fmt: skip
                new = set(conn.scalars(stmt, rows)) if len(rows) > 1 else set(
                    conn.execute(stmt.values(rows[0])).scalars()
                )
                for r in part:
                    if r.id in new:
                        inserted.append(r)
                        new.discard(r.id)
                    else:
                        duplicates += 1
        return inserted, duplicates

    @_guarded
    def count(self, source: str | None = None) -> int:
        query = select(func.count()).select_from(feedback)
        return self._scalar(query.where(feedback.c.source == source) if source else query)

    @_guarded
    def ids(self, source: str | None = None) -> list[str]:
        query = select(feedback.c.id)
        with self.engine.connect() as conn:
            return list(conn.scalars(query.where(feedback.c.source == source) if source
                                     else query))  # fmt: skip

    @_guarded
    def hashes(self, source: str | None = None) -> set[str]:
        """Content hashes of stored rows (of one source, or all): rows already stored are
        only counted when a file comes again."""
        query = select(feedback.c.content_hash)
        with self.engine.connect() as conn:
            return set(conn.scalars(query.where(feedback.c.source == source) if source
                                    else query))  # fmt: skip

    def _select(self, where: Any = None) -> Iterator[FeedbackRecord]:
        query = select(*_RECORD_COLUMNS).order_by(feedback.c.source, feedback.c.line)
        if where is not None:
            query = query.where(where)
        try:
            with self.engine.connect() as conn:
                rows = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
                for row in rows:
                    d = dict(zip(_COLUMNS, row, strict=True))
                    d["date"] = date.fromisoformat(d["date"]) if d["date"] else None
                    d["labels"] = [AspectLabel(**x) for x in json.loads(d["labels"])]
                    d["labelled"] = bool(d["labelled"])
                    yield FeedbackRecord(**d)
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def records(self, source: str | None = None) -> Iterator[FeedbackRecord]:
        return self._select(feedback.c.source == source if source else None)

    def records_by_id(self, ids: Iterable[str]) -> list[FeedbackRecord]:
        wanted = list(dict.fromkeys(ids))
        out: list[FeedbackRecord] = []
        for part in _chunks(wanted):
            out += self._select(feedback.c.id.in_(part))
        return out

    @_guarded
    def texts(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for part in _chunks(wanted):
                query = select(feedback.c.id, feedback.c.text).where(feedback.c.id.in_(part))
                out.update(conn.execute(query).all())
        return out

    def id_texts(self) -> Iterator[tuple[str, str]]:
        """(id, text) of every record, in storage order."""
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
                select(feedback.c.id, feedback.c.text)
            )
            yield from map(tuple, rows)

    @_guarded
    def count_dated(self, start: date, end: date, include: str | None = None) -> int:
        """Records of the shared corpus (plus the source `include`) dated start..end."""
        return self._scalar(select(func.count()).select_from(feedback).where(
            self.corpus_where(include), feedback.c.date.between(start.isoformat(),
                                                                end.isoformat())))  # fmt: skip

    @_guarded
    def latest_date(self) -> date | None:
        """The latest date of the shared corpus, today at the latest: relative periods ("last
        month") count from it (a private upload does not move them, nor a row dated in the
        future that a store written before ingestion rejected them)."""
        found = self._scalar(select(func.max(feedback.c.date)).where(
            self.corpus_where(), feedback.c.date <= date.today().isoformat()))  # fmt: skip
        return date.fromisoformat(found) if found else None

    @_guarded
    def ids_with_segment_column(self, segment: str) -> set[str]:
        """Records whose own segment column names this segment (case-insensitive)."""
        with self.engine.connect() as conn:
            return set(conn.scalars(select(feedback.c.id).where(
                func.lower(feedback.c.segment) == func.lower(segment.strip()))))  # fmt: skip

    @_guarded
    def state(self) -> str:
        """Changes whenever records are added or removed: what derived tables are keyed on.
        SQLite's rowid grows with every insert; PostgreSQL has none, and the largest
        content hash changes as surely when records are only ever added."""
        last = literal_column("rowid") if self.dialect == "sqlite" else feedback.c.content_hash
        with self.engine.connect() as conn:
            n, top = conn.execute(select(func.count(), func.max(last)).select_from(feedback)).one()
        return f"{n}:{top}"

    @_guarded
    def dump(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        own = {t.name for t in FEEDBACK_TABLES}
        with self.engine.connect() as conn:
            # The file is the store's alone; a shared database holds other stores' tables.
            for table in inspect(conn).get_table_names():
                if self.dialect != "sqlite" and table not in own:
                    continue
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).mappings()
                out[table] = [dict(r) for r in rows]
        return out

    # -- tags ---------------------------------------------------------------------------------
    def untagged(self, include_origins: Sequence[str] = ()) -> Iterator[FeedbackRecord]:
        """Records not tagged yet, plus those tagged by the given origins (to re-tag)."""
        where = feedback.c.tagged_by.is_(None)
        if include_origins:
            where = or_(where, feedback.c.tagged_by.in_(list(include_origins)))
        return self._select(where)

    @_guarded
    def set_tags(self, tagged: Iterable[tuple[str, list[AspectLabel]]], origin: str) -> int:
        items = list(tagged)
        mark = (update(feedback).where(feedback.c.id == bindparam("rid"))
                .values(tagged_by=bindparam("origin"), tagset=bindparam("ts")))  # fmt: skip
        with self.engine.begin() as conn:
            for part in _chunks(items):
                ids = [rid for rid, _ in part]
                conn.execute(delete(tags).where(tags.c.record_id.in_(ids)))
                # One tag per aspect and record, the last given (the table's key).
                rows = {(rid, t.aspect): t.sentiment for rid, tl in part for t in tl}
                if rows:
                    conn.execute(tags.insert(), [{"record_id": r, "aspect": a, "sentiment": s}
                                                 for (r, a), s in rows.items()])  # fmt: skip
                conn.execute(mark, [{"rid": rid, "origin": origin, "ts": tagset(tl)}
                                    for rid, tl in part])  # fmt: skip
                _set_combos(conn, ids)
        return len(items)

    @_guarded
    def tag_origins(self, include: str | None = None) -> dict[str, int]:
        """How the records of the shared corpus (plus the source `include`) were tagged."""
        origin = func.coalesce(feedback.c.tagged_by, "untagged")
        with self.engine.connect() as conn:
            rows = conn.execute(select(origin, func.count()).where(self.corpus_where(include))
                                .group_by(origin))  # fmt: skip
            return dict(sorted(rows.all()))  # the same order from every backend

    @_guarded
    def all_tags(self, include: str | None = None) -> list[tuple[str, str, str]]:
        """(record id, aspect, sentiment) of the tags of the shared corpus (plus the source
        `include`)."""
        corpus = select(feedback.c.id).where(self.corpus_where(include))
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(  # type: ignore[misc]
                select(tags.c.record_id, tags.c.aspect, tags.c.sentiment)
                .where(tags.c.record_id.in_(corpus)))]  # fmt: skip

    def scan_for_scope(
        self, include: str | None = None, min_rating: int | None = None,
        max_rating: int | None = None,
    ) -> Iterator[tuple[str, int | None, str | None, str | None]]:
        """(id, rating, ISO date, tags) of the shared corpus (plus the source `include`), one
        row per record, the ratings filtered here. Tags come as the record's `tagset`
        ("ASPECT:sentiment,…", kept beside the record by set_tags): one plain table scan, one
        string per record, in storage order."""
        query = select(feedback.c.id, feedback.c.rating, feedback.c.date, feedback.c.tagset)
        query = query.where(*self._scope(RecordQuery(include=include, min_rating=min_rating,
                                                     max_rating=max_rating)))  # fmt: skip
        # In storage order, whatever index the planner picks: ties among records (a theme's
        # shortest member) are broken by it, here as in the aggregates below.
        query = query.order_by(self._storage_order())
        try:
            with self.engine.connect() as conn:
                rows = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
                yield from map(tuple, rows)
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    # -- the analytics: aggregated on the server -----------------------------------------------
    def _scope(self, q: RecordQuery, dated: bool = True) -> list[ColumnElement[bool]]:
        """The conditions that keep the records of `q` (its period too unless not `dated`)."""
        f = feedback.c
        where = [self.corpus_where(q.include)]
        if q.include:
            where.append(f.source == q.include)
        if q.min_rating:
            where.append(f.rating >= q.min_rating)
        if q.max_rating:
            where.append(f.rating <= q.max_rating)
        for any_of in q.linked:  # linked to one of these (journey, step) pairs, each group
            # A journey: its links; a step: every step the comment speaks of (link_steps).
            journeys = [j for j, s in any_of if s is None]
            steps = [and_(link_steps.c.journey == j, link_steps.c.step == s)
                     for j, s in any_of if s is not None]  # fmt: skip
            found = []
            if journeys:
                found.append(f.id.in_(select(links.c.record_id)
                                      .where(links.c.journey.in_(journeys))))  # fmt: skip
            if steps:
                found.append(f.id.in_(select(link_steps.c.record_id).where(or_(*steps))))
            where.append(or_(*found))
        if q.segment is not None or q.segment_column is not None:
            who = []
            if q.segment is not None:
                who.append(f.id.in_(select(segment_members.c.record_id)
                                    .where(segment_members.c.segment == q.segment)))  # fmt: skip
            if q.segment_column is not None:
                who.append(func.lower(f.segment) == func.lower(q.segment_column.strip()))
            where.append(or_(*who))
        if q.aspect:
            has = tags.alias("has_aspect")  # its own name: a query may join tags as well
            where.append(exists().where(has.c.record_id == f.id, has.c.aspect == q.aspect))
        if q.exact_dates and (raws := self._estimated_raws()):
            # Dates estimated from relative phrases left out (a record without one stays).
            where.append(or_(f.date.is_(None), f.date_raw.is_(None), f.date_raw.not_in(raws)))
        if dated and (period := self._period(q)) is not None:
            where.append(period)
        return where

    def _estimated_raws(self) -> list[str]:
        """The date texts that are estimates ("2 tuần trước", "hôm qua"): a few distinct
        texts, read by `is_estimated`, so the records are filtered on the server. Kept per
        state of the records: an answer's queries each ask for them."""
        state = self.state()
        cached = getattr(self, "_raws", None)
        if cached is not None and cached[0] == state:
            return cached[1]
        with self.engine.connect() as conn:
            raws = conn.scalars(select(feedback.c.date_raw).distinct()
                                .where(feedback.c.date_raw.is_not(None),
                                       feedback.c.date_raw != ""))  # fmt: skip
            found = sorted(r for r in raws if is_estimated(r))
        self._raws = (state, found)
        return found

    @_guarded
    def estimated_date_ids(self) -> set[str]:
        """Ids of the dated records whose date was estimated from a relative phrase ("2 tuần
        trước", "hôm qua") rather than written as a calendar date."""
        raws = self._estimated_raws()
        if not raws:
            return set()
        with self.engine.connect() as conn:
            return set(conn.scalars(select(feedback.c.id).where(
                feedback.c.date.is_not(None), feedback.c.date_raw.in_(raws))))  # fmt: skip

    @_guarded
    def count_estimated(self, q: RecordQuery) -> int:
        """Records of `q` (in its period) whose dates were estimated from relative phrases."""
        raws = self._estimated_raws()
        if not raws:
            return 0
        return self._scalar(select(func.count()).select_from(feedback).where(
            *self._scope(q), feedback.c.date.is_not(None),
            feedback.c.date_raw.in_(raws)))  # fmt: skip

    @_guarded
    def count_in_scope(self, q: RecordQuery) -> int:
        """Records of `q` (in its period)."""
        return self._scalar(select(func.count()).select_from(feedback).where(*self._scope(q)))

    @staticmethod
    def _period(q: RecordQuery) -> ColumnElement[bool] | None:
        if not (q.start or q.end):
            return None
        return feedback.c.date.between((q.start or date.min).isoformat(),
                                       (q.end or date.max).isoformat())  # fmt: skip

    def _storage_order(self) -> Any:
        """The order a plain scan returns records in (what `select`'s scan breaks ties by):
        SQLite's rowid, PostgreSQL's row position."""
        return literal_column("feedback.rowid" if self.dialect == "sqlite" else "feedback.ctid")

    @staticmethod
    def _has_tag(aspect: str, sentiment: str) -> ColumnElement[bool]:
        """The record's tagset holds this tag (the tagset is what a scan reads too)."""
        padded = literal(",") + feedback.c.tagset + literal(",")
        return padded.like(f"%,{aspect}:{sentiment},%")

    @_guarded
    def date_range(self, q: RecordQuery) -> tuple[date | None, date | None]:
        """The first and last dates of the records of `q` without its period."""
        with self.engine.connect() as conn:
            lo, hi = conn.execute(select(func.min(feedback.c.date), func.max(feedback.c.date))
                                  .where(*self._scope(q, dated=False))).one()  # fmt: skip
        return (date.fromisoformat(lo) if lo else None, date.fromisoformat(hi) if hi else None)

    @_guarded
    def tagset_figures(
        self, q: RecordQuery, windows: tuple[tuple[date, date], tuple[date, date]] | None = None
    ) -> list[TagsetFigures]:
        """One GROUP BY over the records of `q` without its period, by tagset and themeset
        and step set (a few thousand rows whatever the number of records, its step set
        numbered as the others: each tag's steps are summed from these rows, no join of the
        links with the records): the records in the period, of
        them rated, their ratings' sum, of them rated 1-2, the records in each window (a
        trend's two periods), the storage position of the first in the period, and of them
        rated 5 (with the 1-2s: the ratings that contradict a tag, counted here rather than
        by a scan per pain)."""
        f = feedback.c
        period = self._period(q)
        in_period = true() if period is None else period

        def n(cond: Any) -> Any:
            return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

        rated = and_(in_period, f.rating.is_not(None))
        figures = [n(in_period), n(rated),
                   func.coalesce(func.sum(case((rated, f.rating), else_=0)), 0),
                   n(and_(rated, f.rating <= 2))]  # fmt: skip
        for lo, hi in windows or ((date.max, date.min), (date.max, date.min)):
            figures.append(n(f.date.between(lo.isoformat(), hi.isoformat())))
        first = func.min(case((in_period, self._storage_order())))
        query = (select(f.combo, *figures, first, n(and_(rated, f.rating >= 5)), f.stepset)
                 .where(*self._scope(q, dated=False)).group_by(f.combo, f.stepset))  # fmt: skip
        with self.engine.connect() as conn:
            pairs = {i: (a or None, b or None) for i, a, b in conn.execute(select(tag_combos))}
            rows = conn.execute(query).all()
            wanted = sorted({r[9] for r in rows if r[9] is not None})
            steps: dict[int, str] = {}
            for part in _chunks(wanted):
                steps.update(conn.execute(select(step_sets.c.id, step_sets.c.steps)
                                          .where(step_sets.c.id.in_(part))).all())  # fmt: skip
            return [TagsetFigures(*pairs.get(r[0], (None, None)), *(int(x) for x in r[1:7]),
                                  _position(r[7]), int(r[8]), steps.get(r[9]))
                    for r in rows]  # fmt: skip

    @_guarded
    def first_ids(self, q: RecordQuery, aspect: str | None = None, sentiment: str | None = None,
                  n: int = 50, lowest_rated: bool = False) -> list[str]:
        """The first n ids of the records of `q` (with this tag): by id, or the lowest-rated
        first (no rating counts as 3), then by id. With a tag, `lowest_rated` means the
        records that say it most plainly: the lowest-rated for a complaint, the highest-rated
        for praise, those whose rating contradicts the tag left out (label noise). A tag's
        records are walked in id order on its index and the walk stops at n: a large tag
        costs no more than a small one."""
        if not lowest_rated:
            return self._first_ids(q, aspect, sentiment, n)
        order = {"negative": (1, 2, 3, 4), "positive": (5, 4, 3)}.get(sentiment or "",
                                                                      (1, 2, 3, 4, 5))
        out: list[str] = []
        for stars in order:  # one walk per star rating, the plainest first
            rating = feedback.c.rating
            cond = or_(rating == 3, rating.is_(None)) if stars == 3 else rating == stars
            out += self._first_ids(q, aspect, sentiment, n - len(out), cond)
            if len(out) >= n:
                break
        return out

    def _first_ids(self, q: RecordQuery, aspect: str | None, sentiment: str | None, n: int,
                   extra: Any = None) -> list[str]:  # fmt: skip
        where = self._scope(q)
        if extra is not None:
            where.append(extra)
        if aspect and sentiment:
            query = (select(tags.c.record_id)
                     .join_from(tags, feedback, feedback.c.id == tags.c.record_id)
                     .where(tags.c.aspect == aspect, tags.c.sentiment == sentiment, *where)
                     .order_by(tags.c.record_id))  # fmt: skip
        else:
            query = select(feedback.c.id).where(*where).order_by(feedback.c.id)
        with self.engine.connect() as conn:
            return list(conn.scalars(query.limit(n)))

    @_guarded
    def theme_quote_ids(self, q: RecordQuery, aspect: str, sentiment: str,
                        wanted: Sequence[int]) -> dict[int, str]:
        """For each theme in `wanted`: its representative when among the tag's records in
        `q`, else the shortest member there (the least id of equal length: not the first
        stored, a position PostgreSQL changes with every update). That member is read from
        the theme's stored quote (the least quotable member of all, kept by set_themes)
        when the stored one is in `q`: the least of all members, being in `q`, is the
        least of those in `q`, so the answer is the walk's without walking every member
        (14 s for two themes at 10M records). Only when it is not in `q` (a filter left it
        out) are the theme's members walked."""
        labels = self.theme_labels(aspect, sentiment)
        reps = {t: labels[t][1] for t in wanted if t in labels}
        th = themes.c
        with self.engine.connect() as conn:
            stored = {t: rid for t, rid in conn.execute(
                select(th.theme, th.quote).where(th.aspect == aspect, th.sentiment == sentiment,
                                                 th.quote.is_not(None)))}  # fmt: skip
        # A record whose rating contradicts the tag is never quoted (label noise).
        scoped = [*self._scope(q), self._has_tag(aspect, sentiment),
                  not_(self._conflict(sentiment))]  # fmt: skip
        with self.engine.connect() as conn:
            candidates = sorted(set(reps.values()) | set(stored.values()))
            found = set(conn.scalars(select(feedback.c.id)
                                     .where(feedback.c.id.in_(candidates), *scoped)))
            tm = theme_members.c
            out: dict[int, str] = {}
            for theme in wanted:
                if reps.get(theme) in found:
                    out[theme] = reps[theme]
                    continue
                if stored.get(theme) in found:
                    out[theme] = stored[theme]
                    continue
                rid = conn.execute(
                    select(feedback.c.id).join_from(theme_members, feedback,
                                                    feedback.c.id == tm.record_id)
                    .where(tm.aspect == aspect, tm.sentiment == sentiment, tm.theme == theme,
                           *scoped)
                    .order_by(func.length(feedback.c.id), feedback.c.id).limit(1)
                ).scalar()  # fmt: skip
                if rid is not None:
                    out[theme] = rid
        return out

    @staticmethod
    def _conflict(sentiment: str) -> ColumnElement[bool]:
        """The rating contradicts a tag of this sentiment: praise at 1-2 stars, a complaint
        at 5 (records.rating_conflict); no rating contradicts nothing."""
        rating = feedback.c.rating
        if sentiment == "positive":
            return and_(rating.is_not(None), rating <= 2)
        if sentiment == "negative":
            return and_(rating.is_not(None), rating >= 5)
        return false()

    @_guarded
    def rating_conflicts(self, q: RecordQuery, aspect: str, sentiment: str) -> int:
        """Records of `q` with this tag whose rating contradicts it (label noise)."""
        return self._scalar(select(func.count()).select_from(feedback).where(
            *self._scope(q), self._has_tag(aspect, sentiment),
            self._conflict(sentiment)))  # fmt: skip

    @_guarded
    def ratings_dates(self, ids: Iterable[str]) -> dict[str, tuple[int | None, date | None]]:
        """(rating, date) of each record."""
        out: dict[str, tuple[int | None, date | None]] = {}
        wanted = list(dict.fromkeys(ids))
        with self.engine.connect() as conn:
            for part in _chunks(wanted):
                rows = conn.execute(select(feedback.c.id, feedback.c.rating, feedback.c.date)
                                    .where(feedback.c.id.in_(part)))  # fmt: skip
                out.update({rid: (r, date.fromisoformat(d) if d else None) for rid, r, d in rows})
        return out

    @_guarded
    def segment_state(self) -> str | None:
        """The state the stored segment members were computed for (None: none stored)."""
        return self._scalar(select(segment_state.c.state))

    # -- themes (computed when tagging, see themes.py) -----------------------------------------
    @_guarded
    def theme_group_sizes(self) -> dict[tuple[str, str], int]:
        g = theme_groups.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(g.aspect, g.sentiment, g.size))
            return {(a, s): n for a, s, n in rows}

    @_guarded
    def set_themes(
        self, aspect: str, sentiment: str, size: int, themes_: list[tuple[str, str, list[str]]]
    ) -> None:
        """Replace one group's themes: (label, representative id, member ids) each."""
        key = {"aspect": aspect, "sentiment": sentiment}
        tm = theme_members.c
        with self.engine.begin() as conn:
            old = list(conn.scalars(select(tm.record_id).where(tm.aspect == aspect,
                                                               tm.sentiment == sentiment)))
            conn.execute(delete(themes).where(themes.c.aspect == aspect,
                                              themes.c.sentiment == sentiment))  # fmt: skip
            conn.execute(delete(theme_members).where(theme_members.c.aspect == aspect,
                                                     theme_members.c.sentiment == sentiment))
            for n, (label, rep, members) in enumerate(themes_):
                conn.execute(themes.insert().values(**key, theme=n, label=label,
                                                    representative=rep))  # fmt: skip
                if members:
                    conn.execute(theme_members.insert(),
                                 [{"record_id": m, **key, "theme": n} for m in members])
            conn.execute(insert_for(conn, theme_groups).values(**key, size=size)
                         .on_conflict_do_update(index_elements=["aspect", "sentiment"],
                                                set_={"size": size}))  # fmt: skip
            # Each member's themeset (all its groups' themes), old members' too.
            touched = sorted(set(old) | {m for _, _, members in themes_ for m in members})
            self._write_themesets(conn, touched)
            write_theme_quotes(conn, [(aspect, sentiment)])

    @staticmethod
    def _write_themesets(conn: Connection, ids: Sequence[str]) -> None:
        tm = theme_members.c
        mark = (update(feedback).where(feedback.c.id == bindparam("rid"))
                .values(themeset=bindparam("ts")))  # fmt: skip
        for part in _chunks(ids, 2000):
            found: dict[str, list[str]] = {rid: [] for rid in part}
            rows = conn.execute(select(tm.record_id, tm.aspect, tm.sentiment, tm.theme)
                                .where(tm.record_id.in_(part)))  # fmt: skip
            for rid, a, s, t in rows:
                found[rid].append(f"{a}:{s}:{t}")
            conn.execute(mark, [{"rid": rid, "ts": ",".join(sorted(v)) or None}
                                for rid, v in found.items()])  # fmt: skip
            _set_combos(conn, part)

    @_guarded
    def theme_labels(self, aspect: str, sentiment: str) -> dict[int, tuple[str, str]]:
        """A group's themes: {theme: (label, representative)}."""
        t = themes.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.theme, t.label, t.representative)
                                .where(t.aspect == aspect, t.sentiment == sentiment))
            return {n: (label, rep) for n, label, rep in rows}

    @_guarded
    def themes_of(
        self, aspect: str, sentiment: str
    ) -> tuple[dict[int, tuple[str, str]], dict[str, int]]:
        """A group's themes: {theme: (label, representative)} and {record id: theme}."""
        labels = self.theme_labels(aspect, sentiment)
        tm = theme_members.c
        with self.engine.connect() as conn:
            members = dict(conn.execute(select(tm.record_id, tm.theme).where(
                tm.aspect == aspect, tm.sentiment == sentiment)).all())  # fmt: skip
        return labels, members

    # -- segment mentions (computed when tagging, see KnowledgeBase.segment_members) -----------
    @_guarded
    def segment_members(self, state: str) -> dict[str, set[str]] | None:
        """Segment id -> records whose text names it, if stored for this `state`."""
        with self.engine.connect() as conn:
            if conn.execute(select(segment_state.c.state)).scalar() != state:
                return None
            out: dict[str, set[str]] = {}
            for segment, rid in conn.execute(select(segment_members.c.segment,
                                                    segment_members.c.record_id)):
                out.setdefault(segment, set()).add(rid)
        return out

    @_guarded
    def set_segment_members(self, state: str, members: dict[str, set[str]]) -> None:
        rows = [{"segment": s, "record_id": r} for s, ids in members.items() for r in ids]
        with self.engine.begin() as conn:
            conn.execute(delete(segment_members))
            conn.execute(delete(segment_state))
            for part in _chunks(rows, 5000):
                conn.execute(segment_members.insert(), list(part))
            conn.execute(segment_state.insert().values(state=state))

    # -- journey links (assistant/feedback/linking.py) -----------------------------------------
    @_guarded
    def set_links(self, linked_: Iterable[tuple[str, Sequence[Link]]], mode: str) -> int:
        """Replace the links of each record; `mode` says how they were made ("cue" or
        "cue+semantic"). A record given no link is still marked as linked."""
        items = list(linked_)
        with self.engine.begin() as conn:
            mark = insert_for(conn, linked)
            mark = mark.on_conflict_do_update(index_elements=["record_id"],
                                              set_={"mode": mark.excluded.mode})  # fmt: skip
            for part in _chunks(items):
                ids = [r for r, _ in part]
                conn.execute(delete(links).where(links.c.record_id.in_(ids)))
                conn.execute(delete(link_steps).where(link_steps.c.record_id.in_(ids)))
                # One link per journey and record, the last given (the table's key).
                rows = {(rid, lk.journey): lk for rid, lks in part for lk in lks}
                if rows:
                    # Upserted: instances sharing the store may link the same new records
                    # at once (ensure_links), each after its own delete.
                    put = insert_for(conn, links)
                    put = put.on_conflict_do_update(
                        index_elements=["record_id", "journey"],
                        set_={k: put.excluded[k] for k in ("step", "score", "method")})
                    conn.execute(put, [
                        {"record_id": r, "journey": j, "step": lk.step, "score": lk.score,
                         "method": lk.why} for (r, j), lk in rows.items()])  # fmt: skip
                # Every step each link speaks of, in order (a step given twice: the first).
                step_rows: dict[tuple[str, str, str], int] = {}
                for (r, j), lk in rows.items():
                    for i, st in enumerate(lk.steps):
                        step_rows.setdefault((r, j, st), i)
                if step_rows:  # upserted too, for the same reason
                    put_steps = insert_for(conn, link_steps)
                    put_steps = put_steps.on_conflict_do_update(
                        index_elements=["record_id", "journey", "step"],
                        set_={"position": put_steps.excluded.position})
                    conn.execute(put_steps, [
                        {"record_id": r, "journey": j, "step": st, "position": i}
                        for (r, j, st), i in step_rows.items()])  # fmt: skip
                conn.execute(mark, [{"record_id": rid, "mode": mode} for rid, _ in part])
                write_stepsets(conn, ids)  # the summary groups by it (feedback_sets)
        return len(items)

    @_guarded
    def links_for(self, record_id: str) -> list[Link]:
        """The journeys a record was linked to (none when it talks about no journey)."""
        c, ls = links.c, link_steps.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.journey, c.score, c.method)
                                .where(c.record_id == record_id).order_by(c.journey)).all()
            steps: dict[str, list[str]] = {}
            for j, st in conn.execute(select(ls.journey, ls.step).where(ls.record_id == record_id)
                                      .order_by(ls.journey, ls.position)):  # fmt: skip
                steps.setdefault(j, []).append(st)
        return [Link(journey=j, steps=steps.get(j, []), score=sc, why=m) for j, sc, m in rows]

    @_guarded
    def records_linked_to(self, journey: str, step: str | None = None) -> list[str]:
        """Ids of the records linked to a journey (or that speak of one of its steps)."""
        if step is None:
            query = select(links.c.record_id).where(links.c.journey == journey)
            order = links.c.record_id
        else:
            ls = link_steps.c
            query = select(ls.record_id).where(ls.journey == journey, ls.step == step)
            order = ls.record_id
        with self.engine.connect() as conn:
            return list(conn.scalars(query.order_by(order)))

    @_guarded
    def steps_of(self, record_ids: Sequence[str]) -> dict[str, int]:
        """'journey.step' -> how many of these records speak of it."""
        ls = link_steps.c
        out: dict[str, int] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(record_ids)):
                for j, st, n in conn.execute(
                    select(ls.journey, ls.step, func.count()).where(ls.record_id.in_(part))
                    .group_by(ls.journey, ls.step)
                ):  # fmt: skip
                    out[f"{j}.{st}"] = out.get(f"{j}.{st}", 0) + n
        return out

    @_guarded
    def step_counts(self, q: RecordQuery, aspect: str, sentiment: str) -> dict[str, int]:
        """'journey.step' -> how many records of `q` with this tag speak of it (on the
        server: what steps_of counts over the tag's ids)."""
        ls = link_steps.c
        tagged = select(feedback.c.id).where(*self._scope(q), self._has_tag(aspect, sentiment))
        with self.engine.connect() as conn:
            rows = conn.execute(select(ls.journey, ls.step, func.count())
                                .where(ls.record_id.in_(tagged))
                                .group_by(ls.journey, ls.step))  # fmt: skip
            return {f"{j}.{st}": int(n) for j, st, n in rows}

    @_guarded
    def link_signature(self) -> str | None:
        """The signature of the linker that made the stored links (None: none recorded)."""
        return self._scalar(select(link_meta.c.value).where(link_meta.c.key == "signature"))

    @_guarded
    def set_link_signature(self, signature: str) -> None:
        """Record the linker the stored links come from (a later linker links again)."""
        with self.engine.begin() as conn:
            mark = insert_for(conn, link_meta)
            conn.execute(mark.on_conflict_do_update(index_elements=["key"],
                                                    set_={"value": mark.excluded.value}),
                         {"key": "signature", "value": signature})  # fmt: skip

    def to_link(self, include_modes: Sequence[str] = ()) -> Iterator[FeedbackRecord]:
        """Records never linked, plus those linked in the given modes (to link again)."""
        where = feedback.c.id.not_in(select(linked.c.record_id))
        if include_modes:
            again = select(linked.c.record_id).where(linked.c.mode.in_(list(include_modes)))
            where = or_(where, feedback.c.id.in_(again))
        return self._select(where)

    @_guarded
    def unfinished_ids(self) -> set[str]:
        """Records stored but not tagged or not linked: what a run that stopped (killed, a
        full disk) left half-done; the next ingest or index finishes them."""
        with self.engine.connect() as conn:
            return set(conn.scalars(select(feedback.c.id).where(or_(
                feedback.c.tagged_by.is_(None),
                feedback.c.id.not_in(select(linked.c.record_id))))))  # fmt: skip

    @_guarded
    def unlinked_count(self) -> int:
        """Records never linked (ingested since the last link run). Asked per answer: two
        counts, each read from an index alone, not an anti-join of the records with the
        linked ones (1.5 s at 1M records). `linked` only ever holds stored records (set_links
        is given records of the store, and records are never deleted)."""
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(feedback)).scalar() or 0
            done = conn.execute(select(func.count()).select_from(linked)).scalar() or 0
        return max(0, int(n) - int(done))

    @_guarded
    def linked_ids(self, mode: str | None = None) -> set[str]:
        """Ids of the records linked (in `mode`, when given)."""
        query = select(linked.c.record_id)
        with self.engine.connect() as conn:
            return set(conn.scalars(query.where(linked.c.mode == mode) if mode is not None
                                    else query))  # fmt: skip

    @_guarded
    def link_modes(self) -> dict[str, int]:
        """How many records were linked in each mode, and how many are not linked yet."""
        mode = func.coalesce(linked.c.mode, "unlinked")
        with self.engine.connect() as conn:
            rows = conn.execute(select(mode, func.count()).select_from(
                feedback.outerjoin(linked, linked.c.record_id == feedback.c.id))
                .group_by(mode))  # fmt: skip
            return dict(sorted(rows.all()))  # the same order from every backend

    # -- synthetic copies (the benchmark) -----------------------------------------------------
    @_guarded
    def resample_from(self, other: FeedbackStore, n: int) -> None:
        """Record i copies real record (i * a large odd number) mod m of `other` (ordered by
        id): every record is used, in a scattered order; its date is spread the same way
        over 600 days. Its tags, its links to journeys and steps, and the themes when
        `other` has them, come along (so an answer over the copies links nothing again). The
        real records go to a work table; the n copies are made by the server in one
        statement."""
        if not isinstance(other, SQLFeedbackStore):
            raise TypeError("resample_from reads another SQL feedback store")
        with other.engine.connect() as conn:
            base = [dict(r) for r in conn.execute(select(feedback).order_by(feedback.c.id))
                    .mappings()]  # fmt: skip
            base_tags = conn.execute(select(tags)).mappings().all()
            src_themes = conn.execute(select(themes)).mappings().all()
            src_groups = conn.execute(select(theme_groups)).mappings().all()
            src_members = conn.execute(select(theme_members)).mappings().all()
            src_links = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
                         for t in (links, link_steps, linked, link_meta)}  # fmt: skip
        steps: dict[str, list[tuple[str, str]]] = {}
        for r in src_links["link_steps"]:
            steps.setdefault(r["record_id"], []).append((r["journey"], r["step"]))
        for r in base:  # each copy's step set is its real record's
            r["steps"] = step_string(steps.get(r["id"], ()))
        _resample(self.engine, base, base_tags, src_themes, src_groups, src_members, n)
        _resample_links(self.engine, base, src_links, n)


def _resample_links(engine: Engine, base: list[dict], src: dict[str, list[dict]],
                    n: int) -> None:  # fmt: skip
    """The links of each copy: those of its real record (resample_from's numbering), made
    by the server from a work table per links table; the linker's signature comes along."""
    from sqlalchemy import BigInteger, Column, MetaData, Table, Text

    m = len(base)
    rn_of = {r["id"]: i for i, r in enumerate(base)}
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            i = func.generate_series(0, n - 1).table_valued("i").render_derived(name="seq").c.i
        else:
            s0 = select(literal(0).label("i")).cte("seq", recursive=True)
            i = s0.union_all(select(s0.c.i + 1).where(s0.c.i < n - 1)).c.i
        pick = select((literal("synthetic:") + cast(i, Text)).label("id"),
                      ((cast(i, BigInteger) * 2654435761) % m).label("rn")).subquery("pick")
        for table in (links, link_steps, linked):
            rows = [{"rn": rn_of[r["record_id"]], **r} for r in src[table.name]
                    if r["record_id"] in rn_of]  # fmt: skip
            if not rows:
                continue
            rest = [c for c in table.columns if c.name != "record_id"]
            work = Table(f"resample_{table.name}", MetaData(), Column("rn", Integer),
                         *(Column(c.name, c.type) for c in rest))  # fmt: skip
            work.drop(conn, checkfirst=True)
            work.create(conn)
            for part in _chunks([{k: v for k, v in r.items() if k != "record_id"}
                                 for r in rows], 5000):  # fmt: skip
                conn.execute(work.insert(), list(part))
            conn.execute(table.insert().from_select(
                ["record_id", *(c.name for c in rest)],
                select(pick.c.id, *(work.c[c.name] for c in rest))
                .join_from(pick, work, work.c.rn == pick.c.rn)))  # fmt: skip
            work.drop(conn)
        if src["link_meta"]:
            conn.execute(delete(link_meta))
            conn.execute(link_meta.insert(), src["link_meta"])


def _combo_ids(conn: Connection, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The numbers of these (tagset, themeset) pairs ("" for none), made where new."""
    new = [{"tagset": a, "themeset": b} for a, b in set(pairs)]
    if new:
        conn.execute(insert_for(conn, tag_combos).on_conflict_do_nothing(), new)
    c = tag_combos.c
    return {(a, b): i for i, a, b in conn.execute(select(c.id, c.tagset, c.themeset))}


def _set_combos(conn: Connection, ids: Sequence[str]) -> None:
    """feedback.combo of these records, from their tagset and themeset."""
    f = feedback.c
    rows = conn.execute(select(f.id, f.tagset, f.themeset).where(f.id.in_(list(ids)))).all()
    known = _combo_ids(conn, ((ts or "", th or "") for _, ts, th in rows if ts or th))
    mark = update(feedback).where(f.id == bindparam("rid")).values(combo=bindparam("c"))
    conn.execute(mark, [{"rid": rid, "c": known.get((ts or "", th or "")) if ts or th else None}
                        for rid, ts, th in rows])  # fmt: skip


def _resample(engine: Engine, base: list[dict], base_tags: Sequence[Any],
              src_themes: Sequence[Any], src_groups: Sequence[Any],
              src_members: Sequence[Any], n: int) -> None:  # fmt: skip
    """resample_from's work: the base records numbered in work tables, then INSERT … SELECT
    over a series of n numbers (generate_series on PostgreSQL, a recursive CTE in SQLite)."""
    from sqlalchemy import BigInteger, Column, MetaData, Table, Text

    m = len(base)
    rn_of = {r["id"]: i for i, r in enumerate(base)}
    themesets: dict[str, list[str]] = {}
    for t in src_members:
        entry = f"{t['aspect']}:{t['sentiment']}:{t['theme']}"
        themesets.setdefault(t["record_id"], []).append(entry)
    for r in base:
        r["themeset"] = ",".join(sorted(themesets.get(r["id"], []))) or None
    # A theme's representative becomes the first copy of it, as in a store of real records
    # (its own records quote it); a representative never copied keeps its id.
    wanted = {rn_of[t["representative"]] for t in src_themes if t["representative"] in rn_of}
    copy_of: dict[int, int] = {}
    for i in range(n):
        rn = (i * 2654435761) % m
        if rn in wanted and rn not in copy_of:
            copy_of[rn] = i
            if len(copy_of) == len(wanted):
                break
    src_themes = [dict(t) | ({"representative": f"synthetic:{copy_of[rn_of[t['representative']]]}"}
                             if rn_of.get(t["representative"]) in copy_of else {})
                  for t in src_themes]  # fmt: skip
    work = MetaData()
    wb = Table("resample_base", work, Column("rn", Integer, primary_key=True),
               *(Column(c.name, c.type) for c in feedback.columns))  # fmt: skip
    wt = Table("resample_tags", work, Column("rn", Integer), Column("aspect", Text),
               Column("sentiment", Text))  # fmt: skip
    wm = Table("resample_members", work, Column("rn", Integer), Column("aspect", Text),
               Column("sentiment", Text), Column("theme", Integer))  # fmt: skip
    wd = Table("resample_days", work, Column("k", Integer, primary_key=True), Column("day", Text))
    with engine.begin() as conn:
        work.drop_all(conn, checkfirst=True)
        work.create_all(conn)
        known = _combo_ids(conn, ((r["tagset"] or "", r["themeset"] or "") for r in base
                                  if r["tagset"] or r["themeset"]))  # fmt: skip
        known_steps = stepset_ids(conn, (r["steps"] for r in base if r["steps"]))
        for r in base:
            pair = (r["tagset"] or "", r["themeset"] or "")
            r["combo"] = known[pair] if r["tagset"] or r["themeset"] else None
            r["stepset"] = known_steps[r["steps"]] if r["steps"] else None
        for part in _chunks([{"rn": i, **{k: v for k, v in r.items() if k != "steps"}}
                             for i, r in enumerate(base)], 2000):  # fmt: skip
            conn.execute(wb.insert(), list(part))
        rows = [{"rn": rn_of[t["record_id"]], "aspect": t["aspect"],
                 "sentiment": t["sentiment"]} for t in base_tags if t["record_id"] in rn_of]
        for part in _chunks(rows, 5000):
            conn.execute(wt.insert(), list(part))
        rows = [{"rn": rn_of[t["record_id"]], "aspect": t["aspect"], "sentiment": t["sentiment"],
                 "theme": t["theme"]} for t in src_members if t["record_id"] in rn_of]
        for part in _chunks(rows, 5000):
            conn.execute(wm.insert(), list(part))
        start = date(2019, 1, 1).toordinal()
        conn.execute(wd.insert(), [{"k": k, "day": date.fromordinal(start + k).isoformat()}
                                   for k in range(600)])  # fmt: skip
        if conn.dialect.name == "postgresql":
            seq = func.generate_series(0, n - 1).table_valued("i").render_derived(name="seq")
            i = seq.c.i
        else:
            s0 = select(literal(0).label("i")).cte("seq", recursive=True)
            seq = s0.union_all(select(s0.c.i + 1).where(s0.c.i < n - 1))
            i = seq.c.i
        big = cast(i, BigInteger)  # i * 2654435761 needs 64 bits
        pick = select(i.label("i"), (literal("synthetic:") + cast(i, Text)).label("id"),
                      ((big * 2654435761) % m).label("rn"),
                      ((big * 40503) % 600).label("k")).subquery("pick")  # fmt: skip
        b = wb.c
        rows_q = (select(pick.c.id, literal("synthetic-") + cast(pick.c.i, Text),
                         literal("synthetic"), pick.c.i + 2, b.text, b.rating, wd.c.day,
                         literal(""), b.channel, b.segment, literal(None), literal(None),
                         b.lang, b.labels, b.labelled, literal(0), b.tagged_by, literal(None),
                         b.tagset, b.themeset, b.combo, b.stepset)
                  .join_from(pick, wb, b.rn == pick.c.rn)
                  .join(wd, wd.c.k == pick.c.k))  # fmt: skip
        cols = ["id", "content_hash", "source", "line", "text", "rating", "date", "date_raw",
                "channel", "segment", "journey", "stage", "lang", "labels", "labelled",
                "redactions", "tagged_by", "external_id", "tagset", "themeset",
                "combo", "stepset"]  # fmt: skip
        conn.execute(feedback.insert().from_select(cols, rows_q))
        conn.execute(tags.insert().from_select(
            ["record_id", "aspect", "sentiment"],
            select(pick.c.id, wt.c.aspect, wt.c.sentiment).join_from(
                pick, wt, wt.c.rn == pick.c.rn)))  # fmt: skip
        if src_groups:
            conn.execute(themes.insert(), src_themes)
            conn.execute(theme_groups.insert(), [dict(g) for g in src_groups])
            conn.execute(theme_members.insert().from_select(
                ["record_id", "aspect", "sentiment", "theme"],
                select(pick.c.id, wm.c.aspect, wm.c.sentiment, wm.c.theme).join_from(
                    pick, wm, wm.c.rn == pick.c.rn)))  # fmt: skip
            write_theme_quotes(conn)  # over the copies, as set_themes does over records
        work.drop_all(conn)
