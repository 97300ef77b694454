"""Values kept beside each feedback record and theme so the pain summary groups instead of
joining (issue #22): a record's step set numbered in `step_sets` (as its tag and theme sets
are in `tag_combos`), and each theme's quotable member. Written by the store where links and
themes are written, in the same transaction, and filled once for an older database
(migration 7, or the SQLite file completed in place)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    func,
    literal,
    not_,
    or_,
    select,
    update,
)

from assistant.storage.feedback_tables import (
    feedback,
    link_steps,
    step_sets,
    theme_members,
    themes,
)
from assistant.storage.sql import insert_for

PAGE = 2000


def stepset_ids(conn: Connection, sets: Iterable[str]) -> dict[str, int]:
    """The numbers of these step sets ("journey.step,…" sorted), made where new."""
    wanted = sorted(set(sets))
    out: dict[str, int] = {}
    for i in range(0, len(wanted), PAGE):
        part = wanted[i : i + PAGE]
        conn.execute(insert_for(conn, step_sets).on_conflict_do_nothing(),
                     [{"steps": s} for s in part])  # fmt: skip
        out.update(conn.execute(select(step_sets.c.steps, step_sets.c.id)
                                .where(step_sets.c.steps.in_(part))).all())  # fmt: skip
    return out


def step_string(steps: Iterable[tuple[str, str]]) -> str | None:
    """A record's steps as its step set: "journey.step" sorted, comma-joined."""
    return ",".join(sorted({f"{j}.{s}" for j, s in steps})) or None


def write_stepsets(conn: Connection, ids: Sequence[str]) -> None:
    """feedback.stepset of these records, from their rows in link_steps (None: no step)."""
    ls = link_steps.c
    mark = (update(feedback).where(feedback.c.id == bindparam("rid"))
            .values(stepset=bindparam("ss")))  # fmt: skip
    for i in range(0, len(ids), PAGE):
        part = list(ids[i : i + PAGE])
        found: dict[str, list[tuple[str, str]]] = {rid: [] for rid in part}
        for rid, j, s in conn.execute(select(ls.record_id, ls.journey, ls.step)
                                      .where(ls.record_id.in_(part))):  # fmt: skip
            found[rid].append((j, s))
        strings = {rid: step_string(v) for rid, v in found.items()}
        known = stepset_ids(conn, (s for s in strings.values() if s))
        conn.execute(mark, [{"rid": rid, "ss": known[s] if s else None}
                            for rid, s in strings.items()])  # fmt: skip


def fill_stepsets(conn: Connection) -> None:
    """Every linked record's stepset (a database from before the column), a page of
    record ids at a time in id order."""
    last = ""
    while True:
        page = list(conn.scalars(select(link_steps.c.record_id).distinct()
                                 .where(link_steps.c.record_id > last)
                                 .order_by(link_steps.c.record_id).limit(PAGE)))  # fmt: skip
        if not page:
            return
        write_stepsets(conn, page)
        last = page[-1]


def write_theme_quotes(conn: Connection, groups: Sequence[tuple[str, str]] | None = None) -> None:
    """themes.quote of each theme (of `groups`, or all): its member that the pain summary
    quotes when the representative cannot be: the shortest id, then the least, among
    members that hold the theme's tag and whose rating does not contradict it
    (praise at 1-2 stars, a complaint at 5). One window over the members, not a walk per
    theme per answer. Ties go to the least id, not to the first stored: PostgreSQL moves a
    row whenever it is updated (a themeset, a stepset written), so a stored position would
    not stay the least."""
    f, tm, t = feedback.c, theme_members.c, themes.c
    padded = literal(",") + f.tagset + literal(",")
    has_tag = padded.like(literal("%,") + tm.aspect + literal(":") + tm.sentiment + literal(",%"))
    conflict = and_(f.rating.is_not(None), or_(and_(tm.sentiment == "positive", f.rating <= 2),
                                               and_(tm.sentiment == "negative", f.rating >= 5)))
    rank = func.row_number().over(partition_by=(tm.aspect, tm.sentiment, tm.theme),
                                  order_by=(func.length(f.id), f.id))
    inner = (select(tm.aspect, tm.sentiment, tm.theme, f.id.label("rid"), rank.label("rk"))
             .join_from(theme_members, feedback, f.id == tm.record_id)
             .where(has_tag, not_(conflict)))  # fmt: skip
    clear = update(themes)
    if groups is not None:
        if not groups:
            return
        inner = inner.where(or_(*(and_(tm.aspect == a, tm.sentiment == s) for a, s in groups)))
        clear = clear.where(or_(*(and_(t.aspect == a, t.sentiment == s) for a, s in groups)))
    sub = inner.subquery()
    rows = conn.execute(select(sub.c.aspect, sub.c.sentiment, sub.c.theme, sub.c.rid)
                        .where(sub.c.rk == 1)).all()  # fmt: skip
    conn.execute(clear.values(quote=None))
    if rows:
        mark = (update(themes).where(t.aspect == bindparam("a"), t.sentiment == bindparam("s"),
                                     t.theme == bindparam("t")).values(quote=bindparam("q")))
        conn.execute(mark, [{"a": a, "s": s, "t": th, "q": rid} for a, s, th, rid in rows])
