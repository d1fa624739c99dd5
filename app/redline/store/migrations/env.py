"""Alembic environment: always run on a connection handed in by redline.store.migrate."""

from __future__ import annotations

from alembic import context

from redline.store import models  # noqa: F401  (registers every table on Base)
from redline.store.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through redline.store.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: batch mode recreates the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
