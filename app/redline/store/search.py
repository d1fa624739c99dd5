"""The local store's full-text search index (SQLite FTS5, migration 0002): how far it
reaches and filling it.

`sample_fts` indexes each sample's input and output; samples are added in chunks by
`ensure_search_index` (after an import, after a sync pulled samples), never by a trigger
on insert, which would multiply import time. `sample_fts_state.last_rowid` says how far
it reaches. The queries that read it are the review queue's (redline.review.queue).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine

from redline.errors import RedlineError
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.driver import sqlite_connection

__all__ = ["INDEX_CHUNK", "ensure_search_index", "search_backlog"]

# Samples indexed per transaction: small enough that a submit waiting for the write
# lock waits a fraction of a second, large enough that commits are not the cost.
INDEX_CHUNK = 10_000


def _search_state(conn: sqlite3.Connection) -> tuple[int, int]:
    """(highest indexed sample rowid, highest sample rowid)."""
    try:
        (indexed,) = conn.execute("SELECT last_rowid FROM sample_fts_state WHERE id = 1").fetchone()
    except sqlite3.OperationalError as exc:
        raise RedlineError(
            "this store has no search index (schema older than 0002)",
            hint="open it with redline.store.local.open_local_store, which upgrades it",
        ) from exc
    (newest,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM sample").fetchone()
    return int(indexed), int(newest)


def search_backlog(engine: Engine) -> int:
    """How many samples are not in the search index yet (0: search finds everything)."""
    with sqlite_connection(engine) as conn:
        indexed, newest = _search_state(conn)
        if newest <= indexed:
            return 0
        (count,) = conn.execute(
            "SELECT count(*) FROM sample WHERE rowid > ?", (indexed,)
        ).fetchone()
        return int(count)


def ensure_search_index(
    engine: Engine, progress: Progress = NO_PROGRESS, *, chunk: int = INDEX_CHUNK
) -> int:
    """Add the samples not yet in the full-text index; returns how many were added.

    Chunks of `chunk` samples, each one committed transaction, so a cancel (raises
    `Cancelled`) or a crash keeps what was done and the next call goes on from there.
    Cheap when there is nothing to do (two reads, no write lock). Needs the writer
    engine; the UI runs it in a background task after an import.
    """
    with sqlite_connection(engine) as conn:
        indexed, newest = _search_state(conn)
        if newest <= indexed:
            return 0
        (total,) = conn.execute(
            "SELECT count(*) FROM sample WHERE rowid > ?", (indexed,)
        ).fetchone()
        done = 0
        progress.update(0, total, "indexing samples for search")
        while True:
            check(progress)
            # IMMEDIATE: take the write lock before reading the state, so two indexers
            # (a background task and a search) never index the same rows twice.
            conn.execute("BEGIN IMMEDIATE")
            try:
                indexed, _ = _search_state(conn)
                (upper, count) = conn.execute(
                    "SELECT max(rowid), count(*) FROM "
                    "(SELECT rowid FROM sample WHERE rowid > ? ORDER BY rowid LIMIT ?)",
                    (indexed, chunk),
                ).fetchone()
                if upper is None:
                    conn.execute("COMMIT")
                    break
                conn.execute(
                    "INSERT INTO sample_fts (rowid, input_text, output) "
                    "SELECT rowid, input_text, output FROM sample WHERE rowid > ? AND rowid <= ?",
                    (indexed, upper),
                )
                conn.execute("UPDATE sample_fts_state SET last_rowid = ? WHERE id = 1", (upper,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            done += int(count)
            progress.update(done, max(total, done), "indexing samples for search")
        return done
