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
  over corrections); samples are indexed in chunks by
  `redline.store.search.ensure_search_index`, never by a trigger on insert, which would
  multiply import time.

These queries are SQLite-only on purpose (rowid, FTS5): the queue always runs on the
local store, also when the team shares a PostgreSQL database.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from redline.progress import NO_PROGRESS, Cancelled, Progress, check
from redline.review.types import (
    SORT_COLUMNS,
    QueueFilter,
    QueueSort,
    SampleRow,
    Verdict,
)
from redline.store.driver import sqlite_connection

__all__ = [
    "FIRST_PAGE",
    "PAGE_SIZE",
    "PREVIEW_CHARS",
    "QUEUE_INDEX_COLUMNS",
    "VERDICT_REVIEW",
    "RowIds",
    "cjk_words",
    "distinct_models",
    "first_page",
    "fts_query",
    "load_rows",
    "load_rows_if_readable",
    "rowids_of",
    "snapshot",
]

PAGE_SIZE = 200
FIRST_PAGE = 100
PREVIEW_CHARS = 120

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
    # No index leads with model: ties in queue-index order let first_page read each
    # model's rows straight from ix_sample_queue (see _model_head).
    "model": ("s.model", *(f"s.{c}" for c in QUEUE_INDEX_COLUMNS)),
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

# Whether review `{r}` is a verdict review: a review holding a pairwise choice and no
# verdict (redline.review.pairwise) judged two outputs against each other, not this
# sample, so the sample stays unreviewed for its reviewer (queue, status, progress).
# The same rule as `redline.review.service.ReviewService.progress`.
VERDICT_REVIEW = "({r}.verdict IS NOT NULL OR {r}.preference IS NULL)"

# The rowids of the samples the current reviewer reviewed (restricted further by a
# condition on `r`); reviews are few, and each is one probe of the sample primary key.
# A tombstone (deleted: an undone first submit) is no review, nor a pairwise choice alone.
_MINE = (
    "SELECT s2.rowid FROM review r JOIN sample s2 ON s2.id = r.sample_id "
    f"WHERE r.reviewer = :me AND r.deleted = 0 AND {VERDICT_REVIEW.format(r='r')}"
)
_CORRECTION_MATCHES = (
    "SELECT s3.rowid FROM review_fts "
    "JOIN review r3 ON r3.rowid = review_fts.rowid "
    "JOIN sample s3 ON s3.id = r3.sample_id "
    "WHERE review_fts MATCH :fts AND r3.deleted = 0"
)
_CORRECTION_CONTAINS = (
    "SELECT s4.rowid FROM review r4 JOIN sample s4 ON s4.id = r4.sample_id "
    "WHERE r4.deleted = 0 AND instr(r4.correction, :cjk{n}) > 0"
)
_MATCHES = f"SELECT rowid FROM sample_fts WHERE sample_fts MATCH :fts UNION {_CORRECTION_MATCHES}"


# Han, kana and hangul: written without spaces, so FTS5's unicode61 tokenizer indexes a
# whole run of them as one token and a word inside the run is never found. Such words
# are matched as substrings instead (a scan; a trigram index would need a migration).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def cjk_words(text: str) -> list[str]:
    """The words of `text` in a script written without spaces (matched as substrings)."""
    return [w for w in re.findall(r"\w+", text) if _CJK.search(w)]


def fts_query(text: str) -> str:
    """The FTS5 query for what a user typed: every word must occur, the last as a prefix.

    Words are quoted, so FTS5 operators and punctuation in the text are taken literally.
    Returns "" when the text has no word for the index (CJK words: see `cjk_words`).
    """
    words = [w for w in re.findall(r"\w+", text) if not _CJK.search(w)]
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
            # Overlap (redline.quality.overlap): a batch may ask for k >= 2 reviewers per
            # sample; its samples leave every queue once k people reviewed them
            # (adjudications and tombstones do not count). The NOT EXISTS is uncorrelated,
            # so SQLite runs it once; with no such batch (k = 1, the default) the NOT IN
            # set is never built and the plan stays the covering-index scan. CROSS JOIN
            # keeps the reviews (few) driving, read in sample_id order: no sort step.
            clauses.append(
                "(NOT EXISTS (SELECT 1 FROM batch WHERE reviewers_per_sample > 1)"
                " OR s.rowid NOT IN (SELECT s5.rowid FROM review r5"
                " CROSS JOIN sample s5 ON s5.id = r5.sample_id"
                " CROSS JOIN batch b5 ON b5.id = s5.batch_id"
                " WHERE b5.reviewers_per_sample > 1 AND r5.deleted = 0 AND r5.adjudicated = 0"
                f" AND {VERDICT_REVIEW.format(r='r5')}"
                " GROUP BY r5.sample_id HAVING count(*) >= max(b5.reviewers_per_sample)))"
            )
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
    for n, word in enumerate(cjk_words(filter.text)):
        clauses.append(
            f"(instr(s.input_text, :cjk{n}) > 0 OR instr(s.output, :cjk{n}) > 0 "
            f"OR s.rowid IN ({_CORRECTION_CONTAINS.format(n=n)}))"
        )
        params[f"cjk{n}"] = word
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


def snapshot(
    engine: Engine,
    filter: QueueFilter,
    sort: QueueSort,
    reviewer: str,
    progress: Progress = NO_PROGRESS,
) -> RowIds:
    """The rowids of every sample matching `filter`, in `sort` order (ties: rowid).

    Up to a second or two on a million samples: run it in a background task; a cancel
    through `progress` stops the query itself (raises `Cancelled`), so a snapshot
    superseded by the next filter change stops costing CPU and memory at once. It only
    reads: a text filter finds the samples already in the search index, so after an
    import run `redline.store.search.ensure_search_index` (on the writer) and then take
    the snapshot again.
    """
    check(progress)
    sql, params = _queue_sql(filter, sort, reviewer)
    with sqlite_connection(engine) as conn:
        # SQLite calls this every N virtual-machine steps; True interrupts the query.
        conn.set_progress_handler(progress.cancelled, 50_000)
        try:
            return _rowids(conn, sql, params)
        except sqlite3.OperationalError as exc:
            if progress.cancelled():
                raise Cancelled from exc
            raise
        finally:
            conn.set_progress_handler(None, 0)


def _rowids(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> RowIds:
    # SQLite joins the rowids into one text (in C, without the GIL) and numpy parses it:
    # 2-3x faster than a Python row per sample, and the GUI thread keeps the GIL. The
    # ordered subquery is not flattened into an aggregate, so the text keeps its order.
    (text,) = conn.execute(f"SELECT group_concat(rowid) FROM ({sql})", params).fetchone()
    if not text:
        return np.empty(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def first_page(
    engine: Engine,
    filter: QueueFilter,
    sort: QueueSort,
    reviewer: str,
    limit: int = FIRST_PAGE,
) -> RowIds:
    """The head (`limit` rowids) of `snapshot(engine, filter, sort, reviewer)`, fast.

    For the queue to show rows at once after a filter change while the snapshot builds.
    Like the snapshot it searches what is already indexed.
    """
    with sqlite_connection(engine) as conn:
        if fts_query(filter.text) and not cjk_words(filter.text):
            head = _text_head(conn, filter, sort, reviewer, limit)
            if head is not None:
                return head
        elif sort.column == "model":
            return _model_head(conn, engine, filter, sort, reviewer=reviewer, limit=limit)
        sql, params = _queue_sql(filter, sort, reviewer)
        params["limit"] = limit
        cursor = conn.execute(sql + " LIMIT :limit", params)
        return np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64)


def _model_head(
    conn: sqlite3.Connection,
    engine: Engine,
    filter: QueueFilter,
    sort: QueueSort,
    *,
    reviewer: str,
    limit: int,
) -> RowIds:
    """The head of a model-sorted queue without sorting the whole store.

    No index leads with model, so `ORDER BY model LIMIT n` sorts every sample (a
    quarter of a second at a million). Models are few: take each one's rows in queue
    index order, model by model, until the page is full.
    """
    where, params = _where(filter, reviewer, in_queue_index=True)
    where += " AND " if where else " WHERE "
    direction = " DESC" if sort.descending else ""
    order = ", ".join(f"s.{c}{direction}" for c in (*QUEUE_INDEX_COLUMNS, "rowid"))
    # SQLite sorts NULL first, ascending.
    models = sorted(distinct_models(engine), key=lambda m: (m is not None, m or ""))
    head: list[int] = []
    for model in reversed(models) if sort.descending else models:
        if len(head) >= limit:
            break
        clause = "s.model IS NULL" if model is None else "+s.model = :sort_model"
        rows = conn.execute(
            f"SELECT s.rowid FROM sample s{where}{clause} ORDER BY {order} LIMIT :limit",
            {**params, "sort_model": model, "limit": limit - len(head)},
        )
        head.extend(r for (r,) in rows)
    return np.array(head, dtype=np.int64)


# (database, newest rowid) -> the models of its samples. Samples are only ever added
# (an import raises the newest rowid) or, rarely, deleted (a model left over finds
# no rows), so this is never wrong for long.
_MODELS: dict[tuple[str, int], tuple[str | None, ...]] = {}


def distinct_models(engine: Engine) -> tuple[str | None, ...]:
    """The models the store's samples name (None for samples without one); cached."""
    with sqlite_connection(engine) as conn:
        (newest,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM sample").fetchone()
        key = (str(engine.url.database), int(newest))
        cached = _MODELS.get(key)
        if cached is None:
            cached = tuple(m for (m,) in conn.execute("SELECT DISTINCT model FROM sample"))
            _MODELS.clear()
            _MODELS[key] = cached
        return cached


# Rows of the queue (without its text filter) the search head tests before giving up.
_HEAD_CANDIDATES = 4000


def _text_head(
    conn: sqlite3.Connection, filter: QueueFilter, sort: QueueSort, reviewer: str, limit: int
) -> RowIds | None:
    """The head of a text-filtered queue when its words are common, else None.

    `rowid IN (every match)` costs a second or more for a word in half the samples: the
    matches are all collected before the first row comes. Instead take the first rows
    of the queue without the text filter and test their texts directly (`_probe`); if
    its first chunk says the words are rare among them, ask the index for the matches
    in their rowid range instead (one bounded scan; narrow, as import order follows
    time). Exact: every candidate is tested, in order. Rare words leave too few hits
    among the candidates: None, and the caller runs the plain query, which is fast for
    them.
    """
    sql, params = _queue_sql(replace(filter, text=""), sort, reviewer)
    params["limit"] = _HEAD_CANDIDATES
    candidates = [r for (r,) in conn.execute(sql + " LIMIT :limit", params)]
    if not candidates:
        return np.empty(0, dtype=np.int64)
    fts = fts_query(filter.text)
    corrected = {r for (r,) in conn.execute(_CORRECTION_MATCHES, {"fts": fts})}
    head = _probe(conn, candidates, fts, corrected, limit)
    if head is None:
        # Rare among the candidates: the index finds them in their rowid range.
        expanded = _expand_prefix(conn, filter.text)
        matches: set[int] = set()  # expanded == "": the last word starts no indexed word
        if expanded != "":
            matches.update(
                r
                for (r,) in conn.execute(
                    "SELECT rowid FROM sample_fts WHERE sample_fts MATCH ? "
                    "AND rowid BETWEEN ? AND ?",
                    (expanded or fts, min(candidates), max(candidates)),
                )
            )
        matches |= corrected
        head = [r for r in candidates if r in matches][:limit]
    if len(head) < limit and len(candidates) == _HEAD_CANDIDATES:
        return None
    return np.array(head, dtype=np.int64)


# Candidates `_probe` indexes at a time: a page of hits usually needs one or two chunks.
_PROBE_CHUNK = 250
# The search index's tokenizer (migration 0002): the probe must split words the same way.
_TOKENIZE = "unicode61 remove_diacritics 2"


def _probe(
    conn: sqlite3.Connection,
    candidates: list[int],
    fts: str,
    corrected: set[int],
    limit: int,
) -> list[int] | None:
    """The first `limit` candidates (in their order) that `fts` matches in the input or
    output, or whose correction it matches (`corrected`); None when the first chunk's
    hits say the candidates hold too few for a page (the index finds rare words faster).

    A short prefix ("ka") starts thousands of indexed words, and FTS5 (no prefix index)
    merges the posting lists of all of them before it answers, even for a few rowids: a
    second and more at a million samples; listing those words (fts5vocab) counts each
    one's rows, a tenth of a second more. Here each chunk of candidates is indexed on
    its own, in a temporary FTS5 table with the same tokenizer, and asked the same
    query: the answer the index gives for those rows, in milliseconds. Only samples
    already in the index are tested, as the snapshot finds only those.
    """
    (indexed,) = conn.execute("SELECT last_rowid FROM sample_fts_state WHERE id = 1").fetchone()
    # temp: this connection only, no schema change; the read-only engine may write it.
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.queue_probe "
        f"USING fts5(input_text, output, tokenize='{_TOKENIZE}')"
    )
    head: list[int] = []
    for start in range(0, len(candidates), _PROBE_CHUNK):
        chunk = candidates[start : start + _PROBE_CHUNK]
        conn.execute("DELETE FROM temp.queue_probe")
        conn.execute(
            "INSERT INTO temp.queue_probe (rowid, input_text, output) "
            "SELECT rowid, input_text, output FROM sample "
            "WHERE rowid IN (SELECT value FROM json_each(?)) AND rowid <= ?",
            (json.dumps(chunk), indexed),
        )
        hits = {r for (r,) in conn.execute("SELECT rowid FROM temp.queue_probe(?)", (fts,))}
        head.extend(r for r in chunk if r in hits or r in corrected)
        if len(head) >= limit:
            break
        if start == 0 and len(head) * len(candidates) < limit * len(chunk):
            conn.execute("DELETE FROM temp.queue_probe")
            return None
    conn.execute("DELETE FROM temp.queue_probe")
    return head[:limit]


# A prefix that expands to more indexed words than this is searched as a prefix.
MAX_PREFIX_TERMS = 200
# Words the index holds exactly as typed (lower case): ASCII letters and digits.
_PLAIN_WORD = re.compile(r"[a-z0-9]+")
# (database, highest indexed rowid, prefix) -> the indexed words it starts; the index
# only grows (ensure_search_index), and a grown index has a new key.
_PREFIX_TERMS: dict[tuple[str, int, str], tuple[str, ...]] = {}


def _expand_prefix(conn: sqlite3.Connection, text: str) -> str | None:
    """`fts_query(text)` with its last word's prefix spelled out as the indexed words it
    starts ('"w1" AND ("t1" OR "t2" ...)'); "" when it starts none; None to keep the
    prefix.

    FTS5 answers a prefix (without a prefix index) by merging the whole posting lists
    of every word it starts, even for matches in a rowid range: 60 ms for a common
    prefix at a million samples. The same words as exact terms are looked up within
    the range, a millisecond or two.
    """
    words = [w for w in re.findall(r"\w+", text) if not _CJK.search(w)]
    if not words:
        return None
    prefix = words[-1].lower()
    if not _PLAIN_WORD.fullmatch(prefix):
        # The tokenizer folds accents and splits at "_": such a word is left to FTS5.
        return None
    (indexed,) = conn.execute("SELECT last_rowid FROM sample_fts_state WHERE id = 1").fetchone()
    (database,) = [row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"]
    key = (str(database), int(indexed), prefix)
    terms = _PREFIX_TERMS.get(key)
    if terms is None:
        # A temporary fts5vocab table (this connection only; no schema change) lists
        # the index's words in order, so a prefix is a range of them.
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.sample_fts_words "
            "USING fts5vocab(main, 'sample_fts', 'row')"
        )
        found = conn.execute(
            "SELECT term FROM temp.sample_fts_words WHERE term >= ? AND term < ? LIMIT ?",
            (prefix, prefix + "\U0010ffff", MAX_PREFIX_TERMS + 1),
        )
        terms = tuple(term for (term,) in found)
        if len(_PREFIX_TERMS) > 64:
            _PREFIX_TERMS.clear()
        _PREFIX_TERMS[key] = terms
    if len(terms) > MAX_PREFIX_TERMS:
        return None
    if not terms:
        return ""
    spelled = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return " AND ".join([*(f'"{w}"' for w in words[:-1]), f"({spelled})"])


_ROWS_SQL = f"""
SELECT s.rowid, s.id, s.score, s.prompt_name, s.prompt_version, s.model, s.language,
       s.captured_at, substr(s.input_text, 1, {PREVIEW_CHARS * 2}),
       r.id, r.verdict, coalesce(r.correction, '') != '', coalesce(r.flagged, 0),
       EXISTS (SELECT 1 FROM review_draft d WHERE d.sample_id = s.id AND d.reviewer = :me)
FROM sample s
LEFT JOIN review r ON r.sample_id = s.id AND r.reviewer = :me AND r.deleted = 0
    AND {VERDICT_REVIEW.format(r="r")}
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
    with sqlite_connection(engine) as conn:
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
        has_draft,
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
            has_draft=bool(has_draft),
        )
    return [by_rowid[k] for k in keys if k in by_rowid]


def load_rows_if_readable(
    engine: Engine, rowids: npt.ArrayLike, reviewer: str
) -> list[SampleRow] | None:
    """`load_rows`, or None when the driver cannot read them now (the store locked or
    busy): for a caller with a fallback, such as a submit that already committed and
    leaves the queue to read its row later."""
    try:
        return load_rows(engine, rowids, reviewer)
    except sqlite3.Error:
        return None


def rowids_of(engine: Engine, sample_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The rowid of each sample id that exists (to map `Changes` onto queue rows)."""
    if not sample_ids:
        return {}
    with sqlite_connection(engine) as conn:
        found = conn.execute(
            "SELECT id, rowid FROM sample WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([i.hex for i in sample_ids]),),
        ).fetchall()
    return {uuid.UUID(hex=sample_id): rowid for sample_id, rowid in found}


def newest_draft_rowid(engine: Engine, reviewer: str) -> int | None:
    """The queue rowid of the sample `reviewer` last saved a draft of; None without drafts."""
    with sqlite_connection(engine) as conn:
        found = conn.execute(
            "SELECT s.rowid FROM review_draft d JOIN sample s ON s.id = d.sample_id "
            "WHERE d.reviewer = ? ORDER BY d.updated_at DESC LIMIT 1",
            (reviewer,),
        ).fetchone()
    return None if found is None else int(found[0])
