"""A sync stopped at any commit boundary (a kill), or by the server going away, loses
nothing and doubles nothing: the next sync completes."""

from __future__ import annotations

import random
import subprocess

import pytest
from sqlalchemy import text
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records

from redline.errors import RedlineError
from redline.review.types import Verdict
from redline.store.models import Review, Sample
from redline.sync.connect import ConnectionFailed


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing in sync catches it."""


def _killer(at: int) -> tuple[list[str], object]:
    seen: list[str] = []

    def step(name: str) -> None:
        seen.append(name)
        if len(seen) == at:
            raise Killed(name)

    return seen, step


def _state(machine: Machine) -> tuple[int, int]:
    return machine.count(Sample), machine.count(Review)


def _prepare(make_machine: MakeMachine) -> tuple[Machine, Machine]:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(9))
    for sample_id in ana.sample_ids()[:4]:
        ana.review(sample_id, Verdict.GOOD)
    return ana, ben


def _count_steps(make_machine: MakeMachine) -> int:
    ana, ben = _prepare(make_machine)
    seen, step = _killer(0)
    ana.sync(step=step)
    ben.sync(step=step)
    return len(seen)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0])
def test_killed_at_every_commit_boundary_loses_and_doubles_nothing(
    shared_db: SharedDb, make_machine: MakeMachine, seed: int
) -> None:
    # Small chunks, so a sync has many commit points in both directions.
    from redline.sync import service

    old = service.PUSH_CHUNK, service.SAMPLE_CHUNK, service.PULL_PAGE
    service.PUSH_CHUNK, service.SAMPLE_CHUNK, service.PULL_PAGE = 2, 3, 3
    try:
        total = _count_steps(make_machine)
        assert total >= 20, f"only {total} kill points"
        # 20 kill points spread over push and pull (all of them take over a minute).
        points = sorted(random.Random(seed).sample(range(1, total + 1), 20))
        for at in points:
            with shared_db.admin.begin() as conn:
                conn.execute(
                    text("TRUNCATE review_history, review, sample, batch, audit_event CASCADE")
                )
            ana, ben = _prepare(make_machine)
            seen, step = _killer(at)
            try:
                ana.sync(step=step)
                ben.sync(step=step)
            except Killed:
                pass
            # Re-run both, as after a restart.
            ana.sync()
            ben.sync()
            ana.sync()
            with shared_db.admin.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM sample")).scalar_one() == 9, seen
                assert conn.execute(text("SELECT count(*) FROM review")).scalar_one() == 4, seen
            assert _state(ana) == _state(ben) == (9, 4), seen
    finally:
        service.PUSH_CHUNK, service.SAMPLE_CHUNK, service.PULL_PAGE = old


def _pg_ctl(cluster: object, *args: str) -> None:
    from tests.conftest import _PgProcess

    root = cluster.root  # type: ignore[attr-defined]
    proc = _PgProcess(cluster.bindir)  # type: ignore[attr-defined]
    result = proc.run("pg_ctl", *args, "-D", str(root / "data"), "-w", "-t", "60")
    if result.returncode != 0:  # pragma: no cover
        raise subprocess.CalledProcessError(result.returncode, args, result.stdout, result.stderr)


def test_the_server_stopped_mid_sync_is_a_clear_error_and_the_next_sync_completes(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, ben = _prepare(make_machine)
    cluster = shared_db.cluster
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={cluster.port} "
        f"-c unix_socket_directories={cluster.root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )

    def stop(name: str) -> None:
        if name == "push:sample:after-server-commit":
            _pg_ctl(cluster, "stop", "-m", "fast")

    from redline.sync import service

    old = service.SAMPLE_CHUNK
    service.SAMPLE_CHUNK = 3
    try:
        with pytest.raises(RedlineError) as caught:
            ana.sync(step=stop)
    finally:
        service.SAMPLE_CHUNK = old
        _pg_ctl(cluster, "start", "-l", str(cluster.root / "server.log"), "-o", options)
        # The session's superuser pool holds connections to the stopped server.
        cluster.admin.dispose()
    assert isinstance(caught.value, ConnectionFailed), caught.value
    assert caught.value.kind == "unreachable"
    assert "local store" in caught.value.what
    assert ana.password not in str(caught.value)
    assert _state(ana) == (9, 4)  # local work intact
    ana.sync()
    ben.sync()
    assert _state(ben) == (9, 4)
