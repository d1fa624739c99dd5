"""A page's task: its result to the page, a failure to its status line and the error
dialog, progress and cancel to the page; and the review tab's read-ahead cache."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import cast

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from redline.progress import Progress, check
from redline.review.types import Changes, SampleDetail
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.page_tasks import PageTasks
from redline.ui.review.background import LoadedSample
from redline.ui.review.read_ahead import ReadAhead
from redline.ui.tasks import Task, TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(5_000)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[QWidget | None, str, str]]:
    shown: list[tuple[QWidget | None, str, str]] = []

    def ask(cls: type, parent: QWidget | None, exc: BaseException, *, title: str = "") -> None:
        shown.append((parent, str(exc), title))

    monkeypatch.setattr(ErrorDialog, "ask", classmethod(ask))
    return shown


def _explode() -> None:
    raise ValueError("row 3: bad")


def _until_cancelled(gate: threading.Event, *, progress: Progress) -> None:
    done = 0
    while True:
        done += 1
        progress.update(done, 0, f"row {done}")
        check(progress)
        gate.wait(0.002)


def test_the_result_goes_to_the_page_and_a_failure_to_its_line_then_the_dialog(
    qtbot: QtBot, runner: TaskRunner, dialogs: list[tuple[QWidget | None, str, str]]
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    lines: list[str] = []
    tasks = PageTasks(runner, page, title="Prompts", on_failure=lambda e: lines.append(str(e)))
    results: list[object] = []
    ended: list[Task] = []
    task = tasks.run(lambda a, b: a + b, 2, 3, on_success=results.append, on_finished=ended.append)
    qtbot.waitUntil(lambda: ended == [task])
    assert results == [5]
    assert dialogs == []

    failed = tasks.run(_explode, on_success=results.append, title="Cannot decide")
    qtbot.waitUntil(lambda: len(dialogs) == 1)
    assert lines == ["row 3: bad"]
    assert dialogs == [(page, "row 3: bad", "Cannot decide")]
    assert results == [5]
    qtbot.waitUntil(lambda: runner.active_count() == 0)
    assert not failed.signals.dropped


def test_progress_and_cancel_reach_the_page(
    qtbot: QtBot, runner: TaskRunner, dialogs: list[tuple[QWidget | None, str, str]]
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    tasks = PageTasks(runner, page, title="Drift")
    gate = threading.Event()
    progress: list[str] = []
    cancelled: list[bool] = []
    task = tasks.run(
        _until_cancelled, gate, pass_progress=True, on_success=lambda _r: None,
        on_progress=lambda _d, _t, text: progress.append(text),
        on_cancelled=lambda: cancelled.append(True),
    )  # fmt: skip
    qtbot.waitUntil(lambda: bool(progress))
    with qtbot.waitSignal(task.signals.finished):
        task.cancel()
        gate.set()
    assert cancelled == [True]
    assert dialogs == []


def _loaded(sample_id: uuid.UUID) -> LoadedSample:
    # The cache reads only the sample's id.
    detail = cast(SampleDetail, SimpleNamespace(id=sample_id))
    return LoadedSample(detail=detail, review=None, draft=None)


def test_the_read_ahead_never_keeps_a_read_that_raced_a_write() -> None:
    ahead = ReadAhead(keep=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    epoch = ahead.epoch
    ahead.start_reading(a)
    assert not ahead.wanted(a) and ahead.is_reading(a)
    ahead.forget(Changes(frozenset({a})))  # a submit of `a` while it was read
    assert not ahead.is_fresh(_loaded(a), epoch)
    assert ahead.is_fresh(_loaded(b), epoch)  # another sample's read still counts
    ahead.done_reading(a)
    for sample_id in (a, b, c):
        ahead.keep(_loaded(sample_id))
    assert list(ahead.ready) == [b, c]  # the oldest goes beyond the cache's size
    assert ahead.take(b) is not None and ahead.take(b) is None
    ahead.forget(Changes(samples=True))  # an import: every read in flight is stale
    assert dict(ahead.ready) == {}
    assert not ahead.is_fresh(_loaded(c), epoch)
