"""The rows an import writes: only the values that vary are bound, the rest are literals
in the statement. The store must read back exactly as if every value had been bound."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from tests.ingest.helpers import flat_record, samples, write_jsonl

from redline.ingest import rows, service
from redline.ingest.mapping import Mapper
from redline.ingest.service import import_file
from redline.store.bulk import sqlite_time
from redline.store.models import Sample
from redline.store.session import session_scope


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 10, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 10, 1, 12, 0, 0, 250, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 10, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2))),
    ],
)
def test_row_times_are_the_text_the_orm_writes(value: datetime) -> None:
    assert rows._time_text(value) == sqlite_time(value)


def test_ids_are_uuid7_in_creation_order_and_unique() -> None:
    ids = rows._Uuid7s()
    made = [ids.next() for _ in range(3 * rows._Uuid7s.BLOCK + 5)]

    assert made == sorted(made)
    assert len(set(made)) == len(made)
    parsed = [uuid.UUID(hex=text) for text in made]
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert all(text == u.hex for text, u in zip(made, parsed, strict=True))


def test_unmapped_fields_are_left_out_of_the_rows() -> None:
    columns = rows.record_columns(Mapper({"input": "q", "output": "a", "score": "s"}))

    assert {"score", "external_id", "language", "input_messages", "system_prompt"} <= set(columns)
    assert not {"decision", "model", "segments", "signal_edited"} & set(columns)
    assert not set(rows.CONSTANT_COLUMNS) & set(columns)


def _stored(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every column of every sample but its id, external id and times, by external id."""
    varying = {"id", "external_id", "created_at", "updated_at", "batch_id"}
    columns = [c for c in Sample.__table__.columns if c.name not in varying]
    with session_scope(engine) as session:
        result = session.execute(select(Sample.external_id, *columns))
        return {
            row[0]: dict(zip([c.name for c in columns], row[1:], strict=True)) for row in result
        }


def test_a_chunk_mixing_flat_and_chat_records_reads_back_like_single_ones(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records: list[Any] = [
        flat_record(1),
        {**flat_record(2), "system_prompt": "Be brief."},
        {**flat_record(3), "input": [{"role": "user", "content": "list input"}]},
        {**flat_record(4), "system_prompt": ""},
        flat_record(5, segments={"plan": "pro"}, decision="send", language=None),
    ]
    together = write_jsonl(tmp_path / "together.jsonl", records)
    import_file(together, engine=engine, source="s")
    mixed = _stored(engine)

    # The same records one per chunk (each chunk then has a single layout).
    monkeypatch.setattr(service, "CHUNK_RECORDS", 1)
    for i, record in enumerate(records):
        alone = write_jsonl(tmp_path / f"alone{i}.jsonl", [{**record, "id": f"alone-{i}"}])
        import_file(alone, engine=engine, source="s")
    single = _stored(engine)

    for i, record in enumerate(records):
        assert mixed[record["id"]] == single[f"alone-{i}"]
    assert mixed["r2"]["system_prompt"] == "Be brief."
    assert mixed["r3"]["input_messages"] == [{"role": "user", "content": "list input"}]
    assert mixed["r5"]["segments"] == {"plan": "pro"}
    assert mixed["r5"]["decision"] == "send"
    assert mixed["r5"]["language_guessed"] is True


@pytest.mark.parametrize("source", ["it's", "tab\there", "nul\0inside", "emoji 🚀"])
def test_any_source_name_is_stored_as_given_and_reimports_add_nothing(
    engine: Engine, tmp_path: Path, source: str
) -> None:
    data = write_jsonl(tmp_path / "t.jsonl", [flat_record(i) for i in range(3)])

    first = import_file(data, engine=engine, source=source)
    again = import_file(data, engine=engine, source=source)

    assert (first.imported, again.imported) == (3, 0)
    stored = samples(engine)
    assert {s.source for s in stored} == {source}
    assert all(s.dirty and s.revision == 1 and s.seq is None for s in stored)
    assert all(s.created_at == s.updated_at for s in stored)
