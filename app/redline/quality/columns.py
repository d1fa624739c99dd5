"""Read a query's result as columns of plain values, fast, on SQLite and PostgreSQL.

The quality analyses read ~250,000 reviews and their samples at once. Through the ORM
each value goes through a result processor row by row (a regular expression per
timestamp, `json.loads` per JSON cell, a `uuid.UUID` per id); most of the load time was
spent there, not in the database. Here the selected columns are coerced to a type with
no result processing, so the driver's values come through untouched as tuples, and are
decoded once per column: ids and JSON through a cache (few distinct values repeat a
lot: a sample's id in each of its reviews, the same categories and segments), times by
pandas in one vectorised call.

The driver's values differ by dialect (SQLite gives hex text, JSON text, "YYYY-MM-DD
HH:MM:SS.ffffff" and 0/1; psycopg gives `uuid.UUID`, parsed JSON, datetimes and bools);
the decoders accept both.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, ColumnExpressionArgument, Engine, Select, type_coerce
from sqlalchemy.types import NullType

from redline.progress import Progress, check

__all__ = [
    "CHUNK",
    "Decoder",
    "IdCache",
    "JsonCache",
    "as_read",
    "flags",
    "json_lists",
    "json_values",
    "optional_flags",
    "read_columns",
    "timestamps",
    "uuids",
]

CHUNK = 5000


def as_read(column: ColumnExpressionArgument[Any]) -> ColumnElement[Any]:
    """`column` selected as the driver returns it (no result processing)."""
    return type_coerce(column, NullType())


Decoder = Callable[[Sequence[Any]], list[Any]]


def read_columns(
    engine: Engine,
    query: Select[Any],
    names: Sequence[str],
    progress: Progress,
    text: str,
    *,
    decoders: Mapping[str, Decoder] | None = None,
) -> dict[str, list[Any]]:
    """The result of `query` as one list per selected column (by `names`), read in
    chunks; `decoders` convert a column's values chunk by chunk, so progress is reported
    and cancel checked between chunks of both the reading and the decoding."""
    decoders = decoders or {}
    columns: dict[str, list[Any]] = {name: [] for name in names}
    count = 0
    # yield_per streams (a server-side cursor on PostgreSQL) instead of buffering all;
    # the result is closed even when cancelled mid-way.
    with (
        engine.connect() as conn,
        conn.execution_options(yield_per=CHUNK).execute(query) as result,
    ):
        for chunk in result.partitions():
            for name, values in zip(names, zip(*chunk, strict=True), strict=True):
                decode = decoders.get(name)
                columns[name].extend(values if decode is None else decode(values))
            count += len(chunk)
            progress.update(count, 0, f"{text}: {count:,}")
            check(progress)
    return columns


IdCache = dict[Any, "uuid.UUID | None"]


def uuids(values: Sequence[Any], cache: IdCache | None = None) -> list[uuid.UUID | None]:
    """Ids from hex text (SQLite) or `uuid.UUID` (PostgreSQL); one object per distinct id.

    Pass the same `cache` when loading the reviews and then their samples: each id is
    then parsed once, not once per frame."""
    if cache is None:
        cache = {}
    cache.setdefault(None, None)
    out: list[uuid.UUID | None] = []
    for value in values:
        parsed = cache.get(value, _MISSING)
        if parsed is _MISSING:
            parsed = cache[value] = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
        out.append(parsed)
    return out


def timestamps(values: Sequence[Any]) -> pd.DatetimeIndex:
    """Aware UTC times (microseconds) from stored naive-UTC text (SQLite) or datetimes."""
    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return pd.DatetimeIndex(parsed).as_unit("us")


JsonCache = dict[str, Any]


def json_values(values: Sequence[Any], cache: JsonCache | None = None) -> list[Any]:
    """JSON cells as Python values: JSON text (SQLite) is parsed once per distinct text;
    already-parsed values (PostgreSQL JSONB) pass through. Lists and dicts are copied per
    row, so no two rows share a mutable value."""
    if cache is None:
        cache = {}
    out: list[Any] = []
    for cell in values:
        value = cell
        if isinstance(cell, str):
            value = cache.get(cell, _MISSING)
            if value is _MISSING:
                value = cache[cell] = json.loads(cell)
        if isinstance(value, list):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        out.append(value)
    return out


def json_lists(values: Sequence[Any], cache: JsonCache | None = None) -> list[list[Any]]:
    """JSON list cells as lists; NULL (or JSON null) is the empty list."""
    return [v or [] for v in json_values(values, cache)]


def flags(values: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A NOT NULL boolean column (0/1 on SQLite, bool on PostgreSQL)."""
    return np.array(values, dtype=bool)


def optional_flags(values: Sequence[Any]) -> list[bool | None]:
    """A nullable boolean column; NULL stays None."""
    try:
        # A dict lookup per value in C (True/False hash as 1/0): ~4x a comprehension.
        return list(map(_FLAG_VALUES.__getitem__, values))
    except KeyError:  # a value other than 0/1/NULL: truthiness, as SQLAlchemy would
        return [None if v is None else bool(v) for v in values]


_FLAG_VALUES: dict[Any, bool | None] = {None: None, 0: False, 1: True}


_MISSING: Any = object()
