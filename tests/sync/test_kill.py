"""A sync process killed with SIGKILL at random points, across push and pull, loses
nothing and doubles nothing: after a re-run, the shared database and every store hold
exactly what an uninterrupted sync gives.

The syncs run in real child processes (tests/sync/kill_child.py forks them) that die
by SIGKILL: at a chosen commit boundary (the N-th `SyncContext.step`, some with a
server transaction open, some with a local one open), and at random moments of a
larger sync. After each kill this process syncs both machines again and compares the
shared database and both stores with the state an uninterrupted run left.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records

from redline.review.types import ReviewInput, Verdict
from redline.store.local import open_local_store

HELPER = Path(__file__).with_name("kill_child.py")
# Small chunks, so a small sync has many commit points in both directions.
SMALL_CHUNKS = (2, 3, 3)
LARGE_CHUNKS = (100, 200, 250)
KILL_POINTS_PER_SIDE = 11
TIMED_KILLS = 3

pytestmark = pytest.mark.slow

State = dict[str, frozenset[tuple[Any, ...]]]


class KillServer:
    """The helper process: runs jobs in forked children, reports how each ended."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HELPER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def _line(self, timeout: float | None = 120) -> dict[str, Any] | None:
        """The helper's next report, or None when `timeout` passed without one."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        assert line, f"the kill helper died (exit {self.proc.poll()})"
        found: dict[str, Any] = json.loads(line)
        return found

    def run(self, job: dict[str, Any], *, kill_after: float | None = None) -> dict[str, Any]:
        """Run `job` in a child; with `kill_after`, SIGKILL it after that many seconds
        unless it ended before. Returns how it ended (pid, signal, exit)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        started = self._line()
        assert started is not None and "signal" not in started, started
        if kill_after is not None:
            ended = self._line(kill_after)
            if ended is not None:
                return ended
            with contextlib.suppress(ProcessLookupError):  # it ended at that very moment
                os.kill(started["pid"], signal.SIGKILL)
        ended = self._line()
        assert ended is not None, "the killed sync did not end"
        return ended

    def close(self) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(30)
        self.proc.stdout.close()


@pytest.fixture
def kill_server() -> Iterator[KillServer]:
    server = KillServer()
    yield server
    server.close()


@dataclass
class Scenario:
    """Two machines' stores as they were before syncing (copied for every run)."""

    shared_db: SharedDb
    machines: tuple[Machine, Machine]
    templates: tuple[Path, Path]
    work: Path

    def fresh(self, tag: str) -> tuple[Machine, Machine]:
        """Empty the shared database and give both machines their unsynced stores."""
        with self.shared_db.admin.begin() as conn:
            conn.execute(
                text("TRUNCATE review_history, review, sample, batch, audit_event CASCADE")
            )
        made = []
        for machine, template in zip(self.machines, self.templates, strict=True):
            path = self.work / f"{machine.device}-{tag}.sqlite"
            shutil.copyfile(template, path)
            made.append(
                Machine(
                    store=open_local_store(path),
                    profile=machine.profile,
                    password=machine.password,
                    shared=machine.shared,
                    device=machine.device,
                    path=path,
                )
            )
        return made[0], made[1]

    def job(self, ana: Machine, ben: Machine, steps: Path, **extra: Any) -> dict[str, Any]:
        # The child opens the stores itself: this process lets go of them first.
        ana.store.dispose()
        ben.store.dispose()
        return {
            "syncs": [_sync_spec("ana", ana), _sync_spec("ben", ben)],
            "steps": str(steps),
            **extra,
        }


def _sync_spec(name: str, machine: Machine) -> dict[str, Any]:
    p = machine.profile
    return {
        "name": name,
        "store": str(machine.path),
        "password": machine.password,
        "device": machine.device,
        "profile": {
            "name": p.name,
            "host": p.host,
            "port": p.port,
            "database": p.database,
            "user": p.user,
            "sslmode": p.sslmode,
        },
    }


def _prepare(
    shared_db: SharedDb, make_machine: MakeMachine, tmp_path: Path, *, large: bool
) -> Scenario:
    """ana imports and reviews (one review edited: history), ben imports and reviews
    his own: both push, and each pulls the other's work."""
    ana, ben = make_machine("ana"), make_machine("ben")
    n_ana, n_ben, reviewed = (800, 200, 160) if large else (9, 5, 4)
    ana.import_records(records(n_ana, prefix="a"))
    ben.import_records(records(n_ben, prefix="b"))
    ana_ids = ana.sample_ids()
    for i, sample_id in enumerate(ana_ids[:reviewed]):
        ana.review(sample_id, Verdict.GOOD if i % 3 else Verdict.BAD)
    for sample_id in ana_ids[: max(1, reviewed // 10)]:
        ana.reviews().submit(ReviewInput(sample_id, verdict=Verdict.UNSURE, note="second look"))
    for sample_id in ben.sample_ids()[: max(2, reviewed // 4)]:
        ben.review(sample_id, Verdict.BAD, note="wrong refund")
    work = tmp_path / ("large" if large else "small")
    work.mkdir()
    templates = []
    for machine in (ana, ben):
        with machine.store.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        machine.store.dispose()
        template = work / f"{machine.device}-template.sqlite"
        shutil.copyfile(machine.path, template)
        templates.append(template)
    return Scenario(shared_db, (ana, ben), (templates[0], templates[1]), work)


_QUERIES = {
    "batch": "SELECT id, imported_by, revision FROM batch",
    "sample": "SELECT id, batch_id, source, external_id FROM sample",
    "review": "SELECT id, sample_id, reviewer, revision, verdict, note FROM review",
    "review_history": "SELECT review_id, revision, verdict FROM review_history",
}


def _read(conn: Connection) -> State:
    state: State = {}
    for table, sql in _QUERIES.items():
        rows = [tuple(str(v) for v in r) for r in conn.execute(text(sql))]
        assert len(rows) == len(set(rows)), f"{table}: a row is doubled"
        state[table] = frozenset(rows)
    return state


def _norm(value: Any) -> str:
    # SQLite keeps UUIDs as 32 hex digits, PostgreSQL shows them with dashes.
    return str(value).replace("-", "")


def _state(engine: Engine) -> State:
    with engine.connect() as conn:
        raw = _read(conn)
    return {t: frozenset(tuple(_norm(v) for v in r) for r in rows) for t, rows in raw.items()}


def _converge(ana: Machine, ben: Machine) -> None:
    """What a user does after the crash: sync again (ana once more for ben's work)."""
    ana.sync()
    ben.sync()
    ana.sync()


def _check(scenario: Scenario, ana: Machine, ben: Machine, expected: State, why: str) -> None:
    server = _state(scenario.shared_db.admin)
    for table in _QUERIES:
        assert server[table] == expected[table], f"server {table} after {why}"
        assert _state(ana.store)[table] == expected[table], f"ana's {table} after {why}"
        assert _state(ben.store)[table] == expected[table], f"ben's {table} after {why}"
    ana.store.dispose()
    ben.store.dispose()


def _reference(
    scenario: Scenario, kill_server: KillServer, chunks: tuple[int, int, int]
) -> tuple[State, list[str], float]:
    """An uninterrupted run in a child: the final state, its steps, and its duration."""
    ana, ben = scenario.fresh("reference")
    steps = scenario.work / "reference.steps"
    started = time.monotonic()
    ended = kill_server.run(scenario.job(ana, ben, steps, chunks=list(chunks), kill_at=0))
    duration = time.monotonic() - started
    assert ended["exit"] == 0, ended
    names = steps.read_text().splitlines()
    ana, ben = _reopen(ana), _reopen(ben)
    _converge(ana, ben)
    expected = _state(scenario.shared_db.admin)
    _check(scenario, ana, ben, expected, "an uninterrupted sync")
    return expected, names, duration


def _reopen(machine: Machine) -> Machine:
    machine.store = open_local_store(machine.path)
    return machine


def test_killed_at_20_plus_commit_points_across_push_and_pull(
    shared_db: SharedDb, make_machine: MakeMachine, kill_server: KillServer, tmp_path: Path
) -> None:
    scenario = _prepare(shared_db, make_machine, tmp_path, large=False)
    expected, names, _ = _reference(scenario, kill_server, SMALL_CHUNKS)
    assert len(expected["sample"]) == 14 and len(expected["review"]) == 6
    assert expected["review_history"], "the edited review's first revision is kept"
    push = [i for i, n in enumerate(names, start=1) if n.split()[1].startswith("push:")]
    pull = [i for i, n in enumerate(names, start=1) if n.split()[1].startswith("pull:")]
    pick = random.Random(4)
    points = sorted(
        pick.sample(push, min(KILL_POINTS_PER_SIDE, len(push)))
        + pick.sample(pull, min(KILL_POINTS_PER_SIDE, len(pull)))
    )
    assert len(points) >= 20, f"only {len(points)} kill points in {names}"
    killed_at: list[str] = []
    for at in points:
        ana, ben = scenario.fresh(f"at-{at}")
        steps = scenario.work / f"at-{at}.steps"
        ended = kill_server.run(
            scenario.job(ana, ben, steps, chunks=list(SMALL_CHUNKS), kill_at=at)
        )
        reached = steps.read_text().splitlines()
        where = f"a SIGKILL at step {at} ({reached[-1] if reached else 'none'})"
        assert ended["signal"] == signal.SIGKILL, f"{where}: {ended}"
        assert len(reached) == at, where
        killed_at.append(reached[-1])
        ana, ben = _reopen(ana), _reopen(ben)
        _converge(ana, ben)
        _check(scenario, ana, ben, expected, where)
    # Both machines died in both directions, with a server or a local transaction open.
    assert {k.split()[0] for k in killed_at} == {"ana", "ben"}, killed_at
    assert sum(" push:" in k for k in killed_at) >= 10, killed_at
    assert sum(" pull:" in k for k in killed_at) >= 10, killed_at
    assert any("before-server-commit" in k for k in killed_at), killed_at
    assert any("before-local-commit" in k for k in killed_at), killed_at


def test_killed_at_random_moments_of_a_larger_sync(
    shared_db: SharedDb, make_machine: MakeMachine, kill_server: KillServer, tmp_path: Path
) -> None:
    scenario = _prepare(shared_db, make_machine, tmp_path, large=True)
    expected, names, duration = _reference(scenario, kill_server, LARGE_CHUNKS)
    assert len(expected["sample"]) == 1000 and len(names) > 20
    pick = random.Random(7)
    landed: list[str] = []
    for n in range(TIMED_KILLS):
        # Early enough to land before the end even when this run goes faster.
        delay = pick.uniform(0.05, 0.6) * duration
        ana, ben = scenario.fresh(f"timed-{n}")
        steps = scenario.work / f"timed-{n}.steps"
        job = scenario.job(ana, ben, steps, chunks=list(LARGE_CHUNKS))
        ended = kill_server.run(job, kill_after=delay)
        reached = steps.read_text().splitlines() if steps.exists() else []
        where = f"a SIGKILL after {delay:.2f} s (last step: {reached[-1] if reached else 'none'})"
        if ended["signal"] == signal.SIGKILL:
            landed.append(where)
        else:
            assert ended["exit"] == 0, f"{where}: {ended}"
        ana, ben = _reopen(ana), _reopen(ben)
        _converge(ana, ben)
        _check(scenario, ana, ben, expected, where)
    assert landed, "no timed kill landed before the sync ended"
