"""Sync speed: push and pull against a throwaway local PostgreSQL, each with a baseline
run in the same process on the same rows.

1. A local store gets N imported samples (bench/import_bench.py's records, ~600 bytes)
   and M reviews by the pushing login (a reviewer, so row-level security applies).
2. Push: `redline.sync.service.sync(push only)` of the batch, its samples and the
   reviews to a shared database set up by `shared init`. Baseline: the same rows, already
   read into memory, with psycopg `COPY` into plain tables (same columns, no index, no
   trigger, no policy) beside the real ones.
3. Pull: a fresh store (another login) pulls everything. Baseline: the same rows read
   with psycopg and written with raw sqlite3 `executemany` into plain tables.

Prints rows/s of each and the ratios (issue 4's target: push ratio <= 3), with the CPU
seconds each spent in this process (all threads) and in the server's processes, and the
load average before and after: on a shared machine the wall-clock ratios swing with the
load, the CPU seconds much less. The cluster is the tests' throwaway cluster
(tests/conftest.py pg_cluster: initdb + pg_ctl as an unprivileged user, fsync off),
removed at the end. Asserts nothing.

Usage: python bench/sync_bench.py [--samples 100000] [--reviews 25000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

# Settings in a throwaway place (the bench never touches yours).
_HOME = Path(tempfile.mkdtemp(prefix="redline-bench-home-"))
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, Table, insert, select
from tests.conftest import PgCluster, pg_cluster

from import_bench import generate
from redline import clock
from redline.ingest.service import import_file
from redline.profiles import Profile, make_profile
from redline.store import models
from redline.store.base import uuid7
from redline.store.engine import postgres_engine
from redline.store.local import open_local_store
from redline.sync.connect import shared_engine
from redline.sync.local import model_table
from redline.sync.server import add_user
from redline.sync.service import SyncContext, sync

# ruff: noqa: E402
from redline.sync.shared import init_shared

SAMPLE = model_table(models.Sample)
REVIEW = model_table(models.Review)
BATCH = model_table(models.Batch)
TABLES = (BATCH, SAMPLE, REVIEW)


@contextlib.contextmanager
def cluster() -> Iterator[PgCluster]:
    """The tests' throwaway cluster (the fixture's own generator, outside pytest)."""
    start = contextlib.contextmanager(pg_cluster.__wrapped__)  # type: ignore[attr-defined]
    with start() as running:
        yield running


def login(db: PgCluster, database: str, admin: Engine, name: str) -> tuple[Profile, str]:
    password = f"bench-{name}-pw"
    add_user(admin, name, "reviewer", password)
    profile = make_profile(
        database, host=db.host, port=db.port, database=database, user=name, sslmode="disable"
    )
    return profile, password


def import_samples(store: Engine, work: Path, samples: int, user: str) -> None:
    """N samples imported by `user` (one batch)."""
    path = work / "records.jsonl"
    generate(path, samples)
    import_file(path, engine=store, source="bench", imported_by=user)


def add_reviews(store: Engine, reviews: int, user: str) -> None:
    """M reviews by `user` of the first M samples, waiting to be pushed."""
    with store.begin() as conn:
        ids = conn.execute(select(SAMPLE.c.id).order_by(SAMPLE.c.id).limit(reviews)).scalars()
        now = clock.now()
        rows = [
            {
                "id": uuid7(),
                "created_at": now,
                "updated_at": now,
                "revision": 1,
                "dirty": True,
                "sample_id": sample_id,
                "reviewer": user,
                "verdict": ("good", "bad", "unsure")[i % 3],
                "rating": 1 + i % 5,
                "categories": ["tone"] if i % 3 == 1 else [],
                "note": f"note {i}" if i % 4 == 0 else "",
                "correction": None,
                "flagged": False,
                "time_spent_ms": 1000 + i,
                "device": "bench",
                "adjudicated": False,
                "deleted": False,
            }
            for i, sample_id in enumerate(list(ids))
        ]
        if rows:
            conn.execute(insert(REVIEW), rows)


def columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in ("dirty", "seq")]


def _pg_value(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, (list, dict)) else value


def read_rows(store: Engine, tables: tuple[Table, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of `tables` as the push sends them (JSON wrapped for COPY)."""
    with store.connect() as conn:
        return {
            t.name: [
                tuple(_pg_value(v) for v in r)
                for r in conn.execute(select(*(t.c[c] for c in columns(t))))
            ]
            for t in tables
        }


@dataclass
class Spent:
    """Wall-clock and CPU seconds of one measured step."""

    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    def cpu(self) -> str:
        return f"(cpu: here {self.client_cpu:.2f} s, server {self.server_cpu:.2f} s)"


def server_cpu(db: PgCluster) -> float:
    """CPU seconds the cluster's processes used so far (Linux /proc): the postmaster's
    own and its exited children's, plus every live backend's."""
    tick = os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError, ValueError):
        postmaster = int((db.root / "data" / "postmaster.pid").read_text().split()[0])

        def fields(proc: Path) -> list[str]:
            return (proc / "stat").read_text().rsplit(")", 1)[1].split()

        # utime stime cutime cstime
        total = sum(int(v) for v in fields(Path(f"/proc/{postmaster}"))[11:15])
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    found = fields(entry)
                    if int(found[1]) == postmaster:
                        total += int(found[11]) + int(found[12])
        return total / tick
    return float("nan")


@contextlib.contextmanager
def measured(db: PgCluster) -> Iterator[Spent]:
    """Measure the block: wall clock, this process's CPU and the server's CPU."""
    spent = Spent()
    wall, client, server = time.perf_counter(), time.process_time(), server_cpu(db)
    try:
        yield spent
    finally:
        spent.wall = time.perf_counter() - wall
        spent.client_cpu = time.process_time() - client
        spent.server_cpu = server_cpu(db) - server


def copy_baseline(db: PgCluster, dsn: str, rows: dict[str, list[tuple[Any, ...]]]) -> Spent:
    """COPY the rows into plain tables (created before the clock starts)."""
    tables = [t for t in TABLES if t.name in rows]
    with psycopg.connect(dsn) as conn:
        for table in tables:
            conn.execute(f"CREATE TABLE plain_{table.name} (LIKE {table.name})")
            conn.execute(f"ALTER TABLE plain_{table.name} DROP COLUMN dirty, DROP COLUMN seq")
        conn.commit()
        with measured(db) as spent:
            for table in tables:
                names = ", ".join(columns(table))
                with conn.cursor().copy(f"COPY plain_{table.name} ({names}) FROM STDIN") as copy:
                    for row in rows[table.name]:
                        copy.write_row(row)
            conn.commit()
    return spent


def _sqlite_value(value: Any) -> Any:
    if hasattr(value, "hex") and not isinstance(value, (bytes, float)):
        return value.hex  # a UUID, stored as 32 hex digits like the store does
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    return value


def pull_baseline(dsn: str, path: Path) -> tuple[float, int]:
    """Seconds to read the shared rows with psycopg and executemany them into plain
    sqlite3 tables in one transaction (what any pull must do at least)."""
    db = sqlite3.connect(path)
    started = time.perf_counter()
    count = 0
    with psycopg.connect(dsn) as conn:
        for table in TABLES:
            names = columns(table)
            db.execute(f"CREATE TABLE plain_{table.name} ({', '.join(names)})")
            marks = ", ".join("?" for _ in names)
            cur = conn.cursor(name=f"read_{table.name}")
            cur.execute(f"SELECT {', '.join(names)} FROM {table.name}")
            while chunk := cur.fetchmany(5000):
                db.executemany(
                    f"INSERT INTO plain_{table.name} VALUES ({marks})",
                    [tuple(_sqlite_value(v) for v in row) for row in chunk],
                )
                count += len(chunk)
            cur.close()
    db.commit()
    db.close()
    return time.perf_counter() - started, count


def line(label: str, rows: int, seconds: float) -> str:
    return f"{label:<28} {rows:>9,} rows in {seconds:7.2f} s = {rows / seconds:>9,.0f} rows/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=25_000)
    parser.add_argument(
        "--profile", action="store_true", help="print where the push and the pull spend time"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="redline-sync-bench-"))
    try:
        with cluster() as db:
            run(db, work, args.samples, args.reviews, profile=args.profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(_HOME, ignore_errors=True)


@contextlib.contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    """cProfile the block and print its 25 most expensive functions (own time)."""
    if not enabled:
        yield
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def push(
    db: PgCluster,
    store: Engine,
    login_: tuple[Profile, str],
    dsn: str,
    tables: tuple[Table, ...],
    *,
    label: str,
    profile: bool,
) -> tuple[int, Spent, Spent]:
    """Baseline COPY of what is pending in `tables`, then the real push of it:
    (rows, push, baseline)."""
    rows = read_rows(store, tables)
    copy_ = copy_baseline(db, dsn, rows)
    total = sum(len(r) for r in rows.values())
    print(line(f"baseline: COPY {label}", total, copy_.wall), copy_.cpu(), flush=True)
    who, password = login_
    shared = shared_engine(who, password)
    with measured(db) as pushed, profiled(profile):
        report = sync(store, shared, SyncContext(who, "bench"), password=password, pull=False)
    shared.dispose()
    print(line(f"redline push {label}", report.total_pushed, pushed.wall), pushed.cpu(), flush=True)
    print(
        f"ratio push/COPY, {label}: {pushed.wall / copy_.wall:.2f} (target <= 3); "
        f"CPU here + server: {cpu_total(pushed) / cpu_total(copy_):.2f}",
        flush=True,
    )
    return report.total_pushed, pushed, copy_


def cpu_total(spent: Spent) -> float:
    return spent.client_cpu + spent.server_cpu


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def run(db: PgCluster, work: Path, samples: int, reviews: int, *, profile: bool) -> None:
    print(f"before: {load()}", flush=True)
    db.create_database("shared")
    admin = postgres_engine(db.url("shared"))
    init_shared(admin, where="bench")
    pusher = login(db, "shared", admin, "bench_pusher")
    puller, pull_pw = login(db, "shared", admin, "bench_puller")
    admin.dispose()
    # The plain tables of the baselines live beside the real ones (same server and database).
    dsn = db.url("shared").replace("postgresql+psycopg", "postgresql")

    store = open_local_store(work / "pusher.sqlite")
    print(f"importing {samples:,} samples ...", flush=True)
    import_samples(store, work, samples, pusher[0].user)
    rows_a, push_a, copy_a = push(
        db, store, pusher, dsn, (BATCH, SAMPLE), label="samples", profile=profile
    )
    add_reviews(store, reviews, pusher[0].user)
    rows_b, push_b, copy_b = push(
        db, store, pusher, dsn, (REVIEW,), label="reviews", profile=profile
    )
    store.dispose()
    print(
        line("redline push, both", rows_a + rows_b, push_a.wall + push_b.wall)
        + f"; ratio {(push_a.wall + push_b.wall) / (copy_a.wall + copy_b.wall):.2f}",
        flush=True,
    )

    fresh = open_local_store(work / "puller.sqlite")
    shared = shared_engine(puller, pull_pw)
    with measured(db) as pulled, profiled(profile):
        report = sync(fresh, shared, SyncContext(puller, "bench"), password=pull_pw, push=False)
    shared.dispose()
    fresh.dispose()
    base_s, base_rows = pull_baseline(dsn, work / "baseline.sqlite")
    print(line("baseline: psycopg + sqlite3", base_rows, base_s), flush=True)
    print(line("redline pull (fresh store)", report.total_pulled, pulled.wall), pulled.cpu())
    print(f"ratio pull/baseline: {pulled.wall / base_s:.2f}", flush=True)
    print(f"after: {load()}", flush=True)


if __name__ == "__main__":
    main()
