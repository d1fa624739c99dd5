"""Create and upgrade a store's schema with Alembic, refusing schemas newer than us."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from redline.errors import RedlineError, SchemaTooNewError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest schema revision this Redline knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database, or None for an empty one."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(revision: str | None, where: str) -> None:
    """Refuse a schema this Redline does not know: it was written by a newer version."""
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNewError(
            f"this store was written by a newer Redline (schema {revision}); nothing was changed",
            where=where,
            hint="update Redline to open it",
        )


def inspect_sqlite_file(path: Path) -> str | None:
    """Read a store file's schema revision without writing a byte to it.

    Raises RedlineError when the file is not an SQLite database or not a Redline store.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    # A read-only open of a WAL database still creates -wal and -shm files beside it.
    # With no WAL present, nothing newer than the file itself exists, so `immutable`
    # reads it without creating anything; with a WAL (after a crash) it must be read.
    has_wal = Path(f"{path}-wal").exists()
    mode = "ro" if has_wal else "ro&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True)
        try:
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                return None
            if "alembic_version" not in tables:
                raise RedlineError(
                    "this SQLite file is not a Redline store",
                    where=str(path),
                    hint="choose another file, or move this one away",
                )
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RedlineError(
            f"not a readable SQLite database ({exc})",
            where=str(path),
            hint="choose another file, or move this one away",
        ) from exc
    return None if row is None else str(row[0])


def upgrade(engine: Engine, *, where: str) -> None:
    """Bring the schema to this Redline's head (creating it in an empty database)."""
    check_not_newer(current_revision(engine), where)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
