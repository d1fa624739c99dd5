"""Unique names shared with the server: when a local row and a different shared row have
the same name, the shared row keeps it and the local row is renamed, never dropped.

Prompts, policies and experiments have unique names, prompt versions a unique version
label per prompt. A store that tried the demo (prompt "support-assistant", policy
"auto-send") or where someone created a prompt offline may hold a name the team database
already gives to another row. Pulling that row (or pushing ours) would break the unique
constraint, so before either the local row is renamed:

- demo data (redline.sync.demo_rows) becomes "<name>.demo": it stays usable locally
  and is never pushed;
- a row of ours that the server never had becomes "<name>.local" with a note in its
  description saying why, and is pushed under that name;
- a row that came from the server (it has a `seq`) is renamed "<name>.old": the server
  renamed it too, and the pull that follows brings its new name.

A second clash of the same kind adds a number ("<name>.local-2"). The suffixes use only
'.', '-' and letters so a renamed prompt still follows the catalog's name rule
(redline.prompts.catalog.PROMPT_NAME): it can be looked up, shown and given guidelines.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, select, update

from redline import clock
from redline.store import models
from redline.sync.demo_rows import demo_condition
from redline.sync.local import model_table


@dataclass(frozen=True)
class NamedTable:
    """A table with a unique name.

    Attributes:
        key: the columns that are unique together.
        label: the one of them that is renamed.
        note: the text column that says why (None: the table has none).
        noun: what a row is called in messages.
    """

    table: Table
    key: tuple[str, ...]
    label: str
    note: str | None
    noun: str


NAMED: dict[str, NamedTable] = {
    named.table.name: named
    for named in (
        NamedTable(model_table(models.Prompt), ("name",), "name", "purpose", "prompt"),
        NamedTable(
            model_table(models.PromptVersion),
            ("prompt_id", "version"),
            "version",
            "change_note",
            "prompt version",
        ),
        NamedTable(model_table(models.Policy), ("name",), "name", "description", "policy"),
        NamedTable(model_table(models.Experiment), ("name",), "name", None, "experiment"),
    )
}


def named_table(table: Table) -> NamedTable | None:
    return NAMED.get(table.name)


def _key(named: NamedTable, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in named.key)


def _free_label(conn: Connection, named: NamedTable, row: Mapping[str, Any], kind: str) -> str:
    """ "<label>.kind", or ".kind-2", ... : the first that no local row has."""
    table = named.table
    others = [table.c[c] == row[c] for c in named.key if c != named.label]
    base = str(row[named.label])
    n = 1
    while True:
        candidate = f"{base}.{kind}" if n == 1 else f"{base}.{kind}-{n}"
        taken = conn.execute(
            select(table.c.id).where(table.c[named.label] == candidate, *others).limit(1)
        ).first()
        if taken is None:
            return candidate
        n += 1


def resolve_clashes(
    conn: Connection, table: Table, shared_rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Rename local rows that hold the name of a different shared row (see the module
    docstring); returns one line per renamed row, for the sync report."""
    named = named_table(table)
    if named is None or not shared_rows:
        return []
    renamed: list[str] = []
    for shared in shared_rows:
        match = [table.c[c] == shared[c] for c in named.key]
        clashing = conn.execute(
            select(table).where(and_(*match), table.c.id != shared["id"])
        ).mappings()
        for local in [dict(r) for r in clashing]:
            renamed.append(_rename(conn, named, local))
    return renamed


def _rename(conn: Connection, named: NamedTable, local: dict[str, Any]) -> str:
    table = named.table
    row_id: uuid.UUID = local["id"]
    is_demo = (
        conn.execute(select(table.c.id).where(table.c.id == row_id, demo_condition(table))).first()
        is not None
    )
    if is_demo:
        kind = "demo"
    elif local["seq"] is None:
        kind = "local"
    else:
        kind = "old"
    old = str(local[named.label])
    new = _free_label(conn, named, local, kind)
    values: dict[str, Any] = {named.label: new, "updated_at": clock.now()}
    if kind == "local":
        # Ours and never shared: the new name is a change the next push sends.
        values["revision"] = table.c.revision + 1
        values["dirty"] = True
        if named.note is not None:
            note = (
                f"Renamed from “{old}” when syncing: the shared database has its own "
                f"{named.noun} of that name."
            )
            text = str(local[named.note] or "")
            values[named.note] = f"{text}\n\n{note}" if text else note
    conn.execute(update(table).where(table.c.id == row_id).values(**values))
    return f"{named.noun} “{old}” renamed “{new}” (the shared database has another “{old}”)"
