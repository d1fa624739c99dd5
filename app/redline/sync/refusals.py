"""Rows the shared database refused: remembered, left out of the push until changed, and
described for people.

A row refused by the server (row-level security, a constraint) stays in the local
store, pending, so nothing a user wrote is dropped. Sending it again unchanged only
gets the same refusal, and costs its whole chunk a row-by-row retry, so each refusal is
remembered in the local `sync_state` table (no schema of its own): the key
`refused:<table>:<id as 32 hex digits>` holds the revision that was refused. The push
leaves out rows refused at their current revision (`not_refused`); once the user
changes a row its revision goes up and the next push tries it again. Keys whose row
moved on (changed, pushed, or replaced by the server's row) are dropped (`forget_stale`).

The lines say what the user did and why the database refused it, e.g. "your
adjudication of sample r00012 was refused by the shared database: only leads may
adjudicate (new row violates row-level security policy for table "review")". The
rule is inferred from the row (what only a lead may do) and from the refusal's kind;
the server's own words, known only while syncing, come last.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, delete, exists, func, select, tuple_
from sqlalchemy.dialects import sqlite

from redline import clock
from redline.store import models
from redline.sync.local import STATE, model_table

__all__ = [
    "PERMISSION_DENIED",
    "SERVER_RULE",
    "describe",
    "describe_overruled",
    "forget_stale",
    "key",
    "not_refused",
    "overruled_decision",
    "pending_refusals",
    "refused_rows",
    "remember",
]

PREFIX = "refused:"

_SAMPLE = model_table(models.Sample)
_POLICY = model_table(models.Policy)
_PROMPT = model_table(models.Prompt)

# sqlstate of a refusal by permission (GRANT, row-level security).
PERMISSION_DENIED = "42501"
# sqlstate of a refusal by one of the lead rules the server enforces (the status
# transitions, four eyes, frozen content: the triggers of redline.sync.server raise it).
# Class 23 (integrity), so drivers and the push treat it as a refused row.
SERVER_RULE = "23R01"


def key_prefix(table: Table) -> str:
    return f"{PREFIX}{table.name}:"


def key(table: Table, row_id: uuid.UUID) -> str:
    """The sync_state key remembering a refusal of this row."""
    return f"{key_prefix(table)}{row_id.hex}"


def _keys_of(table: Table, profile: str) -> Any:
    """(id as the store keeps it, refused revision) of the table's remembered refusals."""
    prefix = key_prefix(table)
    return select(
        func.substr(STATE.c.table_name, len(prefix) + 1).label("row_id"),
        STATE.c.cursor.label("revision"),
    ).where(
        STATE.c.profile == profile,
        func.substr(STATE.c.table_name, 1, len(prefix)) == prefix,
    )


def not_refused(table: Table, profile: str) -> ColumnElement[bool]:
    """Rows of `table` not refused at their current revision (a push filter)."""
    # NOT IN a list SQLite builds once per query (few rows), not a lookup per row.
    return tuple_(table.c.id, table.c.revision).not_in(_keys_of(table, profile))


def remember(
    conn: Connection, profile: str, table: Table, refused: Sequence[tuple[uuid.UUID, int]]
) -> None:
    """Remember refused (id, revision) rows that are still local changes at that
    revision (a row the server's version replaced is not pending: nothing to skip)."""
    if not refused:
        return
    revisions = dict(refused)
    still = conn.execute(
        select(table.c.id, table.c.revision).where(
            table.c.id.in_(revisions), table.c.dirty.is_(True)
        )
    ).all()
    rows = [
        {"profile": profile, "table_name": key(table, i), "cursor": rev, "updated_at": clock.now()}
        for i, rev in still
        if revisions[i] == rev
    ]
    if rows:
        stmt = sqlite.insert(STATE)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[STATE.c.profile, STATE.c.table_name],
                set_={"cursor": stmt.excluded.cursor, "updated_at": stmt.excluded.updated_at},
            ),
            rows,
        )


def forget_stale(conn: Connection, profile: str, tables: Sequence[Table]) -> None:
    """Drop remembered refusals whose row is no longer a local change at that revision
    (edited since, pushed, replaced by the server's, or gone)."""
    for table in tables:
        prefix = key_prefix(table)
        row_id = func.substr(STATE.c.table_name, len(prefix) + 1)
        still_refused = exists().where(
            table.c.id == row_id, table.c.dirty.is_(True), table.c.revision == STATE.c.cursor
        )
        conn.execute(
            delete(STATE).where(
                STATE.c.profile == profile,
                func.substr(STATE.c.table_name, 1, len(prefix)) == prefix,
                ~still_refused,
            )
        )


def refused_rows(conn: Connection, profile: str, table: Table) -> list[dict[str, Any]]:
    """The table's local rows refused at their current revision."""
    keys = _keys_of(table, profile).subquery()
    query = select(table).where(
        table.c.dirty.is_(True),
        tuple_(table.c.id, table.c.revision).in_(select(keys.c.row_id, keys.c.revision)),
    )
    return [dict(r) for r in conn.execute(query.order_by(table.c.id)).mappings()]


# --------------------------------------------------------------------------- wording


def _sample_name(conn: Connection, sample_id: Any) -> str:
    external = conn.execute(
        select(_SAMPLE.c.external_id).where(_SAMPLE.c.id == sample_id)
    ).scalar_one_or_none()
    return f"sample {external}" if external else f"sample {sample_id}"


def _name(conn: Connection, table: Table, row_id: Any) -> str:
    found = conn.execute(select(table.c.name).where(table.c.id == row_id)).scalar_one_or_none()
    return f"{found!r}" if found else str(row_id)


def _what(conn: Connection, table: Table, row: Mapping[str, Any]) -> str:
    """What the user did, in their words: 'your adjudication of sample r00012'."""
    name = table.name
    if name == "review":
        kind = "adjudication" if row.get("adjudicated") else "review"
        return f"your {kind} of {_sample_name(conn, row['sample_id'])}"
    if name == "review_history":
        return f"an earlier revision of your review of {_sample_name(conn, row['sample_id'])}"
    if name == "threshold_proposal":
        move = f"{row['old_value']:g} → {row['new_value']:g}"
        segment = f" ({row['segment']})" if row.get("segment") else ""
        target = f"the threshold of policy {_name(conn, _POLICY, row['policy_id'])}{segment}"
        if row.get("status") in ("approved", "rejected"):
            return f"your decision ({row['status']}) on the proposal to move {target} {move}"
        return f"your proposal to move {target} {move}"
    if name == "prompt_version":
        prompt = _name(conn, _PROMPT, row["prompt_id"])
        return f"version {row['version']} of prompt {prompt} ({row['status']})"
    if name in ("prompt", "policy", "experiment"):
        return f"{name} {row['name']!r}"
    if name == "batch":
        return f"the import of {row['file_name']}"
    if name == "sample":
        return f"your imported sample {row['external_id']}"
    return f"{name.replace('_', ' ')} {row['id']}"


def _rule(table: Table, row: Mapping[str, Any], sqlstate: str) -> str:
    """Why, as far as the row tells: what only a lead may do, else the refusal's kind."""
    name = table.name
    if sqlstate == SERVER_RULE:
        return "it breaks a rule the shared database enforces for prompts and thresholds"
    if name == "review" and row.get("adjudicated"):
        return "only leads may adjudicate"
    if name == "threshold_proposal" and row.get("status") in ("approved", "rejected"):
        return "only leads may decide threshold proposals"
    if name == "prompt_version" and row.get("status") not in ("draft", "in_review"):
        return "only leads may approve, reject, deploy or retire prompt versions"
    if name in ("policy", "experiment"):
        return f"only leads may share {name}s"
    if sqlstate.startswith("22"):
        return (
            "it holds a value the shared database cannot store (a NUL character in a "
            "text, or a number beyond its range); it stays in this store only"
        )
    if sqlstate.startswith("23"):
        return "it breaks a rule of the shared database (a missing or duplicate row)"
    return "your login may not make this change"


def describe(
    conn: Connection,
    table: Table,
    row: Mapping[str, Any],
    *,
    sqlstate: str = PERMISSION_DENIED,
    server_reason: str = "",
    undone: bool = False,
) -> str:
    """One line for people about a refused row (`conn`: the local store, for names);
    `undone`: the server's version replaced the local change."""
    fate = " and undone here (the shared version was restored)" if undone else ""
    line = f"{_what(conn, table, row)} was refused by the shared database{fate}: "
    line += _rule(table, row, sqlstate)
    return f"{line} ({server_reason})" if server_reason else line


# The statuses a decision (a lead's, or an author's submission) leaves a row in.
_DECIDED = {
    "threshold_proposal": ("approved", "rejected"),
    "prompt_version": ("in_review", "approved", "rejected", "deployed", "retired"),
}


def overruled_decision(table: Table, mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
    """`mine` (a local row the server did not take: it has a newer revision) carried a
    decision that the server's row `theirs` does not: the server's replaces it here, and
    the user must be told, never left to find the decision gone."""
    decided = _DECIDED.get(table.name, ())
    return mine.get("status") in decided and mine.get("status") != theirs.get("status")


def describe_overruled(
    conn: Connection, table: Table, mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> str:
    """One line for people about a decision the server did not take because its row
    changed there meanwhile (`overruled_decision`)."""
    return (
        f"{_what(conn, table, mine)} was not taken by the shared database: it changed there "
        f"since this store pulled it (now {theirs.get('status')}, revision "
        f"{theirs.get('revision')}); the shared version was restored here, look at it again "
        "and decide anew"
    )


def pending_refusals(conn: Connection, profile: str, tables: Sequence[Table]) -> list[str]:
    """A line for each local change refused at its current revision (kept here, not
    sent again until changed): what the status bar and `redline sync status` list."""
    return [
        describe(conn, table, row) for table in tables for row in refused_rows(conn, profile, table)
    ]
