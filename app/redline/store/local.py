"""Open the local store: one SQLite file, checked, migrated, ready."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from redline.store.bulk import restore_deferred_indexes
from redline.store.engine import sqlite_engine
from redline.store.migrate import check_not_newer, head_revision, inspect_sqlite_file, upgrade


def open_local_store(path: Path) -> Engine:
    """Open (creating or upgrading as needed) the local store at `path`.

    A file written by a newer Redline, or a file that is not a Redline store, raises
    RedlineError before a single byte of it is written.
    """
    revision = inspect_sqlite_file(path)
    check_not_newer(revision, str(path))
    engine = sqlite_engine(path)
    if revision != head_revision():
        upgrade(engine, where=str(path))
    # A big import drops these while it runs and builds them at its end; one that was
    # killed first left them out (see bulk.DEFERRED_INDEXES).
    restore_deferred_indexes(engine)
    return engine


def open_read_only(path: Path) -> Engine:
    """A read-only engine on an existing, current store (queue paging, reports)."""
    return sqlite_engine(path, read_only=True)
