"""Sending one chunk of rows to the shared database: COPY into a temporary table, then
one INSERT ... SELECT with the conflict rule.

Why not an executemany of INSERT ... VALUES: SQLAlchemy renders a chunk as one statement
with thousands of placeholders, which the driver parses again for every chunk (a
different text each time); that parsing cost more than the server's work (measured by
bench/sync_bench.py: push 35x slower than a plain COPY). COPY streams the rows, and the
INSERT ... SELECT runs the triggers, row-level security and the revision guard on the
server as before, in the same transaction. (COPY straight into a shared table is not an
option: PostgreSQL refuses COPY FROM into a table with row-level security.)

The rows are read from the local store without converting them to Python objects
(`raw_columns`) and go to COPY as they are: the text forms SQLite keeps are ones
PostgreSQL reads (hex UUIDs, JSON text, 0/1 for booleans, naive UTC timestamps with the
transaction's zone set to UTC).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    and_,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import NullType


def push_columns(table: Table) -> list[str]:
    """The columns a push sends: all but the local `dirty` and the server's `seq`."""
    return [c.name for c in table.columns if c.name not in ("dirty", "seq")]


def raw_columns(table: Table) -> list[Any]:
    """The push columns, read as the local database stores them (no conversion to
    Python objects): hex ids, timestamp text, JSON text, 0/1 booleans. COPY takes those
    as they are, which saves most of the client's time on a large push."""
    return [type_coerce(table.c[n], NullType()).label(n) for n in push_columns(table)]


def _staged_name(table: Table) -> str:
    return f"redline_push_{table.name}"


def _staged(shared: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """A temporary table (dropped at commit) holding raw `rows`, streamed with COPY."""
    names = push_columns(table)
    quoted = ", ".join(f'"{n}"' for n in names)
    temp_name = _staged_name(table)
    # Local timestamps are naive UTC text: read them as UTC whatever the server's zone.
    shared.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    shared.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {temp_name} ON COMMIT DROP AS "
        f"SELECT {quoted} FROM {table.name} WITH NO DATA"
    )
    raw = shared.connection.driver_connection
    assert raw is not None
    sql = f"COPY {temp_name} ({quoted}) FROM STDIN"
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        # SQLAlchemy does not see COPY: give callers the same exceptions as for any
        # statement (a refusal, a lost connection), and drop a broken connection.
        lost = raw.broken or raw.closed
        if lost:
            shared.invalidate()
        raise DBAPIError.instance(
            sql, None, exc, psycopg.Error, connection_invalidated=lost
        ) from None


def _with_conflict_rule(
    stmt: Any, table: Table, *, insert_only: bool, hex_ids: bool = False
) -> Any:
    if insert_only:
        stmt = stmt.on_conflict_do_nothing()
    else:
        stored, incoming = table.c, stmt.excluded
        newer = or_(
            stored.revision < incoming.revision,
            and_(stored.revision == incoming.revision, stored.updated_at < incoming.updated_at),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={n: incoming[n] for n in push_columns(table) if n != "id"},
            where=newer,
        )
    # hex_ids: the id as the local store keeps it (no UUID objects for a large chunk).
    returned_id = (
        literal_column(f"replace({table.name}.id::text, '-', '')") if hex_ids else table.c.id
    )
    return stmt.returning(returned_id, table.c.revision, table.c.seq)


def stage_raw(shared: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """Send rows read with `raw_columns` to the transaction's temporary table (COPY; no
    lock on the shared tables yet). `insert_staged` then moves them to `table`, in the
    same transaction (the temporary table lives until its commit)."""
    _staged(shared, table, rows)


def insert_staged(
    shared: Connection, table: Table, *, insert_only: bool
) -> list[tuple[str, int, int]]:
    """Insert the staged rows into `table`; return (id as 32 hex digits, revision, seq)
    of those the server took.

    `insert_only`: rows that never change once written (samples, review history) are
    inserted when missing and otherwise left alone. Else an existing row is replaced only
    by a higher revision (or the same revision written later), so re-sending is harmless.
    """
    # As driver SQL (the statement has no parameters), and the RETURNING rows straight
    # from the driver's cursor (tuples of str, int, int): SQLAlchemy's rows for a large
    # chunk cost more than the server's work.
    result = shared.exec_driver_sql(_insert_from_staged_sql(table, insert_only))
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


@functools.cache
def _insert_from_staged_sql(table: Table, insert_only: bool) -> str:
    names = push_columns(table)
    staged = Table(_staged_name(table), MetaData(), *(Column(n, table.c[n].type) for n in names))
    # No Python-side defaults (dirty): the server's column defaults set `dirty` and `seq`,
    # and the statement stays free of parameters.
    stmt = postgresql.insert(table).from_select(
        names, select(*(staged.c[n] for n in names)), include_defaults=False
    )
    compiled = _with_conflict_rule(stmt, table, insert_only=insert_only, hex_ids=True).compile(
        dialect=postgresql.dialect()  # type: ignore[no-untyped-call]
    )
    assert not compiled.params, "the statement must carry no parameters"
    return str(compiled)


def push_typed(
    shared: Connection, table: Table, payload: list[dict[str, Any]], *, insert_only: bool
) -> list[tuple[uuid.UUID, int, int]]:
    """`push_raw` for a few rows of Python values (a batch row, one row at a time)."""
    if not payload:
        return []
    stmt = _with_conflict_rule(postgresql.insert(table), table, insert_only=insert_only)
    result = shared.execute(stmt, payload)
    return [(r[0], int(r[1]), int(r[2])) for r in result.all()]
