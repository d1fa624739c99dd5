"""Migration 0002: models and migrations agree; FTS on SQLite only; down and up again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from redline.review import queue
from redline.review.types import QueueFilter, QueueSort
from redline.store import models  # registers every table
from redline.store.base import Base
from redline.store.migrate import alembic_config, current_revision, head_revision
from redline.store.search import ensure_search_index

MakeSamples = Callable[..., list[uuid.UUID]]

# The same rules as migrations/env.py: the SQLite search tables are not in the models,
# and the local-only sample indexes are not on PostgreSQL (0005).
SEARCH_TABLE_PREFIXES = ("sample_fts", "review_fts")


def _diff(engine: Engine) -> list[Any]:
    def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIXES):
            return False
        return models.compared_on(engine.dialect.name, type_, name)

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _include}
        )
        return list(compare_metadata(context, Base.metadata))


def test_models_and_migrations_agree_on_sqlite(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert _diff(engine) == []


def test_models_and_migrations_agree_on_postgresql(pg_engine: Engine) -> None:
    assert current_revision(pg_engine) == head_revision()
    assert _diff(pg_engine) == []
    tables = set(inspect(pg_engine).get_table_names())
    assert not {t for t in tables if t.startswith(SEARCH_TABLE_PREFIXES)}
    indexes = {ix["name"] for ix in inspect(pg_engine).get_indexes("sample")}
    # The queue index serves only local stores: 0005 drops it on the shared database.
    assert "ix_sample_queue" not in indexes and "ix_sample_captured_at" not in indexes


def test_sqlite_has_the_search_tables(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"sample_fts", "review_fts", "sample_fts_state"} <= tables


def test_downgrade_and_upgrade_keep_data_and_rebuild_search(
    engine: Engine, make_samples: MakeSamples
) -> None:
    make_samples([{"input_text": "omega"}])
    ensure_search_index(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    assert current_revision(engine) == "0001"
    assert "sample_fts" not in set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_rowid FROM sample_fts_state")).scalar_one() == 0
    assert ensure_search_index(engine) == 1
    omega = QueueFilter(status="all", text="omega")
    assert len(queue.snapshot(engine, omega, QueueSort(), "ann")) == 1
