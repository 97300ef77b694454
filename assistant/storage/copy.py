"""`cx-assistant db copy --to postgresql://…`: the embedded SQLite files (feedback records,
tags, uploads' sources, links, themes, segments; answers and votes) copied into a shared
database, then verified: every table's row count and a content hash of its rows, in key
order, computed on both sides. Rows already there are kept (ON CONFLICT DO NOTHING), so
running it again changes nothing; a table whose rows differ is named, never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Engine,
    Table,
    create_engine,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from assistant.core.errors import DatabaseError
from assistant.storage.feedback_tables import FEEDBACK_TABLES, RATINGS_TABLES
from assistant.storage.migrations import upgrade
from assistant.storage.sql import insert_for, safe_url

log = logging.getLogger(__name__)
BATCH = 5000


@dataclass
class TableCopy:
    table: str
    source_rows: int
    copied: int
    target_rows: int
    same: bool


def sqlite_engine(path: Path) -> Engine:
    """A read-only engine on an SQLite file of the data folder."""
    return create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true", poolclass=NullPool)


def _key(table: Table) -> list:
    return list(table.primary_key.columns) or list(table.columns)


def table_digest(engine: Engine, table: Table) -> tuple[int, str]:
    """(rows, sha256 of the rows in key order): the same on both backends for the same
    content (text is compared byte by byte in both, see feedback_tables)."""
    digest = hashlib.sha256()
    n = 0
    with engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(table).order_by(*_key(table))
        )
        for row in rows:
            digest.update(json.dumps(list(row), ensure_ascii=False, default=str).encode())
            digest.update(b"\n")
            n += 1
    return n, digest.hexdigest()


def copy_tables(
    source: Engine, target: Engine, tables: Sequence[Table], progress: bool = True
) -> list[TableCopy]:
    """Copy the `tables` that exist in `source` into `target` (rows already there kept),
    then compare counts and content hashes of each."""
    out: list[TableCopy] = []
    with source.connect() as conn:
        present = set(inspect(conn).get_table_names())
    for table in tables:
        if table.name not in present:
            continue
        with target.connect() as dst:
            before = dst.execute(select(func.count()).select_from(table)).scalar() or 0
        done = 0
        with source.connect() as src:
            total = src.execute(select(func.count()).select_from(table)).scalar() or 0
            # In the file's own order (rowid): PostgreSQL then stores the rows in that
            # order, and what breaks ties by storage order answers as the file did.
            order = [literal_column("rowid")] if source.dialect.name == "sqlite" else _key(table)
            rows = src.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(table).order_by(*order)
            ).mappings()
            with target.begin() as dst:
                keyless = not table.primary_key.columns
                if keyless and dst.execute(select(func.count()).select_from(table)).scalar():
                    rows = iter(())  # a table without a key is copied once, into an empty one
                stmt = insert_for(dst, table).on_conflict_do_nothing()
                batch: list[dict] = []
                for row in rows:
                    batch.append(dict(row))
                    if len(batch) >= BATCH:
                        dst.execute(stmt, batch)
                        done += len(batch)
                        batch = []
                        _say(progress, f"  {table.name}: {done:,} of {total:,} rows")
                if batch:
                    dst.execute(stmt, batch)
        if target.dialect.name == "postgresql":
            _advance_sequences(target, table)
        n_src, h_src = table_digest(source, table)
        n_dst, h_dst = table_digest(target, table)
        copied = n_dst - before
        out.append(TableCopy(table.name, n_src, copied, n_dst, h_src == h_dst))
        _say(progress, f"  {table.name}: {n_src:,} rows, {copied:,} copied now, "
                       f"{'same' if h_src == h_dst else 'DIFFERENT'} on both sides", end="\n")
    return out


def _advance_sequences(engine: Engine, table: Table) -> None:
    """Rows copied with their numbers leave PostgreSQL's sequence behind them: move it past
    the largest, or the next new row would take a number already used."""
    for column in table.primary_key.columns:
        if column.autoincrement is True:
            with engine.begin() as conn:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"GREATEST((SELECT MAX({column.name}) FROM {table.name}), 1))"))  # fmt: skip


def copy_data_folder(
    feedback_db: Path, ratings_db: Path, target_url: str, progress: bool = True
) -> list[TableCopy]:
    """`db copy`: the SQLite files of the data folder into the database at `target_url`
    (upgraded first). Raises DatabaseError naming what went wrong."""
    found = [(p, t) for p, t in ((feedback_db, FEEDBACK_TABLES), (ratings_db, RATINGS_TABLES))
             if p.is_file()]  # fmt: skip
    if not found:
        raise DatabaseError(
            f"Nothing to copy: neither {feedback_db} nor {ratings_db} exists. Point "
            f"CX_DATA_DIR at the data folder the assistant has been using."
        )
    if target_url.startswith(("postgresql://", "postgres://")):
        target_url = "postgresql+psycopg://" + target_url.split("://", 1)[1]
    where = safe_url(target_url)
    try:
        target = create_engine(target_url)
        upgrade(target, applied_by="cx-assistant db copy")
    except SQLAlchemyError as exc:
        log.warning("db copy: %s: %r", where, exc)
        raise DatabaseError(
            f"The database {where} cannot be reached or written. Check that the server runs, "
            f"that the database exists and that the user may create tables."
        ) from exc
    out: list[TableCopy] = []
    try:
        for path, tables in found:
            _say(progress, f"{path.name} -> {where}", end="\n")
            out += copy_tables(sqlite_engine(path), target, tables, progress)
    except SQLAlchemyError as exc:
        log.warning("db copy: %r", exc)
        raise DatabaseError(
            f"The copy into {where} stopped ({type(exc).__name__}, details in the log). What "
            f"was copied is kept; run the same command again to finish."
        ) from exc
    finally:
        target.dispose()
    return out


def _say(progress: bool, line: str, end: str = "\r") -> None:  # \r: one line per table
    if progress:
        print(f"\r{line:<78}", end=end, file=sys.stderr, flush=True)
