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
    Index("ix_jobs_claim", "queue", "state", "available_at"),
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
