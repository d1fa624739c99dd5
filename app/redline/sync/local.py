"""Applying shared rows to the local store, and the local side of push bookkeeping.

Every function here works inside one local transaction (a SQLAlchemy Connection on the
SQLite store) that the caller commits together with the pull cursor, so a crash either
keeps a whole page or none of it.

Conflict rules (DESIGN.md):
- samples are immutable: a pulled sample is inserted once; one that the same file's
  import already made locally under another id takes the shared id (`adopt_sample_ids`);
- reviews: higher revision wins, then later updated_at. A local revision that loses
  and was never taken by the server goes to review_history (reason "conflict", pushed
  like any history row), so nothing a reviewer wrote is dropped silently;
- everything else: the server's row wins unless the local row has unpushed changes at a
  higher revision (which the next push sends, and the server may still refuse).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, or_, select, update
from sqlalchemy.dialects import sqlite

from redline import clock
from redline.store.base import Base, uuid7
from redline.store.models import Review, ReviewHistory, Sample, SharedAuditEvent, SyncState

Row = dict[str, Any]


def model_table(model: type[Base]) -> Table:
    """The Core table of a model (typed as a Table, which mypy cannot infer)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


REVIEW = model_table(Review)
HISTORY = model_table(ReviewHistory)
SAMPLE = model_table(Sample)
STATE = model_table(SyncState)
SHARED_AUDIT = model_table(SharedAuditEvent)

# What a reviewer decided: two revisions with equal values are the same judgment (a
# pairwise review's choice and the sample it was compared with included).
_DECISION = (
    "verdict",
    "rating",
    "categories",
    "note",
    "correction",
    "flagged",
    "deleted",
    "compared_sample_id",
    "preference",
)
# What a kept revision copies from the review: every column the two tables share but
# the row's own bookkeeping, so a column a migration adds to both is kept too.
_KEPT = tuple(
    c.name
    for c in HISTORY.columns
    if c.name in REVIEW.c
    and c.name not in ("id", "created_at", "updated_at", "revision", "seq", "dirty", "device")
)


def _as_local(row: Mapping[str, Any]) -> Row:
    local = dict(row)
    local["dirty"] = False
    return local


def _guarded_upsert(conn: Connection, table: Table, rows: Sequence[Row], *, force: bool) -> None:
    """Insert or update by id; an existing local row is kept only when it has unpushed
    changes at a higher (or equal and later) revision, unless `force` (server decides)."""
    if not rows:
        return
    stmt = sqlite.insert(table)
    columns = [c.name for c in table.columns if c.name != "id"]
    local_newer = and_(
        table.c.dirty.is_(True),
        or_(
            table.c.revision > stmt.excluded.revision,
            and_(
                table.c.revision == stmt.excluded.revision,
                table.c.updated_at >= stmt.excluded.updated_at,
            ),
        ),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={name: stmt.excluded[name] for name in columns},
        where=None if force else ~local_newer,
    )
    conn.execute(stmt, [_as_local(r) for r in rows])


def apply_rows(conn: Connection, table: Table, rows: Sequence[Row], *, force: bool = False) -> None:
    """Apply pulled rows of any shared table but sample, review and review_history."""
    _guarded_upsert(conn, table, rows, force=force)


def apply_history(conn: Connection, rows: Sequence[Row]) -> None:
    """Kept revisions never change: insert the new ones, mark ours as seen by the server."""
    if not rows:
        return
    stmt = sqlite.insert(HISTORY).on_conflict_do_nothing()
    conn.execute(stmt, [_as_local(r) for r in rows])
    conn.execute(
        update(HISTORY)
        .where(HISTORY.c.id == bindparam("b_id"))
        .values(dirty=False, seq=bindparam("b_seq"), updated_at=HISTORY.c.updated_at),
        [{"b_id": r["id"], "b_seq": r["seq"]} for r in rows],
    )


def adopt_sample_ids(conn: Connection, mapping: Mapping[uuid.UUID, uuid.UUID]) -> None:
    """Give local samples the shared ids of the same records (same source and external
    id, imported on two machines), with everything that points at them."""
    if not mapping:
        return
    # The sample's id changes before the rows that refer to it: check the foreign keys
    # at commit, not per statement.
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    pairs = [(new.hex, old.hex) for old, new in mapping.items()]
    for table in ("sample",):
        conn.exec_driver_sql(f"UPDATE {table} SET id = ? WHERE id = ?", pairs)
    for table in ("review", "review_history", "review_draft"):
        conn.exec_driver_sql(f"UPDATE {table} SET sample_id = ? WHERE sample_id = ?", pairs)


def apply_samples(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert pulled samples (immutable); returns how many were new here.

    A sample this store already has (pushed from here, or the same record imported here
    too, whose id it adopts) takes the shared row's batch: the same record imported on
    two machines belongs to the batch that reached the server first, on every store, so
    the queue's batch filter and per-batch counts agree everywhere. (The other machine's
    batch keeps its import counters: they say what its import did.)
    """
    if not rows:
        return 0
    ids = [r["id"] for r in rows]
    present = set(conn.execute(select(SAMPLE.c.id).where(SAMPLE.c.id.in_(ids))).scalars())
    fresh = [r for r in rows if r["id"] not in present]
    # The same record imported here under another id: adopt the shared id first.
    keys = {(r["source"], r["external_id"]): r["id"] for r in fresh}
    clashes: dict[uuid.UUID, uuid.UUID] = {}
    if keys:
        for source, external_id, local_id in conn.execute(
            select(SAMPLE.c.source, SAMPLE.c.external_id, SAMPLE.c.id).where(
                SAMPLE.c.external_id.in_([k[1] for k in keys]),
                SAMPLE.c.source.in_({k[0] for k in keys}),
            )
        ):
            shared = keys.get((source, external_id))
            if shared is not None and shared != local_id:
                clashes[local_id] = shared
        adopt_sample_ids(conn, clashes)
    known = present | set(clashes.values())
    if known:
        conn.execute(
            update(SAMPLE)
            .where(SAMPLE.c.id == bindparam("b_id"))
            .values(
                seq=bindparam("b_seq"),
                batch_id=bindparam("b_batch"),
                dirty=False,
                updated_at=SAMPLE.c.updated_at,
            ),
            [
                {"b_id": r["id"], "b_seq": r["seq"], "b_batch": r["batch_id"]}
                for r in rows
                if r["id"] in known
            ],
        )
    new_rows = [_as_local(r) for r in fresh if r["id"] not in known]
    if new_rows:
        conn.execute(sqlite.insert(SAMPLE).on_conflict_do_nothing(), new_rows)
    return len(new_rows)


def _decision(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(tuple(row[k]) if k == "categories" else row[k] for k in _DECISION)


def _set_aside(conn: Connection, local: Mapping[str, Any], device: str) -> None:
    """Keep a losing local revision in history (reason "conflict")."""
    kept = {name: local[name] for name in _KEPT}
    kept["categories"] = list(local["categories"])
    conn.execute(
        sqlite.insert(HISTORY).on_conflict_do_nothing(),
        {
            **kept,
            "id": uuid7(),
            "created_at": clock.now(),
            "updated_at": clock.now(),
            "revision": local["revision"],
            "seq": None,
            "dirty": True,
            "device": device,
            "review_id": local["id"],
            "review_updated_at": local["updated_at"],
            "reason": "conflict",
        },
    )


def _adopt_review_id(conn: Connection, old: uuid.UUID, new: uuid.UUID) -> None:
    conn.exec_driver_sql("UPDATE review SET id = ? WHERE id = ?", (new.hex, old.hex))
    conn.exec_driver_sql(
        "UPDATE review_history SET review_id = ? WHERE review_id = ?", (new.hex, old.hex)
    )


def apply_reviews(conn: Connection, rows: Sequence[Row], *, device: str) -> int:
    """Apply pulled (or push-refused) reviews with the conflict rules; returns how many
    local revisions lost and went to history."""
    if not rows:
        return 0
    ids = [r["id"] for r in rows]
    locals_by_id: dict[uuid.UUID, Row] = {}
    locals_by_pair: dict[tuple[uuid.UUID, str], Row] = {}
    pair_query = select(REVIEW).where(
        REVIEW.c.sample_id.in_({r["sample_id"] for r in rows}),
        REVIEW.c.reviewer.in_({r["reviewer"] for r in rows}),
    )
    for found in conn.execute(pair_query).mappings():
        existing = dict(found)
        locals_by_pair[(existing["sample_id"], existing["reviewer"])] = existing
    for found in conn.execute(select(REVIEW).where(REVIEW.c.id.in_(ids))).mappings():
        locals_by_id[found["id"]] = dict(found)
    fresh: list[Row] = []
    overwrite: list[Row] = []
    seen: list[dict[str, Any]] = []
    keep_dirty: list[uuid.UUID] = []
    conflicts = 0
    for row in rows:
        local: Row | None = locals_by_id.get(row["id"]) or locals_by_pair.get(
            (row["sample_id"], row["reviewer"])
        )
        if local is None:
            fresh.append(row)
            continue
        if local["id"] != row["id"]:
            # One reviewer started this sample on two machines before review ids were
            # name-based: the shared row's id wins, the local revisions follow it.
            _adopt_review_id(conn, local["id"], row["id"])
            local["id"] = row["id"]
        incoming = (row["revision"], row["updated_at"])
        mine = (local["revision"], local["updated_at"])
        if incoming == mine:
            seen.append({"b_id": row["id"], "b_seq": row["seq"]})
        elif incoming > mine:
            lost = local["dirty"] or local["revision"] >= row["revision"]
            if lost and not local["deleted"] and _decision(local) != _decision(row):
                _set_aside(conn, local, device)
                conflicts += 1
            overwrite.append(row)
        else:
            keep_dirty.append(row["id"])
    if fresh:
        conn.execute(sqlite.insert(REVIEW).on_conflict_do_nothing(), [_as_local(r) for r in fresh])
    if overwrite:
        _guarded_upsert(conn, REVIEW, overwrite, force=True)
    if seen:
        conn.execute(
            update(REVIEW)
            .where(REVIEW.c.id == bindparam("b_id"))
            .values(dirty=False, seq=bindparam("b_seq"), updated_at=REVIEW.c.updated_at),
            seen,
        )
    if keep_dirty:
        # The local revision is newer than the shared one: the next push sends it.
        conn.execute(
            update(REVIEW)
            .where(REVIEW.c.id.in_(keep_dirty))
            .values(dirty=True, updated_at=REVIEW.c.updated_at)
        )
    return conflicts


def apply_audit_events(conn: Connection, rows: Sequence[Row]) -> None:
    """Keep pulled audit events (the server's chain) in shared_audit_event, as they are:
    append-only there, so an event already here is left alone."""
    if rows:
        conn.execute(sqlite.insert(SHARED_AUDIT).on_conflict_do_nothing(), list(rows))


def mark_pushed(
    conn: Connection, table: Table, pushed: Iterable[tuple[uuid.UUID | str, int, int]]
) -> int:
    """Mark (id, revision, seq) rows clean, unless they changed again since they were read
    (then they stay dirty and the next push sends the newer revision). Ids are UUIDs or
    their 32 hex digits."""
    # Straight to the driver with the stored form of the ids (32 hex digits): a push of
    # 100,000 reviews spent more time binding these parameters than updating the rows.
    params = [(seq, i if isinstance(i, str) else i.hex, rev) for i, rev, seq in pushed]
    if params:
        conn.exec_driver_sql(
            f"UPDATE {table.name} SET dirty = 0, seq = ? WHERE id = ? AND revision = ?",
            params,
        )
    return len(params)


def get_cursor(conn: Connection, profile: str, name: str) -> int:
    value = conn.execute(
        select(STATE.c.cursor).where(STATE.c.profile == profile, STATE.c.table_name == name)
    ).scalar_one_or_none()
    return int(value or 0)


def set_cursor(conn: Connection, profile: str, name: str, cursor: int) -> None:
    stmt = sqlite.insert(STATE).values(
        profile=profile, table_name=name, cursor=cursor, updated_at=clock.now()
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[STATE.c.profile, STATE.c.table_name],
            set_={"cursor": stmt.excluded.cursor, "updated_at": stmt.excluded.updated_at},
        )
    )
