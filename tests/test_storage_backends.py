"""The relational store on both backends, with one set of assertions: SQLite (the embedded
default) and a real PostgreSQL server (tests/pg_server.py, started once per run). Records,
tags, sources, links, themes, segments and votes; the pain summary aggregated in SQL
against the same summary counted over the scanned records; `db upgrade` and `db copy`."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from assistant.chat.ratings import RatingsStore, open_ratings_store
from assistant.core.answers import Answer
from assistant.core.errors import DatabaseError
from assistant.core.settings import Settings
from assistant.core.tools import ToolContext
from assistant.feedback.linking import Link
from assistant.feedback.records import AspectLabel, FeedbackRecord
from assistant.feedback.scope import plan, select
from assistant.feedback.store import FeedbackStore, RecordQuery, open_feedback_store
from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points
from assistant.kb.base import KnowledgeBase
from assistant.storage import current_version, open_engine, upgrade
from assistant.storage.migrations import MIGRATIONS
from assistant.surfaces.cli import main

REPO = Path(__file__).resolve().parents[1]
ASPECTS = ["BATTERY", "SCREEN", "SER&ACC", "PERFORMANCE", "PRICE"]
STEPS = {"delivery": ["receive", "unbox", "track-order"], "warranty": ["contact-support"]}
N = 240


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of a fresh store on each backend (PostgreSQL: a new database, upgraded)."""
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus")
    if request.param == "postgresql":
        s = s.model_copy(update={"cx_database_url": request.getfixturevalue("pg_url")})
        upgrade(open_engine(s))
    return s


def _records(source: str, n: int, seed: int) -> list[tuple[FeedbackRecord, list[AspectLabel]]]:
    """n records of `source` with ratings, dates, segments and tags drawn from `seed`."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        digest = hashlib.sha256(f"{source}{i}".encode()).hexdigest()[:20]
        student = rng.random() < 0.3
        hotline = rng.random() < 0.25  # the text names a touchpoint (issue #20)
        day = date(2020, 1, 1) + timedelta(days=rng.randrange(200)) if rng.random() < 0.9 \
            else None
        # Some dates estimated from a relative phrase, as an export writes them.
        raw = ("2 tuần trước" if rng.random() < 0.3 else day.strftime("%d/%m/%Y")) if day else ""
        rec = FeedbackRecord(
            id=f"{source}:{digest}", source=source, line=i + 2, content_hash=digest,
            text=("mình là sinh viên, " if student else "")
            + ("gọi tổng đài mãi không ai nghe, " if hotline else "") + f"bình luận số {i} về máy",
            rating=rng.choice([1, 2, 3, 4, 5, None]), date=day, date_raw=raw,
            segment="Sinh viên" if rng.random() < 0.1 else None,
        )  # fmt: skip
        tags = [AspectLabel(aspect=a, sentiment=rng.choice(["negative", "positive", "neutral"]))
                for a in rng.sample(ASPECTS, rng.randint(0, 3))]  # fmt: skip
        out.append((rec, tags))
    return out


def _fill(store: FeedbackStore) -> dict[str, list[tuple[FeedbackRecord, list[AspectLabel]]]]:
    """A shared file and a private upload, tagged, linked, with themes."""
    shared = store.source_for("/data/shop.csv", "shop.csv")
    private = store.source_for("/uploads/mine.csv", "mine.csv", private=True)
    data = {shared: _records(shared, N, 1), private: _records(private, 40, 2)}
    rng = random.Random(3)
    for rows in data.values():
        inserted, dup = store.add(r for r, _ in rows)
        assert (len(inserted), dup) == (len(rows), 0)
        store.set_tags(((r.id, t) for r, t in rows), origin="label")
        # Each link keeps every step the comment speaks of (link_steps), none to all.
        store.set_links(((r.id, [Link(journey=j, steps=rng.sample(STEPS[j],
                                                                  rng.randint(0, len(STEPS[j]))),
                                      score=1.0, why="cue:x")
                                 for j in rng.sample(sorted(STEPS), rng.randint(0, 2))])
                         for r, _ in rows), mode="cue")  # fmt: skip
    groups: dict[tuple[str, str], list[str]] = {}
    for r, tags in data[shared] + data[private]:
        for t in tags:
            if t.sentiment != "neutral":
                groups.setdefault((t.aspect, t.sentiment), []).append(r.id)
    for (aspect, sentiment), ids in groups.items():
        ids = sorted(ids)
        themes = [(f"{aspect} one", ids[0], ids[::2]), (f"{aspect} two", ids[1], ids[1::2])]
        store.set_themes(aspect, sentiment, len(ids), themes)
    return data


def test_records_tags_links_themes_and_segments_round_trip(settings: Settings):
    store = open_feedback_store(settings)
    state0 = store.state()
    data = _fill(store)
    shared, private = list(data)
    every = [r for rows in data.values() for r, _ in rows]
    assert store.state() != state0
    # The same file comes back under the same source; a second file of that name does not.
    assert store.source_for("/data/shop.csv", "shop.csv") == shared
    assert store.source_for("/elsewhere/shop.csv", "shop.csv") != shared
    # Adding again stores nothing twice, also under another source name.
    assert store.add(r for r, _ in data[shared][:5]) == ([], 5)
    twin = data[shared][0][0].model_copy(update={"id": "other:x", "source": "other"})
    assert store.add([twin]) == ([], 1)
    assert store.count() == len(every) and store.count(shared) == N
    assert store.private_sources() == {private}
    assert store.corpus_count() == N and store.corpus_count(private) == len(every)
    assert [r.id for r in store.records(shared)] == [r.id for r, _ in data[shared]]
    wanted = [every[7].id, every[3].id]
    assert {r.id for r in store.records_by_id(wanted)} == set(wanted)
    assert store.texts(wanted) == {every[7].id: every[7].text, every[3].id: every[3].text}
    assert store.hashes(shared) == {r.content_hash for r, _ in data[shared]}

    tag_rows = {(r.id, t.aspect, t.sentiment) for r, tags in data[shared] for t in tags}
    assert set(store.all_tags()) == tag_rows
    assert store.tag_origins() == {"label": N}
    scan = {rid: (rating, day) for rid, rating, day, _ in store.scan_for_scope(min_rating=4)}
    assert scan == {r.id: (r.rating, r.date.isoformat() if r.date else None)
                    for r, _ in data[shared] if r.rating and r.rating >= 4}  # fmt: skip
    dated = [r.date for r, _ in data[shared] if r.date]
    assert store.latest_date() == max(dated)
    lo, hi = date(2020, 2, 1), date(2020, 3, 31)
    assert store.count_dated(lo, hi) == sum(lo <= d <= hi for d in dated)
    assert store.ids_with_segment_column("sinh VIÊN") == set()  # lower() is ASCII, as SQLite's
    assert store.ids_with_segment_column("Sinh viên") == {r.id for r in every if r.segment}

    linked_to = store.records_linked_to("delivery", "unbox")
    assert linked_to == sorted(linked_to) and linked_to and all(
        any("unbox" in lk.steps for lk in store.links_for(rid)) for rid in linked_to
    )
    # Every step of a link comes back in order, and is counted by steps_of.
    many = [rid for rid in (r.id for r in every)
            if any(len(lk.steps) > 1 for lk in store.links_for(rid))]  # fmt: skip
    assert many and all(lk.step == (lk.steps[0] if lk.steps else None)
                        for rid in many for lk in store.links_for(rid))  # fmt: skip
    by_step = Counter(f"{lk.journey}.{st}" for rid in many for lk in store.links_for(rid)
                      for st in lk.steps)  # fmt: skip
    assert store.steps_of(many) == dict(by_step)
    assert store.link_signature() is None
    store.set_link_signature("a")
    store.set_link_signature("b")
    assert store.link_signature() == "b"
    assert store.estimated_date_ids() == {r.id for r in every
                                          if r.date and r.date_raw == "2 tuần trước"}
    assert store.link_modes() == {"cue": len(every)} and store.unlinked_count() == 0
    assert store.unfinished_ids() == set() and list(store.to_link()) == []
    assert {r.id for r in store.to_link(("cue",))} == {r.id for r in every}

    labels, members = store.themes_of("BATTERY", "negative")
    assert sorted(v[0] for v in labels.values()) == ["BATTERY one", "BATTERY two"]
    assert set(members) == {r.id for r, tags in data[shared] + data[private]
                            if any(t.aspect == "BATTERY" and t.sentiment == "negative"
                                   for t in tags)}  # fmt: skip
    assert store.theme_group_sizes()[("BATTERY", "negative")] == len(members)

    assert store.segment_members("s1") is None
    store.set_segment_members("s1", {"students": {every[0].id, every[1].id}})
    assert store.segment_members("s1") == {"students": {every[0].id, every[1].id}}
    assert store.segment_state() == "s1" and store.quick_check() == []
    dump = store.dump()
    assert len(dump["feedback"]) == len(every) and len(dump["tags"]) == sum(
        len(t) for rows in data.values() for _, t in rows
    )


FILTERS = [
    {},
    {"sentiment": "positive", "top": 3},
    {"journey": "delivery"},
    {"journey": "delivery", "step": "unbox", "min_rating": 2},
    {"aspect": "BATTERY", "start": date(2020, 2, 1), "end": date(2020, 5, 31)},
    {"segment": "sinh viên", "max_rating": 4},
    {"touchpoint": "hotline"},
    {"source": "mine.csv"},
    {"journey": "warranty", "min_rating": 5, "max_rating": 5, "start": date(2020, 7, 1)},
    # Issue #20: steps by content, touchpoints by what comments name, estimated dates.
    {"journey": "delivery", "step": "track-order"},
    {"journey": "delivery", "stage": "receive", "sentiment": "positive"},
    {"touchpoint": "packaging"},
    {"journey": "warranty", "touchpoint": "hotline"},
    {"exact_dates": True},
    {"exact_dates": True, "start": date(2020, 2, 1), "end": date(2020, 5, 31)},
    {"journey": "delivery", "start": date(2020, 3, 1), "end": date(2020, 6, 30)},
]


def test_the_pain_summary_aggregated_in_sql_equals_the_scan(settings: Settings):
    """Every filter (journey, step, touchpoint, aspect, segment, source, period, ratings):
    the summary the store aggregates on the server is the summary counted record by record
    over the scanned selection, field for field."""
    _fill(open_feedback_store(settings))
    kb = KnowledgeBase.open(settings)
    # The links are this linker's (else an answer links the synthetic comments again).
    kb.feedback().set_link_signature(kb.linker().signature)
    ctx = ToolContext(kb=kb, lang="en")
    source = next(iter(kb.feedback().private_sources()))
    totals, outputs = [], []
    for f in FILTERS:
        inp = PainPointsInput(**(f | {"source": source} if "source" in f else f))
        by_sql = summarize_pain_points(inp, ctx)
        by_scan = summarize_pain_points(inp, ctx, select(kb, inp))
        assert by_sql.model_dump() == by_scan.model_dump(), f
        # Aggregated in SQL unless the touchpoint is read from the comments' text.
        named = (by_sql.touchpoint_named or 0) >= by_sql.min_evidence
        assert (plan(kb, inp) is None) == named
        totals.append(by_sql.total)
        outputs.append(by_sql)
    # The filters did select: the whole corpus is the 240 shared records; others fewer.
    assert totals[0] == N and all(0 < t < N for t in totals[2:6])
    assert all(0 < t < N for t in totals[9:])
    tp_steps, tp_named = outputs[11], outputs[12]
    assert tp_steps.touchpoint_steps == ["delivery.unbox"] and not tp_steps.touchpoint_named
    assert tp_named.touchpoint_named and tp_named.touchpoint_named >= tp_named.min_evidence
    exact, exact_period, period = outputs[13], outputs[14], outputs[15]
    assert exact.exact_dates_left_out > 0 and exact.total == N - exact.exact_dates_left_out
    assert exact_period.exact_dates_left_out > 0 and exact_period.estimated_dates == 0
    assert period.estimated_dates and 0 < period.estimated_dates < period.total
    # Pains name the steps their comments speak of, with counts; label noise is counted.
    assert any(p.step_counts for p in outputs[9].pain_points + outputs[9].delights)
    assert any(p.rating_conflicts for p in outputs[0].pain_points + outputs[0].delights)
    whole = summarize_pain_points(PainPointsInput(), ctx)
    negatives = Counter(t.aspect for r, tags in _records("x", N, 1) for t in tags
                        if t.sentiment == "negative")  # fmt: skip
    assert {p.aspect: p.count for p in whole.pain_points} == {
        a: negatives[a] for a in (p.aspect for p in whole.pain_points)
    }


def test_the_aggregates_answer_the_same_on_both_backends(tmp_path: Path, pg_url: str):
    """The same records in SQLite and in PostgreSQL: the same figures, by tagset."""
    s = Settings(_env_file=None, cx_data_dir=tmp_path, cx_corpus_dir=REPO / "corpus")
    pg = s.model_copy(update={"cx_database_url": pg_url})
    upgrade(open_engine(pg))
    stores = [open_feedback_store(s), open_feedback_store(pg)]
    for store in stores:
        _fill(store)
    q = RecordQuery(linked=((("delivery", None),),), min_rating=2, start=date(2020, 3, 1))
    steps = RecordQuery(linked=((("delivery", "unbox"), ("warranty", "contact-support")),),
                        start=date(2020, 2, 1), end=date(2020, 6, 30), exact_dates=True)
    windows = ((date(2020, 3, 1), date(2020, 4, 30)), (date(2020, 1, 1), date(2020, 2, 29)))
    # Every figure but the storage position, which each backend counts its own way.
    lite, post = ([sorted((r._replace(first=None) for x in (q, steps)
                           for r in st.tagset_figures(x, windows)), key=str),
                   st.date_range(q), st.date_range(steps),
                   st.first_ids(q, "BATTERY", "negative"),
                   st.first_ids(q, n=5, lowest_rated=True),
                   st.first_ids(steps, "BATTERY", "positive", n=5, lowest_rated=True),
                   st.step_counts(steps, "BATTERY", "negative"),
                   st.rating_conflicts(q, "BATTERY", "negative"),
                   st.count_estimated(q), st.count_in_scope(steps),
                   st.estimated_date_ids()] for st in stores)  # fmt: skip
    assert lite == post
    assert sum(row.n for row in stores[0].tagset_figures(q, windows)) > 0
    # The contradicting ratings counted by the GROUP BY equal the scan of each tag's records.
    for store in stores:
        rows = store.tagset_figures(q, windows)
        for aspect in ASPECTS:
            for sentiment, col in (("negative", "top"), ("positive", "low")):
                grouped = sum(getattr(r, col) for r in rows
                              if f"{aspect}:{sentiment}" in (r.tagset or "").split(","))
                assert grouped == store.rating_conflicts(q, aspect, sentiment)
        assert _steps_grouped_equal_the_join(store, [q, steps, *STEP_FILTERS], windows) > 0
        assert _stored_quotes_equal_the_walk(store, [q, steps, *STEP_FILTERS]) > 0
    assert lite[6] and lite[8] and lite[9]


STEP_FILTERS = [RecordQuery(), RecordQuery(aspect="SCREEN", max_rating=3),
                RecordQuery(linked=((("warranty", "contact-support"),),), min_rating=4),
                RecordQuery(start=date(2020, 5, 1), end=date(2020, 7, 1),
                            segment_column="sinh viên")]


def _steps_grouped_equal_the_join(store: FeedbackStore, queries: list[RecordQuery],
                                  windows: tuple) -> int:  # fmt: skip
    """Each tag's steps summed over the GROUP BY's step sets are the steps its records in
    scope speak of, counted by a join with the links (step_counts): how many were compared."""
    compared = 0
    for x in queries:
        rows = store.tagset_figures(x, windows)
        for aspect in ASPECTS:
            for sentiment in ("negative", "positive", "neutral"):
                summed: Counter[str] = Counter()
                for r in rows:
                    if f"{aspect}:{sentiment}" in (r.tagset or "").split(",") and r.steps and r.n:
                        for step in r.steps.split(","):
                            summed[step] += r.n
                joined = store.step_counts(x, aspect, sentiment)
                assert dict(summed) == joined, (x, aspect, sentiment)
                compared += sum(joined.values())
    return compared


def _stored_quotes_equal_the_walk(store: FeedbackStore, queries: list[RecordQuery]) -> int:
    """The theme quotes read from the stored quotes are those a walk of every member finds
    (the stored quotes cleared, theme_quote_ids walks): how many came from a stored quote."""
    groups = store.theme_group_sizes()
    engine = store.engine  # type: ignore[attr-defined]
    got = {}
    for x in queries:
        for a, s in groups:
            got[(str(x), a, s)] = store.theme_quote_ids(x, a, s, sorted(store.theme_labels(a, s)))
    with engine.begin() as conn:
        stored = {(a, s, t): qid for a, s, t, qid in conn.execute(
            text("SELECT aspect, sentiment, theme, quote FROM themes"))}  # fmt: skip
        conn.execute(text("UPDATE themes SET quote = NULL"))
    used = 0
    try:
        for x in queries:
            for a, s in groups:
                labels = store.theme_labels(a, s)
                walked = store.theme_quote_ids(x, a, s, sorted(labels))
                assert got[(str(x), a, s)] == walked, (x, a, s)
                used += sum(1 for t, rid in walked.items()
                            if rid != labels[t][1] and rid == stored[(a, s, t)])
    finally:
        with engine.begin() as conn:
            for (a, s, t), qid in stored.items():
                conn.execute(text("UPDATE themes SET quote = :q WHERE aspect = :a AND "
                                  "sentiment = :s AND theme = :t"),
                             {"q": qid, "a": a, "s": s, "t": t})  # fmt: skip
    return used


def test_step_sets_and_theme_quotes_filled_for_an_older_store(settings: Settings):
    """A store from before step sets and theme quotes (the columns empty, as migration 7
    and the SQLite file's completion find them) gets them filled from its links and themes:
    the same figures as the store that wrote them as it went."""
    store = open_feedback_store(settings)
    _fill(store)
    windows = ((date(2020, 3, 1), date(2020, 4, 30)), (date(2020, 1, 1), date(2020, 2, 29)))
    before = [sorted((r._replace(first=None) for r in store.tagset_figures(x, windows)), key=str)
              for x in STEP_FILTERS]  # fmt: skip
    quotes = "SELECT aspect, sentiment, theme, quote FROM themes ORDER BY 1, 2, 3"
    engine = store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        written = conn.execute(text(quotes)).all()
    assert any(q for *_, q in written)
    if settings.cx_database_url:
        from assistant.storage.migrations import _step_sets_and_theme_quotes

        with engine.begin() as conn:
            conn.execute(text("UPDATE feedback SET stepset = NULL"))
            conn.execute(text("DELETE FROM step_sets"))
            conn.execute(text("UPDATE themes SET quote = NULL"))
            _step_sets_and_theme_quotes(conn)
    else:
        store.close()
        with engine.begin() as conn:  # the file as an older version wrote it
            conn.execute(text("DROP TABLE step_sets"))
            conn.execute(text("ALTER TABLE feedback DROP COLUMN stepset"))
            conn.execute(text("ALTER TABLE themes DROP COLUMN quote"))
        engine.dispose()
        store = open_feedback_store(settings)
        engine = store.engine  # type: ignore[attr-defined]
    after = [sorted((r._replace(first=None) for r in store.tagset_figures(x, windows)), key=str)
             for x in STEP_FILTERS]  # fmt: skip
    assert after == before and any(r.steps for rows in after for r in rows)
    with engine.connect() as conn:
        assert conn.execute(text(quotes)).all() == written


def test_votes_and_shares(settings: Settings):
    store = open_ratings_store(settings)
    answer = Answer(question="q", lang="en", tool="pain_points", citations=[], answer="a")
    aid = store.save_answer(answer, "U1", "C1", "C1:1")
    assert store.record(aid).user == "U1" and store.answer(aid).answer == "a"
    assert [store.vote(aid, "U2", up=True), store.vote(aid, "U2", up=True),
            store.vote(aid, "U2", up=False), store.vote(aid, "U3", up=False)] == [
        "new", "same", "changed", "new"]  # fmt: skip
    assert store.tally(aid) == (0, 2)
    assert store.mark_shared(aid, "C9", "U2") is True
    assert store.mark_shared(aid, "C9", "U3") is False  # a second click posts nothing
    store.unmark_shared(aid, "C9")
    assert store.mark_shared(aid, "C9", "U3") is True
    out = settings.cx_data_dir / "export.jsonl"
    assert store.export(out) == 2


def test_db_copy_moves_the_sqlite_files_and_a_second_run_changes_nothing(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus")
    data = _fill(open_feedback_store(s))
    private = list(data)[1]
    votes = RatingsStore(s.ratings_db)
    answer = Answer(question="q", lang="en", tool="pain_points", citations=[], answer="a")
    aid = votes.save_answer(answer, "U1", "C1", "C1:1")
    votes.vote(aid, "U2", up=True)
    monkeypatch.setenv("CX_DATA_DIR", str(s.cx_data_dir))
    monkeypatch.setenv("CX_CORPUS_DIR", str(REPO / "corpus"))
    monkeypatch.delenv("CX_DATABASE_URL", raising=False)

    assert main(["db", "copy", "--to", pg_url]) == 0
    first = capsys.readouterr().out
    assert "counts and content hashes match" in first
    assert main(["db", "copy", "--to", pg_url, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["ok"] and all(t["copied"] == 0 and t["same"] for t in again["tables"])
    rows = {t["table"]: t["target_rows"] for t in again["tables"]}
    assert rows["feedback"] == sum(len(v) for v in data.values()) and rows["votes"] == 1

    # The copy answers as the file did: records, private uploads, votes.
    pg = s.model_copy(update={"cx_database_url": pg_url})
    store, lite = open_feedback_store(pg), open_feedback_store(s)
    pg_rows, lite_rows = store.dump(), lite.dump()
    for table, rows in lite_rows.items():  # the same rows (a heap keeps its own order)
        assert sorted(map(str, pg_rows[table])) == sorted(map(str, rows)), table
    assert store.private_sources() == lite.private_sources()
    assert open_ratings_store(pg).tally(aid) == (1, 0)
    # The copy keeps working as a store: new tags get new numbers, the old ones keep theirs.
    record = data[private][0][0]
    store.set_tags([(record.id, [AspectLabel(aspect="CAMERA", sentiment="negative"),
                                 AspectLabel(aspect="PRICE", sentiment="positive")])], "manual")
    assert "CAMERA:negative,PRICE:positive" in {
        r.tagset for r in store.tagset_figures(RecordQuery(include=private))
    }

    # A row changed on the server is named, never overwritten.
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE votes SET vote = -1"))
    assert main(["db", "copy", "--to", pg_url]) == 1
    assert "votes" in [ln.split()[0] for ln in capsys.readouterr().out.splitlines()
                       if "CONTENT DIFFERS" in ln]  # fmt: skip
    engine.dispose()


def test_db_upgrade_and_a_database_behind_or_unreachable(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    s = Settings(_env_file=None, cx_data_dir=tmp_path, cx_database_url=pg_url)
    with pytest.raises(DatabaseError, match="db upgrade"):
        open_feedback_store(s)  # a store never runs on a database behind the code
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CX_DATABASE_URL", pg_url)
    assert main(["db", "upgrade"]) == 0
    assert "schema version" in capsys.readouterr().out
    assert main(["db", "upgrade", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["applied"] == [] and out["version"] == MIGRATIONS[-1][0]
    assert current_version(open_engine(s)) == MIGRATIONS[-1][0]
    assert open_feedback_store(s).count() == 0

    from conftest import free_port

    closed = f"postgresql://cx:s3cret@127.0.0.1:{free_port()}/none"
    monkeypatch.setenv("CX_DATABASE_URL", closed)
    assert main(["db", "upgrade"]) != 0
    err = capsys.readouterr()
    assert "cannot be reached" in err.err + err.out and "s3cret" not in err.err + err.out


def test_db_copy_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("CX_DATABASE_URL", raising=False)
    assert main(["db", "copy", "--to", "postgresql://cx@127.0.0.1:1/none"]) != 0
    err = capsys.readouterr().err
    assert "Nothing to copy" in err and "feedback.sqlite" in err and "Traceback" not in err
