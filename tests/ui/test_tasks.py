"""The task runner: results, failures, cancel and latest-wins reach the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from redline.progress import Progress, check
from redline.ui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(5_000)
    qtbot.waitUntil(lambda: runner.active_count() == 0)


def _add(a: int, b: int) -> int:
    return a + b


def _explode() -> None:
    raise ValueError("row 3: bad")


def _count_until_cancelled(gate: threading.Event, *, progress: Progress) -> int:
    done = 0
    while True:
        done += 1
        progress.update(done, 0, f"row {done}")
        check(progress)
        # Event.wait, not sleep: wakes at once when the test opens the gate.
        gate.wait(0.002)


def test_success_delivers_the_result_on_the_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    results: list[tuple[object, QThread]] = []
    with qtbot.waitSignal(runner.busy_changed) as busy:
        task = runner.submit(_add, 2, 3)
    assert busy.args == [True]
    task.signals.succeeded.connect(lambda r: results.append((r, QThread.currentThread())))
    with qtbot.waitSignals(
        [task.signals.started, task.signals.succeeded, task.signals.finished], order="strict"
    ):
        pass
    assert results == [(5, QThread.currentThread())]
    qtbot.waitUntil(lambda: runner.active_count() == 0)


def test_failure_delivers_the_exception(qtbot: QtBot, runner: TaskRunner) -> None:
    task = runner.submit(_explode, write=True)
    with (
        qtbot.assertNotEmitted(task.signals.succeeded),
        qtbot.waitSignal(task.signals.failed) as failed,
    ):
        pass
    (exc,) = failed.args
    assert isinstance(exc, ValueError)
    assert str(exc) == "row 3: bad"


def test_cancel_midway_emits_cancelled_and_no_result(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    task = runner.submit(_count_until_cancelled, gate, pass_progress=True, write=True)
    with qtbot.waitSignal(task.signals.progress) as progress:
        pass
    assert progress.args[0] >= 1
    assert progress.args[2].startswith("row ")
    with (
        qtbot.assertNotEmitted(task.signals.succeeded),
        qtbot.assertNotEmitted(task.signals.failed),
        qtbot.waitSignals([task.signals.cancelled, task.signals.finished], order="strict"),
    ):
        task.cancel()
    gate.set()


def test_latest_wins_superseded_task_delivers_nothing(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    first = runner.submit(_count_until_cancelled, gate, key="queue-snapshot", pass_progress=True)
    with qtbot.waitSignal(first.signals.started):
        pass
    with (
        qtbot.assertNotEmitted(first.signals.succeeded, wait=50),
        qtbot.assertNotEmitted(first.signals.cancelled, wait=50),
        qtbot.assertNotEmitted(first.signals.finished, wait=50),
        qtbot.assertNotEmitted(first.signals.progress, wait=50),
    ):
        second = runner.submit(_add, 1, 1, key="queue-snapshot")
        with qtbot.waitSignal(second.signals.succeeded) as result:
            pass
        qtbot.waitUntil(lambda: runner.active_count() == 0)
    assert result.args == [2]
    assert first.is_cancelled()
    gate.set()


def test_queued_write_is_never_started_when_superseded(qtbot: QtBot, runner: TaskRunner) -> None:
    gate = threading.Event()
    blocker = runner.submit(_count_until_cancelled, gate, write=True, pass_progress=True)
    with qtbot.waitSignal(blocker.signals.started):
        pass
    queued = runner.submit(_add, 1, 2, key="draft", write=True)
    latest = runner.submit(_add, 3, 4, key="draft", write=True)
    with (
        qtbot.assertNotEmitted(queued.signals.started, wait=50),
        qtbot.waitSignal(latest.signals.succeeded) as result,
    ):
        blocker.cancel()
    assert result.args == [7]
    gate.set()


def test_progress_is_throttled(qtbot: QtBot, runner: TaskRunner) -> None:
    def burst(*, progress: Progress) -> None:
        for i in range(1, 100_001):
            progress.update(i, 100_000)

    reports: list[int] = []
    task = runner.submit(burst, pass_progress=True)
    task.signals.progress.connect(lambda done, _total, _text: reports.append(done))
    with qtbot.waitSignal(task.signals.finished):
        pass
    # A few reports at most, and the last one says "all done".
    assert 1 <= len(reports) < 1000
    assert reports[-1] == 100_000
