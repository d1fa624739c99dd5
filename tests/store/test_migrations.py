"""The Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL, and a
store we cannot read (newer, foreign, not SQLite) is refused without being touched."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, select, text

from redline.errors import RedlineError, SchemaTooNewError
from redline.store import models
from redline.store.base import Base
from redline.store.local import open_local_store
from redline.store.migrate import alembic_config, current_revision, head_revision, upgrade
from redline.store.session import session_scope

FUTURE_REVISION = "9999_from_the_future"


def _virtual_tables(conn: Connection) -> tuple[str, ...]:
    """SQLite virtual tables (FTS5 search): made by raw SQL in a migration, not models."""
    if conn.dialect.name != "sqlite":
        return ()
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
    )
    return tuple(row[0] for row in rows)


def test_head_schema_matches_the_models(db_engine: Engine) -> None:
    assert models.Sample.__table__ is not None  # the models are registered on Base
    with db_engine.connect() as conn:
        # A virtual table, its shadow tables (`<name>_data`, ...) and the tables that
        # keep it in step (`<name>_state`) share its name as a prefix.
        raw_sql_prefixes = _virtual_tables(conn)

        def include_object(
            obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
        ) -> bool:
            if type_ == "table" and name and name.startswith(raw_sql_prefixes):
                return False
            return models.compared_on(conn.dialect.name, type_, name)

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    dialect = db_engine.dialect.name
    assert diff == [], f"the migrations and the models differ on {dialect}: " + "\n".join(
        map(str, diff)
    )
    assert current_revision(db_engine) == head_revision()


def test_sample_and_review_round_trip(db_engine: Engine) -> None:
    # Given in UTC+2: stored and returned as the same instant, in UTC.
    captured = datetime(2026, 3, 29, 3, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Résumé en 3 mots ? 日本語も"},
    ]
    segments = {"region": "eu", "plan": {"tier": "pro", "seats": 12}, "beta": True}
    with session_scope(db_engine) as session:
        batch = models.Batch(
            source="support-bot",
            file_name="day1.jsonl",
            file_sha256="0" * 64,
            format="jsonl",
            shape="chat",
            mapping={"output": "response.text"},
        )
        session.add(batch)
        session.flush()
        sample = models.Sample(
            batch_id=batch.id,
            source="support-bot",
            external_id="ext-1",
            content_hash="c" * 32,
            captured_at=captured,
            input_text="Résumé en 3 mots ?",
            input_messages=messages,
            output="Court, clair, utile.",
            score=0.25,
            segments=segments,
        )
        session.add(sample)
        session.flush()
        review = models.Review(
            sample_id=sample.id,
            reviewer="ada",
            verdict=models.Verdict.BAD.value,
            rating=2,
            categories=["tone", "factuality"],
            note="too terse",
        )
        session.add(review)
        session.flush()
        sample_id, review_id = sample.id, review.id

    with session_scope(db_engine) as session:
        sample = session.execute(
            select(models.Sample).where(models.Sample.id == sample_id)
        ).scalar_one()
        review = session.get_one(models.Review, review_id)
        assert isinstance(sample.id, uuid.UUID)
        assert sample.id.version == 7
        assert sample.captured_at == captured
        assert sample.captured_at is not None
        assert sample.captured_at.tzinfo == UTC
        assert sample.captured_at.hour == 1
        assert sample.input_messages == messages
        assert sample.segments == segments
        assert sample.created_at.tzinfo == UTC
        assert review.sample_id == sample_id
        assert review.categories == ["tone", "factuality"]
        assert review.verdict == "bad"
        assert review.updated_at.tzinfo == UTC
        assert abs(review.updated_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as session:
        session.add(models.SourceMapping(source="s", mapping={}, updated_at=datetime(2026, 1, 1)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[str]:
    """The -wal/-shm/-journal files SQLite would leave next to `path`."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


def test_a_newer_store_is_refused_and_left_byte_identical(store_path: Path) -> None:
    conn = sqlite3.connect(store_path)
    try:
        with conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (FUTURE_REVISION,))
    finally:
        conn.close()
    assert _sidecars(store_path) == []
    before = _sha256(store_path)

    with pytest.raises(SchemaTooNewError) as caught:
        open_local_store(store_path)

    assert str(store_path) in str(caught.value)
    assert FUTURE_REVISION in str(caught.value)
    assert _sha256(store_path) == before, "refusing the store changed its bytes"
    assert _sidecars(store_path) == [], "refusing the store left SQLite files beside it"


def test_a_newer_shared_database_is_refused(pg_engine: Engine) -> None:
    with pg_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE_REVISION})
    with pytest.raises(SchemaTooNewError, match="newer Redline"):
        upgrade(pg_engine, where="shared")
    assert current_revision(pg_engine) == FUTURE_REVISION


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("These are my notes, not a database.\n" * 200, encoding="utf-8")
    before = _sha256(path)

    with pytest.raises(RedlineError) as caught:
        open_local_store(path)

    assert not isinstance(caught.value, SchemaTooNewError)
    assert caught.value.where == str(path)
    assert str(path) in str(caught.value)
    assert _sha256(path) == before
    assert _sidecars(path) == []


def test_an_sqlite_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other-app.db"
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("CREATE TABLE bookmarks (url TEXT)")
            conn.execute("INSERT INTO bookmarks VALUES ('https://example.org')")
    finally:
        conn.close()
    before = _sha256(path)

    with pytest.raises(RedlineError, match="not a Redline store") as caught:
        open_local_store(path)

    assert caught.value.where == str(path)
    assert str(path) in str(caught.value)
    assert _sha256(path) == before
    assert _sidecars(path) == []


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    path.touch()
    engine = open_local_store(path)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _sample_indexes(conn: Connection) -> set[str]:
    return {str(ix["name"]) for ix in inspect(conn).get_indexes("sample")}


def test_local_only_sample_indexes_exist_only_in_local_stores(db_engine: Engine) -> None:
    """The shared database skips the review queue's indexes (every pushed sample paid for
    them); 0005's downgrade puts them back and its upgrade drops them again."""
    on_postgresql = db_engine.dialect.name == "postgresql"
    with db_engine.connect() as conn:
        indexes = _sample_indexes(conn)
    assert "ix_sample_seq" in indexes  # pull reads by the change sequence
    assert models.LOCAL_ONLY_INDEXES.isdisjoint(indexes) == on_postgresql
    assert indexes >= models.LOCAL_ONLY_INDEXES or on_postgresql

    config = alembic_config()
    with db_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
        assert _sample_indexes(conn) >= models.LOCAL_ONLY_INDEXES
        assert "target_verdict" not in {c["name"] for c in inspect(conn).get_columns("policy")}
        command.upgrade(config, "head")
    with db_engine.connect() as conn:
        assert models.LOCAL_ONLY_INDEXES.isdisjoint(_sample_indexes(conn)) == on_postgresql
