"""The reviewer's queue over the local SQLite store: rowid snapshots, pages, search.

The queue never holds samples, only their keys: the implicit SQLite rowid of `sample`
(an int64, 8 MB per million) in display order. The UI keeps that array and loads
200-row pages by rowid as they scroll into view (Anki's browser model).

Why the queries look the way they do, at a million samples:

- Every filter and the default order (captured_at) are answered by one covering index,
  `ix_sample_queue` (migration 0002), so a snapshot is an index-only scan that never
  reads the wide sample rows, and `first_page` stops after `limit` matches.
- "Reviewed by me" starts from the reviews, which are few: their sample rowids are
  collected once (a primary-key probe per review) into a set the scan tests against,
  instead of probing the reviews once per sample.
- Full-text search is SQLite FTS5 (`sample_fts` over input and output, `review_fts`
  over corrections); samples are indexed in chunks by `ensure_search_index`, never by
  a trigger on insert, which would multiply import time.

These queries are SQLite-only on purpose (rowid, FTS5): the queue always runs on the
local store, also when the team shares a PostgreSQL database.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from redline.errors import RedlineError
from redline.progress import NO_PROGRESS, Progress, check
from redline.review.types import (
    SORT_COLUMNS,
    QueueFilter,
    QueueSort,
    SampleRow,
    Verdict,
)

__all__ = [
    "FIRST_PAGE",
    "PAGE_SIZE",
    "PREVIEW_CHARS",
    "QUEUE_INDEX_COLUMNS",
    "RowIds",
    "ensure_search_index",
    "first_page",
    "fts_query",
    "load_rows",
    "rowids_of",
    "search_backlog",
    "snapshot",
]

PAGE_SIZE = 200
FIRST_PAGE = 100
PREVIEW_CHARS = 120
# Samples indexed per transaction: small enough that a submit waiting for the write
# lock waits a fraction of a second, large enough that commits are not the cost.
INDEX_CHUNK = 10_000

RowIds = npt.NDArray[np.int64]

# The columns of ix_sample_queue (migration 0002), in order. Sorting by captured_at
# sorts by all of them (then rowid, which every index ends with), so the index order
# *is* the queue order and SQLite needs no sort step, only a scan; ties in captured_at
# are broken by the other columns, still a total, repeatable order.
QUEUE_INDEX_COLUMNS = (
    "captured_at", "language", "model", "prompt_name", "prompt_version", "variant", "score",
    "signal_thumbs", "signal_copied", "signal_edited", "signal_follow_up", "batch_id",
)  # fmt: skip

_SORT_SQL: dict[str, tuple[str, ...]] = {
    "captured_at": tuple(f"s.{c}" for c in QUEUE_INDEX_COLUMNS),
    "score": ("s.score",),
    # ix_sample_prompt is (prompt_name, prompt_version): sort the way it is ordered.
    "prompt_version": ("s.prompt_name", "s.prompt_version"),
    "model": ("s.model",),
    "language": ("s.language",),
    "rowid": (),
}
assert set(_SORT_SQL) == set(SORT_COLUMNS), "SORT_COLUMNS and _SORT_SQL disagree"

_SIGNAL_SQL = {
    "copied": "{s}.signal_copied = 1",
    "edited": "{s}.signal_edited = 1",
    "follow_up": "{s}.signal_follow_up = 1",
    "thumbs_down": "{s}.signal_thumbs < 0",
    "thumbs_up": "{s}.signal_thumbs > 0",
}

# The rowids of the samples the current reviewer reviewed (restricted further by a
# condition on `r`); reviews are few, and each is one probe of the sample primary key.
_MINE = "SELECT s2.rowid FROM review r JOIN sample s2 ON s2.id = r.sample_id WHERE r.reviewer = :me"
_MATCHES = (
    "SELECT rowid FROM sample_fts WHERE sample_fts MATCH :fts "
    "UNION SELECT s3.rowid FROM review_fts "
    "JOIN review r3 ON r3.rowid = review_fts.rowid "
    "JOIN sample s3 ON s3.id = r3.sample_id "
    "WHERE review_fts MATCH :fts"
)


def fts_query(text: str) -> str:
    """The FTS5 query for what a user typed: every word must occur, the last as a prefix.

    Words are quoted, so FTS5 operators and punctuation in the text are taken literally.
    Returns "" when the text has no word at all.
    """
    words = re.findall(r"\w+", text)
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _where(
    filter: QueueFilter, reviewer: str, *, in_queue_index: bool
) -> tuple[str, dict[str, Any]]:
    # In captured_at order the scan of ix_sample_queue (which holds every filter column)
    # is the plan: it needs no sort and first_page stops after `limit` hits. The unary
    # "+" keeps SQLite from choosing a single-column index (ix_sample_language, ...)
    # for an equality instead, which would fetch every match and then sort them all.
    s = "+s" if in_queue_index else "s"
    clauses: list[str] = []
    params: dict[str, Any] = {"me": reviewer}
    match filter.status:
        case "all":
            pass
        case "unreviewed":
            clauses.append(f"s.rowid NOT IN ({_MINE})")
        case "reviewed_by_me":
            clauses.append(f"s.rowid IN ({_MINE})")
        case "flagged_bad":
            clauses.append(f"s.rowid IN ({_MINE} AND (r.flagged = 1 OR r.verdict = 'bad'))")
        case "has_correction":
            clauses.append(f"s.rowid IN ({_MINE} AND coalesce(r.correction, '') != '')")
        case _:
            raise ValueError(f"unknown queue status {filter.status!r}")
    for column, value in (
        ("prompt_name", filter.prompt_name),
        ("prompt_version", filter.prompt_version),
        ("model", filter.model),
        ("variant", filter.variant),
        ("language", filter.language),
    ):
        if value is not None:
            clauses.append(f"{s}.{column} = :{column}")
            params[column] = value
    if filter.score_min is not None:
        clauses.append(f"{s}.score >= :score_min")
        params["score_min"] = filter.score_min
    if filter.score_max is not None:
        clauses.append(f"{s}.score <= :score_max")
        params["score_max"] = filter.score_max
    if filter.batch_id is not None:
        clauses.append(f"{s}.batch_id = :batch_id")
        params["batch_id"] = filter.batch_id.hex  # Uuid is 32 hex digits on SQLite
    if filter.signal is not None:
        try:
            clauses.append(_SIGNAL_SQL[filter.signal].format(s=s))
        except KeyError:
            raise ValueError(f"unknown signal {filter.signal!r}") from None
    if filter.sample_ids is not None:
        # One JSON parameter, not thousands of bound variables (SQLite caps those).
        clauses.append("s.id IN (SELECT value FROM json_each(:sample_ids))")
        params["sample_ids"] = json.dumps(sorted(i.hex for i in filter.sample_ids))
    query = fts_query(filter.text)
    if query:
        clauses.append(f"s.rowid IN ({_MATCHES})")
        params["fts"] = query
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _order_by(sort: QueueSort) -> str:
    try:
        columns = _SORT_SQL[sort.column]
    except KeyError:
        raise ValueError(
            f"cannot sort the queue by {sort.column!r}; choose one of {', '.join(SORT_COLUMNS)}"
        ) from None
    direction = " DESC" if sort.descending else ""
    # rowid breaks ties, so the order is total and first_page is the snapshot's head.
    return " ORDER BY " + ", ".join(f"{c}{direction}" for c in (*columns, "s.rowid"))


def _queue_sql(filter: QueueFilter, sort: QueueSort, reviewer: str) -> tuple[str, dict[str, Any]]:
    where, params = _where(filter, reviewer, in_queue_index=sort.column == "captured_at")
    return f"SELECT s.rowid FROM sample s{where}{_order_by(sort)}", params


@contextmanager
def _driver(engine: Engine) -> Iterator[sqlite3.Connection]:
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
        yield cast(sqlite3.Connection, raw.driver_connection)
    finally:
        raw.close()


def _is_read_only(engine: Engine) -> bool:
    return engine.url.query.get("mode") == "ro"


def snapshot(engine: Engine, filter: QueueFilter, sort: QueueSort, reviewer: str) -> RowIds:
    """The rowids of every sample matching `filter`, in `sort` order (ties: rowid).

    Seconds at worst on a million samples: run it in a background task. A text filter
    first brings the search index up to date (`ensure_search_index`) unless the engine
    is read-only, in which case samples not indexed yet are not found.
    """
    if fts_query(filter.text) and not _is_read_only(engine):
        ensure_search_index(engine)
    sql, params = _queue_sql(filter, sort, reviewer)
    with _driver(engine) as conn:
        cursor = conn.execute(sql, params)
        return np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64)


def first_page(
    engine: Engine,
    filter: QueueFilter,
    sort: QueueSort,
    reviewer: str,
    limit: int = FIRST_PAGE,
) -> RowIds:
    """The head (`limit` rowids) of `snapshot(engine, filter, sort, reviewer)`, fast.

    For the queue to show rows at once after a filter change while the snapshot builds.
    It searches only what is already indexed (it never waits for the search index), so
    right after an import its head may differ from the snapshot's.
    """
    sql, params = _queue_sql(filter, sort, reviewer)
    params["limit"] = limit
    with _driver(engine) as conn:
        cursor = conn.execute(sql + " LIMIT :limit", params)
        return np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64)


_ROWS_SQL = f"""
SELECT s.rowid, s.id, s.score, s.prompt_name, s.prompt_version, s.model, s.language,
       s.captured_at, substr(s.input_text, 1, {PREVIEW_CHARS * 2}),
       r.id, r.verdict, coalesce(r.correction, '') != '', coalesce(r.flagged, 0)
FROM sample s
LEFT JOIN review r ON r.sample_id = s.id AND r.reviewer = :me
WHERE s.rowid IN (SELECT value FROM json_each(:rowids))
"""


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def _label(name: str | None, version: str | None) -> str:
    return " ".join(part for part in (name, version) if part)


def _time(value: str | None) -> datetime | None:
    # SQLAlchemy stores naive UTC text on SQLite (see redline.store.base.UtcDateTime).
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def load_rows(engine: Engine, rowids: npt.ArrayLike, reviewer: str) -> list[SampleRow]:
    """The queue rows for `rowids` (one query), in the same order; unknown rowids are
    left out. Status and verdict are the current reviewer's."""
    keys = [int(k) for k in np.asarray(rowids, dtype=np.int64).ravel()]
    if not keys:
        return []
    with _driver(engine) as conn:
        found = conn.execute(_ROWS_SQL, {"me": reviewer, "rowids": json.dumps(keys)}).fetchall()
    by_rowid: dict[int, SampleRow] = {}
    for (
        rowid,
        sample_id,
        score,
        prompt_name,
        prompt_version,
        model,
        language,
        captured_at,
        text,
        review_id,
        verdict,
        has_correction,
        flagged,
    ) in found:
        by_rowid[rowid] = SampleRow(
            rowid=rowid,
            id=uuid.UUID(hex=sample_id),
            status="reviewed" if review_id is not None else "unreviewed",
            verdict=Verdict(verdict) if verdict is not None else None,
            has_correction=bool(has_correction),
            flagged=bool(flagged),
            score=score,
            prompt_version=_label(prompt_name, prompt_version),
            model=model,
            language=language,
            captured_at=_time(captured_at),
            input_preview=_preview(text or ""),
        )
    return [by_rowid[k] for k in keys if k in by_rowid]


def rowids_of(engine: Engine, sample_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The rowid of each sample id that exists (to map `Changes` onto queue rows)."""
    if not sample_ids:
        return {}
    with _driver(engine) as conn:
        found = conn.execute(
            "SELECT id, rowid FROM sample WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([i.hex for i in sample_ids]),),
        ).fetchall()
    return {uuid.UUID(hex=sample_id): rowid for sample_id, rowid in found}


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
    with _driver(engine) as conn:
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
    with _driver(engine) as conn:
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
