"""The tables of the feedback store and of the answers' votes, declared once for both
backends (`assistant/feedback/store/sql.py` and `assistant/chat/ratings.py` query them).

Columns and keys are those of the SQLite files the embedded default has always written
(`feedback.sqlite`, `ratings.sqlite`), so an existing file is read as it is. Dates are ISO
text in both backends: they sort and compare as dates, and a copy between backends keeps
every value byte for byte. Records are never deleted, so no foreign keys: a bulk load into
PostgreSQL is not slowed by a check per row.
"""

from typing import Any

from sqlalchemy import Column, Float, Index, Integer, Table, Text, UniqueConstraint, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn

from assistant.storage.schema import metadata

feedback = Table(
    "feedback", metadata,
    # What the analytics read first, so a scan reaches it without stepping over the text.
    Column("id", Text, primary_key=True),
    Column("source", Text, nullable=False),
    Column("rating", Integer),
    Column("date", Text),
    Column("tagged_by", Text),
    # The record's tags as one sorted "ASPECT:sentiment,…" string (see scan_for_scope), and
    # its themes as "ASPECT:sentiment:theme,…": what the pain summary groups by.
    Column("tagset", Text),
    Column("themeset", Text),
    # The (tagset, themeset) pair as a number (tag_combos): what the summary groups by,
    # an integer being many times quicker to group than two strings.
    Column("combo", Integer),
    # The steps it speaks of (link_steps) as a number (step_sets), grouped by beside combo:
    # each pain's steps counted by the GROUP BY, no join of the links with the records.
    Column("stepset", Integer),
    Column("content_hash", Text, nullable=False, unique=True),
    Column("line", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("date_raw", Text),
    Column("channel", Text),
    Column("segment", Text),
    Column("journey", Text),
    Column("stage", Text),
    Column("lang", Text),
    Column("labels", Text, nullable=False, server_default="[]"),
    Column("labelled", Integer, nullable=False, server_default="0"),
    Column("redactions", Integer, nullable=False, server_default="0"),
    Column("external_id", Text),
)  # fmt: skip
Index("feedback_date", feedback.c.date)
Index("feedback_source", feedback.c.source)
# The analytics' filters (issue #22): ratings, and the file's own segment column.
Index("feedback_rating", feedback.c.rating)
Index("feedback_segment", func.lower(feedback.c.segment))
# How records were tagged, counted per request (and the corpus's size with it): read from
# this narrow index alone, never from the wide rows.
Index("feedback_tagged_by", feedback.c.tagged_by, feedback.c.source)

tag_combos = Table(
    "tag_combos", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tagset", Text, nullable=False),  # "" for none: a unique key never holds NULL
    Column("themeset", Text, nullable=False),
    UniqueConstraint("tagset", "themeset", name="tag_combos_pair"),
)  # fmt: skip

step_sets = Table(
    "step_sets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("steps", Text, nullable=False, unique=True),  # "journey.step,…" sorted
)  # fmt: skip

sources = Table(
    "sources", metadata,
    Column("location", Text, primary_key=True),
    Column("source", Text, nullable=False, unique=True),
    Column("private", Integer, nullable=False, server_default="0"),
)  # fmt: skip

tags = Table(
    "tags", metadata,
    Column("record_id", Text, primary_key=True),
    Column("aspect", Text, primary_key=True),
    Column("sentiment", Text, nullable=False),
)  # fmt: skip
Index("tags_aspect", tags.c.aspect, tags.c.sentiment)
# A tag's records in id order: the first ids and quotes of a pain, walked, never sorted.
Index("tags_group", tags.c.aspect, tags.c.sentiment, tags.c.record_id)

links = Table(
    "links", metadata,
    Column("record_id", Text, primary_key=True),
    Column("journey", Text, primary_key=True),
    Column("step", Text),
    Column("score", Float, nullable=False),
    Column("method", Text, nullable=False),
)  # fmt: skip
Index("links_journey", links.c.journey, links.c.step)

# Every step a comment speaks of (issue #20: links by content), in the linker's order.
link_steps = Table(
    "link_steps", metadata,
    Column("record_id", Text, primary_key=True),
    Column("journey", Text, primary_key=True),
    Column("step", Text, primary_key=True),
    Column("position", Integer, nullable=False),
)  # fmt: skip
Index("link_steps_step", link_steps.c.journey, link_steps.c.step)

# The signature of the linker the stored links come from: another linker links again.
link_meta = Table(
    "link_meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)  # fmt: skip

linked = Table(
    "linked", metadata,
    Column("record_id", Text, primary_key=True),
    Column("mode", Text, nullable=False),
)  # fmt: skip

themes = Table(
    "themes", metadata,
    Column("aspect", Text, primary_key=True),
    Column("sentiment", Text, primary_key=True),
    Column("theme", Integer, primary_key=True),
    Column("label", Text),
    Column("representative", Text),
    # The member quoted when the representative's rating contradicts the tag (see
    # feedback_sets.write_theme_quotes): kept with the theme, not searched per answer.
    Column("quote", Text),
)  # fmt: skip

theme_members = Table(
    "theme_members", metadata,
    Column("record_id", Text, primary_key=True),
    Column("aspect", Text, primary_key=True),
    Column("sentiment", Text, primary_key=True),
    Column("theme", Integer),
)  # fmt: skip
Index("theme_members_group", theme_members.c.aspect, theme_members.c.sentiment)

theme_groups = Table(
    "theme_groups", metadata,
    Column("aspect", Text, primary_key=True),
    Column("sentiment", Text, primary_key=True),
    Column("size", Integer),
)  # fmt: skip

segment_members = Table(
    "segment_members", metadata,
    Column("segment", Text, primary_key=True),
    Column("record_id", Text, primary_key=True),
)  # fmt: skip

segment_state = Table("segment_state", metadata, Column("state", Text, nullable=False))

FEEDBACK_TABLES = (feedback, tag_combos, step_sets, sources, tags, links, link_steps,
                   link_meta, linked, themes, theme_members, theme_groups, segment_members,
                   segment_state)  # fmt: skip

# -- answers given and the votes on them (assistant/chat/ratings.py) ---------------------
answers = Table(
    "answers", metadata,
    Column("id", Text, primary_key=True),
    Column("created", Float),
    Column("user_id", Text),
    Column("channel", Text),
    Column("conversation", Text),
    Column("question", Text),
    Column("tool", Text),
    Column("answer_json", Text),
)  # fmt: skip

votes = Table(
    "votes", metadata,
    Column("answer_id", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("vote", Integer),
    Column("created", Float),
)  # fmt: skip

shares = Table(
    "shares", metadata,
    Column("answer_id", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("user_id", Text),
    Column("created", Float),
)  # fmt: skip

RATINGS_TABLES = (answers, votes, shares)
_BYTE_ORDER = {t.name for t in (*FEEDBACK_TABLES, *RATINGS_TABLES)}


@compiles(CreateColumn, "postgresql")
def _text_in_byte_order(element: CreateColumn, compiler: Any, **kw: Any) -> str:
    """Text columns of these tables compare byte by byte in PostgreSQL ("C"), as in SQLite
    (BINARY): the same order, MIN/MAX and lower() whatever locale the server was made with,
    so a PostgreSQL store answers exactly what the SQLite file answers. Set on the column,
    not on the type, so bound values stay plain text."""
    ddl = compiler.visit_create_column(element, **kw)
    column = element.element
    if column.table is not None and column.table.name in _BYTE_ORDER and isinstance(
        column.type, Text
    ):
        ddl = ddl.replace(" TEXT", ' TEXT COLLATE "C"', 1)
    return ddl
