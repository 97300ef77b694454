"""The storage backends at scale (issue #22): a whole-corpus pain summary over 1,000,000 and
10,000,000 synthetic records on PostgreSQL (targets < 2 s and < 10 s, the process < 500 MB),
the SQLite figures beside them.

Synthetic records are the shipped comments resampled by the store itself
(`resample_from`: text, rating, tags, segment and themes of a real record; dates spread
over 600 days), loaded once per size into a fresh SQLite file and a fresh PostgreSQL
database (a throw-away server made with the machine's own binaries, tests/pg_server.py,
unless `--pg-url` names one). The summary runs in a process of its own that opens the
store as the assistant does (`CX_DATABASE_URL` set or not): its seconds (first call, and a
second call in the same process) and its peak RSS.

Run through `benchmarks/run.py --only storage [--records 1000000 10000000]`; not in CI.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Storage backends: the pain summary at scale"

# The throw-away server's settings for a benchmark: memory for the 10M tables' hot pages
# and the GROUP BY; the parallel workers PostgreSQL starts by default on 2 cores; no JIT
# (it compiles each aggregate for ~150 ms, more than it saves on a query this short).
PG_OPTIONS = ("-c shared_buffers=2GB -c work_mem=64MB -c effective_cache_size=12GB "
              "-c max_parallel_workers_per_gather=2 -c max_wal_size=8GB "
              "-c checkpoint_timeout=30min -c jit=off")  # fmt: skip


def source_store(data: Path | None, work: Path):  # noqa: ANN201 - a SQLiteFeedbackStore
    """The shipped records, tagged with their themes and linked by this code's linker: a
    copy of the data folder `data`'s feedback.sqlite when given (a `cx-assistant index`
    already run; linked again here if another linker made its links), else ingested,
    tagged and linked into `work`. The copies carry those links: an answer over them must
    not link millions of records first."""
    from assistant.core.settings import Settings
    from assistant.feedback.scope import ensure_links
    from assistant.kb.base import KnowledgeBase

    folder = work / "source"
    settings = Settings(_env_file=None, cx_data_dir=folder, cx_corpus_dir=ROOT / "corpus")
    kb = KnowledgeBase.open(settings)
    if data is not None:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data / "feedback.sqlite", folder / "feedback.sqlite")
    else:
        kb.ingest(ROOT / "corpus" / "feedback" / "uit-visfd-train.csv", progress=False,
                  embed=False)  # fmt: skip
        kb.tag_feedback(progress=False)
    ensure_links(kb)
    return kb.feedback()


def load_sqlite(source, folder: Path, n: int) -> float:  # noqa: ANN001
    """n records resampled into a new feedback.sqlite in `folder`; the seconds it took."""
    from assistant.feedback.store import SQLiteFeedbackStore

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    target = SQLiteFeedbackStore(folder / "feedback.sqlite")
    target.resample_from(source, n)
    with target.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    target.close()
    return round(time.perf_counter() - start, 1)


def load_postgres(source, admin_url: str, name: str, n: int,
                  reuse: bool = False) -> tuple[str, float | None]:  # noqa: ANN001
    """n records resampled into a new database `name`, upgraded as `db upgrade` does, then
    VACUUM ANALYZE (what a bulk load is followed by); its URL and the seconds it took.
    `reuse`: a database `name` already holding n records (loaded by an earlier run with
    this code) is upgraded and kept, with no load seconds."""
    from sqlalchemy import create_engine, text

    from assistant.feedback.store import SQLFeedbackStore
    from assistant.storage import upgrade

    psy = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    if reuse:
        try:
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            upgrade(engine)
            with engine.connect() as conn:
                held = conn.execute(text("SELECT count(*) FROM feedback")).scalar()
            engine.dispose()
            if held == n:
                return url, None
        except Exception:  # noqa: BLE001 - none there: load it
            pass
    admin = create_engine(psy, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    start = time.perf_counter()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    upgrade(engine)
    SQLFeedbackStore(engine, url).resample_from(source, n)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return url, round(time.perf_counter() - start, 1)


def pains_in_child(data_dir: Path, database_url: str | None) -> dict:
    """The whole-corpus pain summary in a process of its own, as the assistant opens the
    store with these settings."""
    env = os.environ | {"CX_CORPUS_DIR": str(ROOT / "corpus"), "CX_DATA_DIR": str(data_dir)}
    env.pop("CX_DATABASE_URL", None)
    if database_url:
        env["CX_DATABASE_URL"] = database_url
    load = round(os.getloadavg()[0], 1)  # the machine's cores are shared: said beside it
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--pains-child"], capture_output=True,
                          text=True, env=env)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the pain summary failed: {done.stderr[-800:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = round(time.perf_counter() - start, 2)
    out["load_avg_1m"] = load
    return out


def _pains_child() -> None:
    from assistant.core.settings import Settings
    from assistant.core.tools import ToolContext
    from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points
    from assistant.kb.base import KnowledgeBase

    kb = KnowledgeBase.open(Settings())
    ctx = ToolContext(kb=kb, lang="en")
    times = []
    for _ in range(2):
        start = time.perf_counter()
        out = summarize_pain_points(PainPointsInput(), ctx)
        times.append(round(time.perf_counter() - start, 2))
    print(json.dumps({
        "records": out.total, "summary_s": times[0], "again_s": times[1],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "top_pain": out.pain_points[0].aspect if out.pain_points else None,
        "top_count": out.pain_points[0].count if out.pain_points else None,
    }))  # fmt: skip


def storage_figures(sizes: list[int], work: Path, data: Path | None, pg_url: str | None,
                    backends: tuple[str, ...] = ("postgresql", "sqlite"),
                    reuse: bool = False, pg_options: str = "") -> dict:  # fmt: skip
    """Both backends at each size: load seconds, the summary, peak memory."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_server import PostgresServer, server_bindir

    work.mkdir(parents=True, exist_ok=True)
    source = source_store(data, work)
    server = None
    if pg_url is None and "postgresql" in backends:
        bindir = server_bindir()
        if bindir is None:
            raise RuntimeError("no PostgreSQL server binaries here: pass --pg-url")
        server = PostgresServer(bindir)
        pg_url = server.start(extra=PG_OPTIONS)
    res: dict = {"source_records": source.count(), "pg_options": f"throw-away, {PG_OPTIONS}"
                 if server else f"at --pg-url, {pg_options or 'its own settings'}",
                 "runs": {}}  # fmt: skip
    try:
        for n in sizes:
            row: dict = {}
            if "postgresql" in backends:
                assert pg_url is not None
                url, load_s = load_postgres(source, pg_url, f"bench_{n}", n, reuse)
                row["postgresql"] = pains_in_child(work / "pg-data", url) | {"load_s": load_s}
                print(f"postgresql {n:,}: {row['postgresql']}", file=sys.stderr, flush=True)
            if "sqlite" in backends:
                folder = work / f"sqlite-{n}"
                load_s = load_sqlite(source, folder, n)
                row["sqlite"] = pains_in_child(folder, None) | {"load_s": load_s}
                print(f"sqlite {n:,}: {row['sqlite']}", file=sys.stderr, flush=True)
                shutil.rmtree(folder, ignore_errors=True)
            res["runs"][str(n)] = row
    finally:
        if server is not None:
            server.stop()
    return res


def storage_markdown(s: dict) -> str:
    """BENCHMARKS.md's section on the storage backends."""
    ok = lambda v, t: "✅" if v < t else "❌"  # noqa: E731
    target = {1_000_000: 2, 10_000_000: 10}
    lines = []
    for n_text, row in s["runs"].items():
        n = int(n_text)
        for backend in ("postgresql", "sqlite"):
            if backend not in row:
                continue
            r = row[backend]
            goal = (f"< {target[n]} s {ok(r['summary_s'], target[n])}, < 500 MB "
                    f"{ok(r['peak_rss_mb'], 500)}" if backend == "postgresql" and n in target
                    else "")  # fmt: skip
            loaded = f"{r['load_s']} s" if r.get("load_s") is not None else "earlier run"
            lines.append(f"| {n:,} | {backend} | {r['summary_s']} s | {r['again_s']} s | "
                         f"{r['process_s']} s | {r['peak_rss_mb']} MB | {loaded} | "
                         f"{r.get('load_avg_1m', '')} | {goal} |")  # fmt: skip
    rows = "\n".join(lines)
    notes = "".join(f"\n{note}\n" for note in s.get("notes", []))  # measured by hand, kept
    when = f'{s["date"]}, {s["machine"]}, load average {s["load_avg_1m"]}'
    return f"""{HEADING} ({when})

`benchmarks/run.py --only storage` (not in CI). Whole-corpus pain summary over synthetic
records, the {s["source_records"]:,} shipped comments resampled by the store with their
tags, themes, journey and step links and ratings (dates over 600 days), opened by a process
of its own as the assistant opens it (PostgreSQL: `CX_DATABASE_URL`). The summary is
aggregated on the server: one GROUP BY over the records by their numbered tag, theme
and step sets (counts, ratings, the ratings that contradict a tag, the steps of every
pain), then a few indexed queries for the top pains' ids and quotes (each theme's quotable
member stored with the theme). PostgreSQL: a local server ({s["pg_options"]}), after VACUUM ANALYZE;
SQLite after ANALYZE. "Again": a second summary in the same process. "Load avg.": the
machine's 1-minute load average just before the summary (2 cores, shared).

| records | backend | summary | again | with start-up | peak RSS | load | load avg. | target |
|---:|---|---:|---:|---:|---:|---:|---:|---|
{rows}
{notes}"""


def write_section(markdown: Path, section: str) -> None:
    """Put the storage section into BENCHMARKS.md, replacing the one there (the file's other
    sections, some written by hand, are kept)."""
    text = markdown.read_text(encoding="utf-8") if markdown.is_file() else "# Benchmarks\n"
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__" and sys.argv[1:2] == ["--pains-child"]:
    sys.path.insert(0, str(ROOT))
    _pains_child()
