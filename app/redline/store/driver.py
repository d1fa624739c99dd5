"""The sqlite3 connection under a local-store engine, for the few reads and writes where
SQLAlchemy's rows cost more than the work: the review queue's rowid snapshots and pages
(redline.review.queue) and the search index (redline.store.search)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from sqlalchemy import Engine

from redline.errors import RedlineError

__all__ = ["sqlite_connection"]


@contextmanager
def sqlite_connection(engine: Engine) -> Iterator[sqlite3.Connection]:
    """The sqlite3 connection itself: a million rowids through the driver's cursor cost a
    fraction of what they cost as SQLAlchemy rows. Our engines run it in autocommit mode,
    so each statement reads one consistent snapshot of its own."""
    if engine.dialect.name != "sqlite":
        raise RedlineError(
            f"the review queue runs on the local SQLite store, not on {engine.dialect.name}",
            hint="open the local store",
        )
    raw = engine.raw_connection()
    try:
        conn = cast(sqlite3.Connection, raw.driver_connection)
        # A queue read scans an index once: a big page cache buys nothing, and the
        # engine's 64 MB per connection, times the reads running at once, is most of
        # the app's peak memory at a million samples.
        conn.execute("PRAGMA cache_size = -8192")
        # Sorting a million rowids (a sort by model, score) spills to a temporary file
        # instead of growing the process by a hundred megabytes.
        conn.execute("PRAGMA temp_store = FILE")
        yield conn
    finally:
        raw.close()
