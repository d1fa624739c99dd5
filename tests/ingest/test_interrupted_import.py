"""A cancel, a crash or a kill -9 during import leaves the store consistent and resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.ingest.helpers import flat_record, samples, write_jsonl
from typing_extensions import override

from redline.ingest import service
from redline.ingest.service import import_file
from redline.ingest.types import SamplingRule
from redline.progress import Cancelled, CancelToken
from redline.store.local import open_local_store
from redline.store.models import Batch, ImportProblem, Sample
from redline.store.session import session_scope

RECORDS = 1200
BAD_EVERY = 97  # some bad lines, so the bad-row report must not double either


def _traffic(path: Path) -> Path:
    lines = [
        "{broken" if i % BAD_EVERY == 0 else json.dumps(flat_record(i)) for i in range(RECORDS)
    ]
    return write_jsonl(path, lines)


def _bad_lines() -> int:
    return len(range(0, RECORDS, BAD_EVERY))


def _assert_consistent(engine: Engine) -> Batch | None:
    """The batch's counters describe exactly what is in the store (or there is none)."""
    with session_scope(engine) as session:
        found = session.scalars(select(Batch)).all()
        if not found:
            assert session.scalar(select(func.count()).select_from(Sample)) == 0
            return None
        [batch] = found
        in_store = session.scalar(
            select(func.count()).select_from(Sample).where(Sample.batch_id == batch.id)
        )
        problems = session.scalar(
            select(func.count()).select_from(ImportProblem)
            .where(ImportProblem.batch_id == batch.id)
        )  # fmt: skip
    assert batch.rows_imported == in_store
    assert batch.rows_bad == problems
    assert batch.records_read == (
        batch.rows_imported + batch.rows_duplicate + batch.rows_bad + batch.rows_not_sampled
    )
    return batch


class _CancelAfter(CancelToken):
    def __init__(self, updates: int) -> None:
        super().__init__()
        self.left = updates

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        if text.startswith("importing"):
            self.left -= 1
            if self.left == 0:
                self.cancel()


def test_cancel_leaves_a_consistent_batch_that_the_next_import_completes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CHUNK_RECORDS", 100)
    path = _traffic(tmp_path / "t.jsonl")

    with pytest.raises(Cancelled):
        import_file(path, engine=engine, progress=_CancelAfter(3))
    batch = _assert_consistent(engine)
    assert batch is not None
    assert batch.status == "cancelled"
    assert 0 < batch.rows_imported < RECORDS - _bad_lines()

    report = import_file(path, engine=engine)

    assert report.resumed
    assert report.status == "complete"
    batch = _assert_consistent(engine)
    assert batch is not None
    assert batch.rows_imported == RECORDS - _bad_lines()
    assert (batch.rows_duplicate, batch.rows_bad) == (0, _bad_lines())


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from redline.ingest import service
    from redline.ingest.types import SamplingRule
    from redline.progress import CancelToken
    from redline.store.local import open_local_store

    service.CHUNK_RECORDS = 100
    kill_at = int(sys.argv[3])

    class KillAt(CancelToken):
        calls = 0
        def update(self, done, total, text=""):
            KillAt.calls += 1
            if KillAt.calls == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    engine = open_local_store(Path(sys.argv[1]))
    service.import_file(Path(sys.argv[2]), engine=engine,
                        sampling=SamplingRule.parse(sys.argv[4], seed=3), progress=KillAt())
    print("finished without being killed")
    """
)


def _kill_during_import(store: Path, data: Path, kill_at: int, rule: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), str(data), str(kill_at), rule],
        check=False,  # the expected outcome is death by SIGKILL
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr


# Progress updates are: file checks, then one per chunk (12 chunks of 100 here), so these
# kill points fall before the first commit, between commits, and near the end.
@pytest.mark.parametrize("kill_at", [1, 2, 4, 7, 11, 13])
def test_kill_9_during_import_loses_and_doubles_nothing(
    store_path: Path, tmp_path: Path, kill_at: int
) -> None:
    data = _traffic(tmp_path / "t.jsonl")
    _kill_during_import(store_path, data, kill_at, "all")

    engine = open_local_store(store_path)
    try:
        interrupted = _assert_consistent(engine)
        if kill_at > 1:  # the first update is the file check, before the batch exists
            assert interrupted is not None
            assert interrupted.status == "importing"
            assert interrupted.rows_imported < RECORDS - _bad_lines()
        report = import_file(data, engine=engine)
        assert report.resumed == (interrupted is not None)
        batch = _assert_consistent(engine)
        assert batch is not None
        assert batch.rows_imported == RECORDS - _bad_lines()
        assert batch.rows_bad == _bad_lines()
        assert batch.rows_duplicate == 0
        assert report.status == "complete"
    finally:
        engine.dispose()


@pytest.mark.parametrize("kill_at", [3, 16, 20])
def test_kill_9_during_a_sampled_import_resumes_with_the_same_choices(
    store_path: Path, tmp_path: Path, kill_at: int
) -> None:
    data = _traffic(tmp_path / "t.jsonl")
    rule = SamplingRule.parse("random:300", seed=3)
    reference = open_local_store(tmp_path / "reference.sqlite")
    import_file(data, engine=reference, sampling=rule)
    expected = {s.external_id for s in samples(reference)}
    reference.dispose()

    _kill_during_import(store_path, data, kill_at, "random:300")
    engine = open_local_store(store_path)
    try:
        _assert_consistent(engine)
        import_file(data, engine=engine, sampling=rule)
        batch = _assert_consistent(engine)
        assert batch is not None
        assert {s.external_id for s in samples(engine)} == expected
        assert batch.rows_imported == 300
    finally:
        engine.dispose()
