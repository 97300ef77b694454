"""Every table of the relational store, declared once for both backends.

A table added here needs a numbered migration in `migrations.py` that creates it."""

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# The version the database is at: one row, written by `migrations.upgrade`.
schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("applied_by", String(200), nullable=False, default=""),
)

# -- Slack delivery (migration 3): acknowledged requests, their replies, event ids ---------

# An acknowledged request, kept until its reply is in the outbox. A worker claims one with a
# lease (`lease_until`); a lease that expires (the process died) makes it claimable again.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue", String(40), nullable=False),  # "slack"
    Column("team", String(40), nullable=False, default=""),
    Column("payload", Text, nullable=False),  # JSON: what the surface needs to run it again
    Column("state", String(12), nullable=False, default="pending"),  # pending|running|done|dropped
    Column("owner", String(80), nullable=False, default=""),
    Column("lease_until", Float, nullable=False, default=0.0),
    Column("available_at", Float, nullable=False, default=0.0),  # not before (Retry-After)
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Migration 6: who asked ("" for requests no limit applies to, e.g. a vote's click):
    # a claim skips a person's jobs while they have CX_SLACK_PER_USER running anywhere.
    Column("asker", String(40), nullable=False, server_default=""),
    # The queue note posted while it waited for its asker's turn: its message ts, "-" for
    # one without a ts (ephemeral), "" for none. The answer replaces it.
    Column("note", String(40), nullable=False, server_default=""),
    Index("ix_jobs_claim", "queue", "state", "available_at"),
    Index("ix_jobs_asker", "queue", "asker", "state"),
)

# A reply waiting to be delivered: retried after Retry-After or a backoff until delivered;
# past `deadline` it is `late` (its asker is told it comes late when it finally arrives).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=True),
    Column("grp", String(80), nullable=False),  # messages of one reply, delivered in order
    Column("seq", Integer, nullable=False, default=0),
    Column("team", String(40), nullable=False, default=""),
    Column("kind", String(20), nullable=False),  # post|update|respond|replace_stream|upload|…
    Column("payload", Text, nullable=False),  # JSON: channel, thread, message, ask, lang, …
    # pending | delivered | failed (Slack will never take it) | dropped (uninstalled)
    Column("state", String(12), nullable=False, default="pending"),
    Column("late", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", Float, nullable=False, default=0.0),
    Column("deadline", Float, nullable=False),
    Column("owner", String(80), nullable=False, default=""),
    Column("lease_until", Float, nullable=False, default=0.0),
    Column("last_error", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
    Index("ix_outbox_due", "state", "next_try_at"),
)

# Slack event ids seen (X-Slack-Retry-Num re-sends, or several instances): the first insert
# claims an event; a second one for the same id fails on the unique key.
slack_events = Table(
    "slack_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("received_at", Float, nullable=False),
)

# -- Shared by every instance (migration 5): what one process used to keep to itself -----

# A conversation's last turns (a Slack thread, a CLI session), each a JSON object; several
# instances answering one thread read and append the same rows.
conversation_turns = Table(
    "conversation_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation", String(200), nullable=False),
    Column("turn", Text, nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_conversation_turns", "conversation", "id"),
)

# Messages answered (Slack re-sends an edited mention under a new event id, maybe to another
# instance) and the job that answers each: the same job run again is not a repeat.
seen_messages = Table(
    "seen_messages",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("job_id", Integer, nullable=True),
    Column("at", Float, nullable=False),
)

# Who asked the bot something in a thread: their replies there need no mention.
thread_askers = Table(
    "thread_askers",
    metadata,
    Column("conversation", String(200), primary_key=True),
    Column("user", String(40), primary_key=True),
    Column("at", Float, nullable=False),
)

# Assistant threads: what the user is viewing (Slack's thread context), set by one event and
# read when a later message of the thread reaches any instance.
thread_contexts = Table(
    "thread_contexts",
    metadata,
    Column("conversation", String(200), primary_key=True),
    Column("context", Text, nullable=False),
    Column("at", Float, nullable=False),
)

# Workspaces that uninstalled the app or revoked its token: no instance answers there.
stopped_teams = Table(
    "stopped_teams",
    metadata,
    Column("team", String(40), primary_key=True),
    Column("reason", String(40), nullable=False),
    Column("at", Float, nullable=False),
)

# Named locks (`cx-assistant index`: one indexer at a time). PostgreSQL takes an advisory
# lock instead; SQLite inserts a row here, whose unique key makes the second insert fail.
locks = Table(
    "locks",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("owner", String(120), nullable=False),
    Column("until", Float, nullable=False),  # a holder that died is overtaken after this
)
