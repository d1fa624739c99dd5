"""Big imports: the worker process that reads while this process writes, and the score
index built after the inserts. Both must be invisible to the user: the same rows, the
same bad-row report, the same cancel/kill/resume behaviour as an in-process import.

The size thresholds are lowered to 0 here so small files take the big-import paths.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import select as io_select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from tests.ingest.helpers import (
    flat_record,
    problems,
    samples,
    write_csv,
    write_jsonl,
    write_parquet,
)
from typing_extensions import override

from redline.errors import RedlineError
from redline.ingest import service
from redline.ingest.readers import estimate_records, sniff
from redline.ingest.sampling import SamplingPlan
from redline.ingest.service import import_file
from redline.ingest.types import SamplingRule
from redline.progress import Cancelled, CancelToken
from redline.store import bulk
from redline.store.local import open_local_store, open_read_only
from redline.store.models import Batch, ImportProblem, Sample
from redline.store.session import session_scope

RECORDS = 1200


@pytest.fixture
def deferred_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every import (into a store not much bigger) builds the score index at its end."""
    monkeypatch.setattr(service, "DEFER_INDEXES_MIN_ROWS", 0)
    monkeypatch.setattr(service, "CHUNK_RECORDS", 100)


@pytest.fixture
def big_paths(monkeypatch: pytest.MonkeyPatch, deferred_index: None) -> None:
    """Every import also reads in a worker process."""
    monkeypatch.setattr(service, "WORKER_MIN_RECORDS", 0)


def _traffic(path: Path, count: int = RECORDS) -> Path:
    lines: list[Any] = []
    for i in range(count):
        if i % 97 == 0:
            lines.append("{broken")
        elif i % 101 == 0:
            lines.append(flat_record(i, output={"not": "text"}))
        elif i % 3 == 0:
            lines.append(flat_record(i, language=None, input=f"Wie geht das, Frage {i}?"))
        else:
            lines.append(flat_record(i, segments={"plan": "pro"} if i % 5 == 0 else None))
    return write_jsonl(path, lines)


def _content(engine: Engine) -> list[tuple[Any, ...]]:
    """Everything a user sees of the samples (not ids or import times)."""
    return [_seen(s) for s in samples(engine)]


def _seen(s: Sample) -> tuple[Any, ...]:
    return (
        s.external_id, s.content_hash, s.captured_at, s.model, s.prompt_version,
        s.input_text, s.output, s.score, s.language, s.language_guessed, s.segments,
        s.inclusion_prob,
    )  # fmt: skip


def _has_score_index(engine: Engine) -> bool:
    return not bulk.missing_deferred_indexes(engine)


def _no_worker_left() -> None:
    assert multiprocessing.active_children() == []


def test_the_worker_imports_exactly_what_an_in_process_import_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _traffic(tmp_path / "t.jsonl")
    here = open_local_store(tmp_path / "here.sqlite")
    expected = import_file(data, engine=here)

    monkeypatch.setattr(service, "WORKER_MIN_RECORDS", 0)
    there = open_local_store(tmp_path / "there.sqlite")
    report = import_file(data, engine=there)

    _no_worker_left()
    assert (report.imported, report.bad, report.records_read) == (
        expected.imported, expected.bad, expected.records_read
    )  # fmt: skip
    assert report.problems == expected.problems
    assert _content(there) == _content(here)
    assert problems(there) == problems(here)
    # Importing it again adds nothing, through the worker as well.
    again = import_file(data, engine=there)
    assert again.imported == 0
    here.dispose()
    there.dispose()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl.gz-truncated"])
def test_the_worker_reads_every_format_and_reports_like_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    rows = [flat_record(i) for i in range(300)]
    if fmt == "csv":
        data = write_csv(tmp_path / "t.csv", rows)
    elif fmt == "parquet":
        data = write_parquet(tmp_path / "t.parquet", rows)
    else:
        whole = write_jsonl(tmp_path / "whole.jsonl", rows, gz=True).read_bytes()
        data = tmp_path / "t.jsonl.gz"
        data.write_bytes(whole[: len(whole) * 2 // 3])
    here = open_local_store(tmp_path / "here.sqlite")
    expected = import_file(data, engine=here)

    monkeypatch.setattr(service, "WORKER_MIN_RECORDS", 0)
    monkeypatch.setattr(service, "CHUNK_RECORDS", 50)
    there = open_local_store(tmp_path / "there.sqlite")
    report = import_file(data, engine=there)

    assert report.imported == expected.imported > 0
    assert report.problems == expected.problems
    assert _content(there) == _content(here)
    if fmt == "jsonl.gz-truncated":
        [(_line, reason)] = problems(there)
        assert "the file is truncated here" in reason
    here.dispose()
    there.dispose()


def test_a_sampled_import_through_the_worker_makes_the_same_choices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _traffic(tmp_path / "t.jsonl")
    rule = SamplingRule.parse("low-score:200", seed=5)
    here = open_local_store(tmp_path / "here.sqlite")
    import_file(data, engine=here, sampling=rule)

    monkeypatch.setattr(service, "WORKER_MIN_RECORDS", 0)
    there = open_local_store(tmp_path / "there.sqlite")
    import_file(data, engine=there, sampling=rule)

    assert _content(there) == _content(here)
    here.dispose()
    there.dispose()


def test_an_error_in_the_worker_reaches_the_importer_with_its_message(tmp_path: Path) -> None:
    # A JSONL file read as Parquet: the reader fails inside the record loop.
    data = write_jsonl(tmp_path / "t.jsonl", [flat_record(1)])
    job = service._ChunkJob(
        path=data,
        kind=sniff(write_parquet(tmp_path / "real.parquet", [flat_record(1)])),
        skip=0,
        resume_line=0,
        mapping={"input": "input", "output": "output"},
        plan=SamplingPlan(SamplingRule()),
        batch_hex="0" * 32,
        chunk_records=100,
    )
    with pytest.raises(RedlineError) as in_process:
        list(service._chunks(job))
    worker = service._Worker()
    with pytest.raises(RedlineError) as in_worker, worker.chunks(job) as chunks:
        list(chunks)

    assert str(in_worker.value) == str(in_process.value)
    assert "not a readable Parquet file" in str(in_worker.value)
    _no_worker_left()


class _Watch(CancelToken):
    """Notes, at the first chunk, whether the store has its score index; may cancel."""

    def __init__(self, store: Path, cancel_at: int = 0) -> None:
        super().__init__()
        self.store, self.cancel_at = store, cancel_at
        self.updates = 0
        self.index_during_import: bool | None = None

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        if not text.startswith("importing"):
            return
        self.updates += 1
        if self.index_during_import is None:
            reader = open_read_only(self.store)  # another connection, like the GUI's
            try:
                self.index_during_import = not bulk.missing_deferred_indexes(reader)
            finally:
                reader.dispose()
        if self.updates == self.cancel_at:
            self.cancel()


def _low_scores(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(
            select(func.count()).select_from(Sample).where(Sample.score < 0.2)
        ) or 0  # fmt: skip


def test_a_big_import_builds_the_score_index_after_its_inserts(
    engine: Engine, store_path: Path, tmp_path: Path, deferred_index: None
) -> None:
    watch = _Watch(store_path)
    report = import_file(_traffic(tmp_path / "t.jsonl"), engine=engine, progress=watch)

    assert watch.index_during_import is False
    assert _has_score_index(engine)
    assert report.status == "complete"
    expected = sum(1 for s in samples(engine) if s.score is not None and s.score < 0.2)
    assert _low_scores(engine) == expected > 0


def test_a_small_import_into_a_big_store_keeps_the_score_index(
    engine: Engine, store_path: Path, tmp_path: Path, deferred_index: None
) -> None:
    import_file(_traffic(tmp_path / "first.jsonl"), engine=engine)
    watch = _Watch(store_path)
    small = write_jsonl(tmp_path / "small.jsonl", [flat_record(i) for i in range(5000, 5200)])

    import_file(small, engine=engine, progress=watch)

    # 200 rows into a store of ~1,200: updating the index beats rebuilding it.
    assert watch.index_during_import is True


def test_a_cancelled_big_import_puts_the_index_back_and_resumes(
    engine: Engine, store_path: Path, tmp_path: Path, big_paths: None
) -> None:
    data = _traffic(tmp_path / "t.jsonl")
    with pytest.raises(Cancelled):
        import_file(data, engine=engine, progress=_Watch(store_path, cancel_at=3))

    _no_worker_left()
    assert _has_score_index(engine)
    [batch] = _batches(engine)
    assert batch.status == "cancelled"
    assert 0 < batch.rows_imported < RECORDS
    report = import_file(data, engine=engine)
    assert report.resumed and report.status == "complete"
    assert _consistent(engine).rows_bad == len(problems(engine)) > 0


def test_opening_a_store_brings_back_a_missing_score_index(store_path: Path) -> None:
    engine = open_local_store(store_path)
    bulk.drop_deferred_indexes(engine)
    assert not _has_score_index(engine)
    engine.dispose()

    engine = open_local_store(store_path)
    assert _has_score_index(engine)
    engine.dispose()


def _batches(engine: Engine) -> list[Batch]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Batch)))


def _consistent(engine: Engine) -> Batch:
    """The batch's counters describe exactly what is in the store."""
    [batch] = _batches(engine)
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Sample))
        bad = session.scalar(select(func.count()).select_from(ImportProblem))
    assert (batch.rows_imported, batch.rows_bad) == (stored, bad)
    assert batch.records_read == batch.rows_imported + batch.rows_duplicate + batch.rows_bad
    return batch


CHILD = textwrap.dedent(
    """
    import multiprocessing, os, signal, sys
    from pathlib import Path
    from redline.ingest import service
    from redline.progress import CancelToken
    from redline.store.local import open_local_store, open_read_only

    service.CHUNK_RECORDS = 100
    service.WORKER_MIN_RECORDS = 0
    service.DEFER_INDEXES_MIN_ROWS = 0
    kill_at = int(sys.argv[3])

    class KillAt(CancelToken):
        calls = 0
        def update(self, done, total, text=""):
            KillAt.calls += 1
            if KillAt.calls == kill_at:
                pids = [p.pid for p in multiprocessing.active_children()]
                print(" ".join(map(str, pids)), flush=True)
                os.kill(os.getpid(), signal.SIGKILL)

    if __name__ == "__main__":
        engine = open_local_store(Path(sys.argv[1]))
        service.import_file(Path(sys.argv[2]), engine=engine, progress=KillAt())
        print("finished without being killed")
    """
)


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until a process (not our child: the killed import's) has exited."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        # A pidfd turns readable when its process exits.
        return bool(io_select.select([handle], [], [], timeout)[0])
    finally:
        os.close(handle)


# Updates: the file check, then one per chunk of 100 (12 here): killed before the first
# commit, between commits (index dropped), and at the end.
@pytest.mark.parametrize("kill_at", [2, 7, 13])
def test_kill_9_during_a_big_import_leaves_no_worker_and_a_healed_resumable_store(
    store_path: Path, tmp_path: Path, kill_at: int
) -> None:
    data = _traffic(tmp_path / "t.jsonl")
    script = tmp_path / "child.py"  # a file: the worker's spawn re-reads the main module
    script.write_text(CHILD)
    child = subprocess.run(
        [sys.executable, str(script), str(store_path), str(data), str(kill_at)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    workers = [int(pid) for pid in child.stdout.split()]
    assert workers, "the import ran without its worker process"
    assert all(_wait_gone(pid, 30) for pid in workers), "the worker outlived the killed import"

    engine = open_local_store(store_path)
    try:
        assert _has_score_index(engine)
        report = import_file(data, engine=engine)
        assert report.status == "complete"
        batch = _consistent(engine)
        assert batch.rows_duplicate == 0
        assert batch.rows_imported + batch.rows_bad == RECORDS
    finally:
        engine.dispose()


def test_estimate_records_is_close_for_every_format(tmp_path: Path) -> None:
    rows = [flat_record(i) for i in range(20_000)]
    plain = write_jsonl(tmp_path / "t.jsonl", rows)
    zipped = tmp_path / "t.jsonl.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    parquet = write_parquet(tmp_path / "t.parquet", rows[:500])

    assert 19_800 < estimate_records(plain, sniff(plain)) < 20_200  # from its first 4 MB
    assert 15_000 < estimate_records(zipped, sniff(zipped)) < 25_000
    assert estimate_records(parquet, sniff(parquet)) == 500
    one = write_jsonl(tmp_path / "one.jsonl", [json.dumps(flat_record(1))])
    assert estimate_records(one, sniff(one)) == 1
