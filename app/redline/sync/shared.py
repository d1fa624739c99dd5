"""Setting up a shared database: `redline shared init` and `redline shared add-user`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from redline.errors import RedlineError
from redline.store.migrate import current_revision, head_revision, upgrade
from redline.sync.server import SERVER_OBJECTS_VERSION, apply_server_objects


@dataclass(frozen=True)
class InitReport:
    """What `init_shared` did.

    Attributes:
        before: the schema revision found (None: an empty database).
        after: the schema revision now (this Redline's head).
        objects_version: the server objects' version now.
    """

    before: str | None
    after: str
    objects_version: int


def init_shared(engine: Engine, *, where: str) -> InitReport:
    """Create or migrate the shared schema (Alembic), then create or update the change
    sequence, triggers, roles, GRANTs and row-level security. Re-runnable.

    `engine` logs in as the database's owner with CREATEROLE (or a superuser): a lead's
    admin login, not a reviewer's.
    """
    try:
        before = current_revision(engine)
        upgrade(engine, where=where)
        with engine.begin() as conn:
            apply_server_objects(conn, where=where)
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", "") or ""
        if code == "42501":
            raise RedlineError(
                "this login may not set up the shared database (permission denied)",
                where=where,
                hint="run `redline shared init` as the database owner with CREATEROLE",
            ) from None
        raise
    return InitReport(before=before, after=head_revision(), objects_version=SERVER_OBJECTS_VERSION)
