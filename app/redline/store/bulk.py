"""Bulk inserts into the local SQLite store, below the ORM, for imports of millions of rows.

The ORM (and Core's per-value type processing) costs more than parsing the record
itself, so the import hands plain tuples to the driver's executemany. This module is
the one place that knows how our column types are stored in SQLite, so the rows it
writes read back through the ORM exactly like rows the ORM wrote (a test checks that).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Index, text
from sqlalchemy.schema import CreateIndex, DropIndex

from redline.store.models import ImportProblem, Sample

SAMPLE_COLUMNS: tuple[str, ...] = (
    "id", "created_at", "updated_at", "revision", "seq", "dirty", "batch_id", "source",
    "external_id", "content_hash", "captured_at", "model", "prompt_name", "prompt_version",
    "variant", "session_id", "system_prompt", "input_text", "input_messages", "output",
    "score", "decision", "latency_ms", "tokens_in", "tokens_out", "language",
    "language_guessed", "segments", "signal_copied", "signal_edited", "signal_follow_up",
    "signal_thumbs", "inclusion_prob",
)  # fmt: skip
assert set(SAMPLE_COLUMNS) == set(Sample.__table__.columns.keys()), "SAMPLE_COLUMNS is stale"

_INSERT_SAMPLES = (
    f"INSERT INTO sample ({', '.join(SAMPLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in SAMPLE_COLUMNS)}) "
    "ON CONFLICT (source, external_id) DO NOTHING"
)
_INSERT_PROBLEMS = (
    "INSERT INTO import_problem (batch_id, line, reason, excerpt) VALUES (?, ?, ?, ?)"
)
assert ImportProblem.__tablename__ == "import_problem"


def sqlite_uuid(value: uuid.UUID) -> str:
    """SQLAlchemy's Uuid stores 32 hex digits on SQLite."""
    return value.hex


def sqlite_time(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text, in naive UTC (see UtcDateTime)."""
    if value is None:
        return None
    # Same text as "%Y-%m-%d %H:%M:%S.%f", at a fraction of strftime's cost: the
    # first 26 characters of the ISO form are that text, "+00:00" follows.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def sqlite_json(value: Any) -> str | None:
    """JSON text as SQLAlchemy's JSON type writes it (NULL for None)."""
    if value is None:
        return None
    return orjson.dumps(value).decode("utf-8")


def insert_samples(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert sample rows (values in SAMPLE_COLUMNS order); returns how many were new.

    Rows whose (source, external_id) already exists are skipped: that is what makes
    a re-import add nothing.
    """
    if not rows:
        return 0
    # Straight to the driver's cursor, inside the Connection's transaction: SQLAlchemy's
    # exec_driver_sql inspects every parameter set in Python, which for a million rows
    # costs as much as the inserts.
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(_INSERT_SAMPLES, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def insert_problems(conn: Connection, rows: Sequence[tuple[str, int, str, str]]) -> None:
    """Insert (batch_id hex, line, reason, excerpt) rows of an import's bad-row report."""
    if rows:
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(_INSERT_PROBLEMS, rows)
        finally:
            cursor.close()


DEFERRED_INDEXES = ("ix_sample_score",)
"""Indexes a big import drops at its start and builds again at its end.

Rows arrive in score order at random, so every insert into the score index lands on
a different page: for a million rows that is ~40 % of the insert time, while building
the index afterwards is one sorted pass (about a second per million rows). Queries stay
right meanwhile, only slower (ix_sample_queue also holds the score). A store left
without them (the import was killed) gets them back when it is opened.
"""


def _deferred_indexes() -> list[Index]:
    table = Sample.metadata.tables[Sample.__tablename__]
    indexes = [index for index in table.indexes if index.name in DEFERRED_INDEXES]
    assert len(indexes) == len(DEFERRED_INDEXES), "DEFERRED_INDEXES is stale"
    return indexes


def drop_deferred_indexes(engine: Engine) -> None:
    """Drop the deferred indexes (committed at once: a kill leaves them dropped, and the
    next open_local_store builds them)."""
    with engine.begin() as conn:
        for index in _deferred_indexes():
            conn.execute(DropIndex(index, if_exists=True))


def missing_deferred_indexes(engine: Engine) -> list[str]:
    """Names of the deferred indexes the store lacks (read-only: no write lock)."""
    with engine.connect() as conn:
        present = set(
            conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sample'")
            ).scalars()
        )
    return [name for name in DEFERRED_INDEXES if name not in present]


def restore_deferred_indexes(engine: Engine) -> list[str]:
    """Build the deferred indexes the store lacks; returns their names."""
    missing = missing_deferred_indexes(engine)
    if missing:
        with engine.connect() as conn:
            # The build sorts every row's key: let the sort spill to a temporary file
            # rather than to memory (the store's temp_store), or a big import's peak
            # memory grows with the store. Outside a transaction, this connection only.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA temp_store = FILE"
            )
            with conn.begin():
                for index in _deferred_indexes():
                    if index.name in missing:
                        conn.execute(CreateIndex(index, if_not_exists=True))
    return missing
