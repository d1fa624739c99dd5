"""Alembic environment: always run on a connection handed in by redline.store.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context

from redline.store import models  # registers every table on Base
from redline.store.base import Base

# SQLite-only full-text search tables (migration 0002, with their FTS5 shadow tables):
# made by raw SQL, not part of the models, so autogenerate must neither drop nor add them.
SEARCH_TABLE_PREFIXES = ("sample_fts", "review_fts")


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through redline.store.migrate.upgrade()")
DIALECT: str = connection.dialect.name


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out of autogenerate's comparison the search tables, and on PostgreSQL the
    local-only sample indexes (models.LOCAL_ONLY_INDEXES, dropped there by 0005)."""
    if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIXES):
        return False
    return models.compared_on(DIALECT, type_, name)


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: batch mode recreates the table instead.
    render_as_batch=DIALECT == "sqlite",
    compare_type=True,
    include_object=include_object,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
