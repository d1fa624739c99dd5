"""The declarative base shared by every model, and the column types we need on both
SQLite and PostgreSQL.

- Keys are UUIDv7 (time-ordered), generated on the client so offline rows never collide
  and new rows append to the primary-key index instead of scattering over it.
- Timestamps are timezone-aware UTC: SQLite has no time zones, so `UtcDateTime`
  stores naive UTC and hands back aware values.
- JSON is JSONB on PostgreSQL (indexable, compact) and JSON text on SQLite.
- Constraint names follow a convention: Alembic's batch mode on SQLite needs names to
  alter a table, and named constraints make error messages readable.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData, TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase
from typing_extensions import override

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _Uuid7Clock:
    """The last (millisecond << 12 | counter) handed out, shared by all threads."""

    lock = threading.Lock()
    last = 0
    # Ids need uniqueness, not secrecy: a PRNG seeded from the OS is 30x faster than a
    # urandom syscall per id, and imports make a million of them.
    random = random.Random(os.urandom(32))


def _uuid7_int() -> int:
    with _Uuid7Clock.lock:
        now = time.time_ns() // 1_000_000 << 12
        _Uuid7Clock.last = now if now > _Uuid7Clock.last else _Uuid7Clock.last + 1
        stamp = _Uuid7Clock.last
        rand_b = _Uuid7Clock.random.getrandbits(62)
    ms, counter = stamp >> 12, stamp & 0xFFF
    return (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand_b


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits.

    Within one millisecond the 12-bit `rand_a` field counts up (method 1 of the RFC,
    monotonic counter; on overflow the count carries into the milliseconds), so ids
    made in a burst still sort in creation order.
    """
    return uuid.UUID(int=_uuid7_int())


def uuid7_hex() -> str:
    """A UUIDv7 as 32 hex digits (how SQLite stores a Uuid), without building a UUID."""
    return f"{_uuid7_int():032x}"


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Redline stores only aware UTC times")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store naive UTC, re-attach UTC on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonType = JSON().with_variant(postgresql.JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for sequences.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base of every Redline table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
        list[str]: JsonType,
    }
