"""Engines for the local SQLite store and the shared PostgreSQL database."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # Foreign keys are off by default in SQLite; our schema relies on them.
    cursor.execute("PRAGMA foreign_keys = ON")
    # Another connection (the importer, a sync) may hold the write lock for a while:
    # wait for it instead of failing with "database is locked".
    cursor.execute("PRAGMA busy_timeout = 10000")
    # In WAL, NORMAL loses nothing a committed transaction wrote when the process is
    # killed; only a power cut can lose the last transactions. fsync per commit
    # (FULL) would make every submit wait on the disk.
    cursor.execute("PRAGMA synchronous = NORMAL")
    # 64 MB page cache: queue paging and imports touch the same pages repeatedly.
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.execute("PRAGMA temp_store = MEMORY")
    cursor.close()


def _begin_explicitly(engine: Engine, *, wal: bool) -> None:
    # pysqlite opens transactions lazily and implicitly, which breaks SAVEPOINT and lets a
    # read session see several snapshots. Hand transaction control to SQLAlchemy: the
    # driver runs in autocommit mode and we issue BEGIN ourselves (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        dbapi_conn.isolation_level = None
        _sqlite_pragmas(dbapi_conn, record)
        if wal:
            # Persistent in the file, but cheap to repeat; outside any transaction.
            dbapi_conn.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def _private_file(path: Path) -> None:
    """The store holds every sample and review: readable by its owner only (0600; its
    -wal and -shm files take the same mode from SQLite). A new file is created so,
    an existing one loses any group/other bits (its owner's bits are left alone, so a
    store made read-only stays so)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return
    except FileExistsError:
        pass
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & ~0o077)


def sqlite_engine(path: Path, *, read_only: bool = False) -> Engine:
    """An engine on the local store file.

    The writer engine sets WAL mode, so readers (the queue, reports) keep working while
    an import or a sync writes. The read-only engine (`mode=ro`) is for reads that
    must never queue behind the writer's lock or create the file by accident.
    """
    if read_only:
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    else:
        _private_file(path)
        url = f"sqlite:///{path}"
    # NullPool: a connection per checkout is cheap for SQLite and never crosses threads.
    engine = create_engine(url, poolclass=NullPool)
    _begin_explicitly(engine, wal=not read_only)
    return engine


def postgres_engine(url: str, **kwargs: Any) -> Engine:
    """An engine on a shared PostgreSQL database (psycopg 3)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)
