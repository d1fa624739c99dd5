"""Alembic environment: always run on a connection handed in by redline.store.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context

from redline.store import models  # noqa: F401  (registers every table on Base)
from redline.store.base import Base

# SQLite-only full-text search tables (migration 0002, with their FTS5 shadow tables):
# made by raw SQL, not part of the models, so autogenerate must neither drop nor add them.
SEARCH_TABLE_PREFIXES = ("sample_fts", "review_fts")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave the search tables out of autogenerate's comparison."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIXES))


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through redline.store.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: batch mode recreates the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
