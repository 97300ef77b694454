"""Every table of the relational store, declared once for both backends.

A table added here needs a numbered migration in `migrations.py` that creates it."""

from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()

# The version the database is at: one row, written by `migrations.upgrade`.
schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("applied_by", String(200), nullable=False, default=""),
)
