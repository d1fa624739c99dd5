"""The import dialog: a small JSONL imported with its report, a big one cancelled, and a drop."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, func, select

import redline.ingest.service as ingest_service
from redline.ingest.types import ImportReport, SamplingRule
from redline.progress import Progress
from redline.store.models import Batch, Sample
from redline.ui.dialogs.import_dialog import ImportDialog
from redline.ui.tasks import TaskRunner

from .conftest import MakeWindow


def _write_jsonl(path: Path, count: int, *, bad: int = 0) -> Path:
    lines = [
        json.dumps({"id": f"r{i}", "input": f"question {i}", "output": f"answer {i}",
                    "score": (i % 10) / 10, "model": "m1"})
        for i in range(count)
    ]  # fmt: skip
    for n in range(bad):
        lines.insert(1 + n * 2, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(10_000)


def _dialog(qtbot: QtBot, engine: Engine, runner: TaskRunner, path: Path) -> ImportDialog:
    dialog = ImportDialog(engine=engine, runner=runner, reviewer="Ada", path=path)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_import_a_small_jsonl_and_read_the_report(
    qtbot: QtBot, engine: Engine, runner: TaskRunner, tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "support.jsonl", 6, bad=2)
    dialog = _dialog(qtbot, engine, runner, path)
    with qtbot.waitSignal(dialog.imported, timeout=30_000) as imported:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    report: ImportReport = imported.args[0]
    assert (report.imported, report.bad) == (6, 2)
    qtbot.waitUntil(dialog.close_button.isVisible)
    assert "Imported 6 samples; 2 bad rows" in dialog.status_label.text()
    assert "Bad rows: 2" in dialog.report_view.toPlainText()
    assert "line 2:" in dialog.report_view.toPlainText()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Sample)).scalar_one() == 6
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == ImportDialog.DialogCode.Accepted


def test_one_bad_row_and_one_sample_are_counted_in_the_singular(
    qtbot: QtBot, engine: Engine, runner: TaskRunner, tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "one.jsonl", 1, bad=1)
    dialog = _dialog(qtbot, engine, runner, path)
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.close_button.isVisible)
    assert "Imported 1 sample; 1 bad row, 0 duplicates." in dialog.status_label.text()
    assert "Status: complete" in dialog.report_view.toPlainText()
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)


def test_sampling_choice_becomes_a_rule(qtbot: QtBot, engine: Engine, runner: TaskRunner) -> None:
    dialog = ImportDialog(engine=engine, runner=runner)
    qtbot.addWidget(dialog)
    assert dialog.sampling_rule() == SamplingRule()
    dialog.sampling_combo.setCurrentIndex(dialog.sampling_combo.findData("random"))
    dialog.n_spin.setValue(250)
    assert dialog.sampling_rule() == SamplingRule("random", n=250)
    dialog.sampling_combo.setCurrentIndex(dialog.sampling_combo.findData("stratified"))
    assert dialog.start() is None  # no file, no field: nothing starts
    assert "file" in dialog.status_label.text().lower()


def test_cancel_an_import_midway(
    qtbot: QtBot, engine: Engine, runner: TaskRunner, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Hold the import at its first committed chunk until Cancel was clicked, so the
    # cancel lands mid-way whatever the machine's speed.
    real = ingest_service.import_file
    reached = threading.Event()
    release = threading.Event()

    class Held:
        def __init__(self, inner: Progress) -> None:
            self.inner = inner

        def update(self, done: int, total: int, text: str = "") -> None:
            self.inner.update(done, total, text)
            if text.startswith("importing") and not reached.is_set():
                reached.set()
                release.wait(10)

        def cancelled(self) -> bool:
            return self.inner.cancelled()

    def held_import(path: Path, *, progress: Progress, **kwargs: Any) -> ImportReport:
        return real(path, progress=Held(progress), **kwargs)

    monkeypatch.setattr(ingest_service, "import_file", held_import)
    path = _write_jsonl(tmp_path / "big.jsonl", 12_000)
    dialog = _dialog(qtbot, engine, runner, path)
    task = dialog.start()
    assert task is not None
    qtbot.waitUntil(reached.is_set, timeout=30_000)
    with (
        qtbot.assertNotEmitted(dialog.imported),
        qtbot.waitSignal(task.signals.cancelled, timeout=30_000),
    ):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        release.set()
    qtbot.waitUntil(dialog.close_button.isVisible)
    assert "cancelled" in dialog.status_label.text()
    assert dialog.report is None
    with engine.connect() as conn:
        status = conn.execute(select(Batch.status)).scalar_one()
        imported = conn.execute(select(func.count()).select_from(Sample)).scalar_one()
    assert status == "cancelled"
    assert 0 < imported < 12_000  # the committed chunk stays; the rest never came


def test_dropping_a_file_on_the_window_starts_the_import(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
) -> None:  # fmt: skip
    path = _write_jsonl(tmp_path / "dropped.jsonl", 3)
    window = make_window()
    assert window.queue_model.rowCount() == 0
    asked: list[Path | None] = []

    def ask(_cls: type, parent: Any, *, engine: Engine, runner: TaskRunner, reviewer: str = "",
            path: Path | None = None) -> ImportReport:  # fmt: skip
        asked.append(path)
        assert path is not None
        return ingest_service.import_file(path, engine=engine, imported_by=reviewer)

    monkeypatch.setattr(ImportDialog, "ask", classmethod(ask))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(window.controller.queue_loaded, timeout=10_000):
        window.dropEvent(event)
    assert asked == [path]
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 3)
    qtbot.waitUntil(lambda: window.controller.current is not None)
