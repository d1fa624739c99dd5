"""The sample rows of an import: what the record loop makes, and the statement writing them.

The record loop (in the worker process of a big import) makes one tuple per sample
holding only the values that can differ between its samples. The INSERT carries the
rest as literals: the import's constants (batch, source, creation time, revision...)
and NULL for the fields the mapping leaves unmapped. The writer is the bottleneck of a
big import, and every value it binds costs it (a None most: the driver looks for an
adapter for it), so a third fewer values is a third less binding.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from redline.ingest.language import guess_input_language
from redline.ingest.mapping import MappedRecord, Mapper
from redline.store.base import uuid7_hex
from redline.store.bulk import SAMPLE_COLUMNS, sqlite_json, sqlite_time

CONSTANT_COLUMNS = ("created_at", "updated_at", "revision", "seq", "dirty", "batch_id", "source")
"""Columns with one value for every row a writer commits at once."""

RECORD_COLUMNS = tuple(column for column in SAMPLE_COLUMNS if column not in CONSTANT_COLUMNS)
"""Columns with a value per record, in the order SampleRows.row makes them."""

_NEVER_DROPPED = frozenset({"external_id", "language"})
"""A record without an id gets its content hash, one without a language a guess."""


def record_columns(mapper: Mapper) -> tuple[str, ...]:
    """The columns the rows carry under this mapping (the others are NULL in every row).

    MappedRecord's fields are named like the columns they fill.
    """
    dropped = mapper.always_none() - _NEVER_DROPPED
    return tuple(column for column in RECORD_COLUMNS if column not in dropped)


_NARROWED = ("system_prompt", "input_messages")
"""Columns a narrow row leaves out: None in most flat records (see SampleRows.row)."""


class SampleRows:
    """Makes the rows of one import's records (the record loop's hot path).

    A row holds the values of `columns`, or of `narrow_columns` when its record has
    neither a system prompt nor chat messages (most flat records): the writer then
    binds two Nones fewer per row. `finish` hands over a chunk's rows in one layout.
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        unknown = set(self.columns) - set(RECORD_COLUMNS)
        assert not unknown, f"not record columns: {unknown}"
        assert all(column in self.columns for column in _NARROWED)
        self.narrow_columns = tuple(c for c in self.columns if c not in _NARROWED)
        self._pick = (
            None
            if self.columns == RECORD_COLUMNS
            else itemgetter(*(RECORD_COLUMNS.index(column) for column in self.columns))
        )
        self._narrow = itemgetter(*(RECORD_COLUMNS.index(c) for c in self.narrow_columns))
        # Where a narrow row's values go in a wide one (before and after each gap).
        first, second = (self.columns.index(column) for column in _NARROWED)
        self._gaps = (first, second - 1)
        self._ids = _Uuid7s()
        self._wide = False

    def row(self, record: MappedRecord, key: str, probability: float) -> tuple[Any, ...]:
        # Once per imported record: conversions are inlined rather than called.
        language, guessed = record.language, 0
        if language is None:
            # The input's own language only: a short input never takes the answer's.
            language = guess_input_language(record.input_text, record.input_messages)
            guessed = 0 if language is None else 1
        captured, messages, segments = record.captured_at, record.input_messages, record.segments
        system = record.system_prompt
        copied, edited, follow_up = (
            record.signal_copied, record.signal_edited, record.signal_follow_up
        )  # fmt: skip
        row = (
            self._ids.next(), key, record.content_hash(),
            None if captured is None else _time_text(captured),
            record.model, record.prompt_name, record.prompt_version, record.variant,
            record.session_id, system, record.input_text,
            None if messages is None else sqlite_json(messages),
            record.output, record.score, record.decision, record.latency_ms, record.tokens_in,
            record.tokens_out, language, guessed,
            None if segments is None else sqlite_json(segments),
            None if copied is None else int(copied),
            None if edited is None else int(edited),
            None if follow_up is None else int(follow_up),
            record.signal_thumbs, probability,
        )  # fmt: skip
        if system is None and messages is None:
            return self._narrow(row)  # type: ignore[no-any-return]
        self._wide = True
        return row if self._pick is None else self._pick(row)

    def finish(self, rows: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], tuple[str, ...]]:
        """`rows` (made by `row` since the last finish) in one layout, and its columns."""
        if not self._wide:
            return rows, self.narrow_columns
        self._wide = False
        narrow, (first, second) = len(self.narrow_columns), self._gaps
        return [
            row
            if len(row) != narrow
            else (*row[:first], None, *row[first:second], None, *row[second:])
            for row in rows
        ], self.columns


_TIME_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _time_text(value: datetime) -> str:
    """bulk.sqlite_time's text, at a third of its cost (isoformat is slow)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return _TIME_TEXT % (
        value.year, value.month, value.day,
        value.hour, value.minute, value.second, value.microsecond,
    )  # fmt: skip


class _Uuid7s:
    """UUIDv7 ids as 32 hex digits, like store.base.uuid7_hex, made a block at a time.

    A block starts at the store's clock and counts up in the RFC's monotonic counter
    (rand_a, carrying into the milliseconds), each id with its own random bits: the
    ids still sort in creation order and never collide, at a quarter of the cost of a
    clock read and a lock per id.
    """

    BLOCK = 1024
    _FIXED = (0x7 << 76) | (0b10 << 62)  # version 7, RFC 9562 variant

    def __init__(self) -> None:
        self._block: list[str] = []
        self._bits = random.Random(os.urandom(32)).getrandbits
        self._last = 0

    def next(self) -> str:
        if not self._block:
            self._block = self._make(self.BLOCK)
        return self._block.pop()

    def _make(self, count: int) -> list[str]:
        clock = int(uuid7_hex(), 16)
        # (milliseconds << 12 | counter), after every id this object made before.
        first = max((clock >> 80 << 12) | ((clock >> 64) & 0xFFF), self._last + 1)
        self._last = first + count - 1
        fixed, bits = self._FIXED, self._bits
        ids = [
            ((stamp >> 12 << 80) | ((stamp & 0xFFF) << 64) | fixed | bits(62)).to_bytes(16).hex()
            for stamp in range(self._last, first - 1, -1)
        ]
        return ids  # the newest first: next() pops from the end


def insert_statement(columns: Sequence[str], *, now: datetime, batch_hex: str, source: str) -> str:
    """INSERT of rows holding `columns` (in SAMPLE_COLUMNS order), for one batch.

    `now` is the rows' creation time. Rows whose (source, external_id) exists already
    are skipped: that is what makes a re-import add nothing.
    """
    created = sqlite_time(now)
    constants: dict[str, str | int | None] = {
        "created_at": created,
        "updated_at": created,
        "revision": 1,
        "seq": None,
        "dirty": 1,
        "batch_id": batch_hex,
        "source": source,
    }
    carried = set(columns)
    values = [
        _literal(constants[column])
        if column in constants
        else ("?" if column in carried else "NULL")
        for column in SAMPLE_COLUMNS
    ]
    return (
        f"INSERT INTO sample ({', '.join(SAMPLE_COLUMNS)}) VALUES ({', '.join(values)}) "
        "ON CONFLICT (source, external_id) DO NOTHING"
    )


def insert_rows(conn: Connection, statement: str, rows: Sequence[tuple[Any, ...]]) -> int:
    """Run an insert_statement for `rows` in the connection's transaction; how many were new."""
    if not rows:
        return 0
    # Straight to the driver's cursor (see bulk.insert_samples).
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(statement, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _literal(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    # Statement text cannot hold a NUL: splice it in as char(0).
    return " || char(0) || ".join("'" + part.replace("'", "''") + "'" for part in value.split("\0"))
