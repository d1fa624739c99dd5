"""The Export workspace, driven by clicks and keys: live count, preview, export, cancel."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from tests.export.helpers import add_batch, add_review, add_sample, corrected_samples
from tests.ui.helpers import cell

import redline.ui.export.page as export_page
from redline.export.service import run_export
from redline.progress import Progress
from redline.ui.export.page import ExportPage

PII_INPUT = "Please write to maria.garcia@example.es about order 4111 1111 1111 1112"


@pytest.fixture
def reviewed(engine: Engine) -> None:
    corrected_samples(engine, 30)
    sample = add_sample(engine, add_batch(engine), n=500, input_text=PII_INPUT)
    add_review(engine, sample, "ben")


def open_export_page(window: Any, qtbot: QtBot) -> ExportPage:
    tabs: QTabWidget = window.findChild(QTabWidget, "workspaceTabs")
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Export")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    page = window.workspace_page("export")
    assert isinstance(page, ExportPage)
    assert tabs.currentWidget() is page
    qtbot.waitUntil(lambda: page.count_result is not None)
    return page


def set_spin(qtbot: QtBot, spin: Any, value: int) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(value))


def test_filter_preview_and_export_with_clicks(
    make_window: Any, reviewed: None, qtbot: QtBot, tmp_path: Path
) -> None:
    page = open_export_page(make_window(), qtbot)
    assert page.count_label.text() == "31 of 31 reviewed samples would be written"

    # A filter change updates the live count and says why samples are left out.
    set_spin(qtbot, page.agree_spin, 2)
    qtbot.waitUntil(lambda: "fewer than 2 reviewers agree 31" in page.count_label.text())
    assert page.count_label.text().startswith("0 of 31")
    set_spin(qtbot, page.agree_spin, 1)
    qtbot.waitUntil(lambda: page.count_label.text().startswith("31 of 31"))

    # The redaction preview shows the email masked and the non-Luhn order number kept.
    qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.preview is not None)
    assert page.preview_table.rowCount() == 1
    row = [cell(page.preview_table, 0, c).text() for c in range(page.preview_table.columnCount())]
    assert row[1:] == [
        "input",
        "email",
        PII_INPUT,
        "Please write to [EMAIL] about order 4111 1111 1111 1112",
    ]
    assert "email 1" in page.preview_label.text()

    # Export: type the target, click Export, read the result.
    out = tmp_path / "ft.jsonl"
    qtbot.keyClicks(page.path_edit, str(out))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not None, timeout=10_000)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 31
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["written"] == 31
    summary = page.result_view.toPlainText()
    assert "Wrote 31 records" in summary
    assert "Masked: email 1" in summary
    assert f"Manifest: {tmp_path / 'ft.jsonl.manifest.json'}" in summary

    # Exporting again to the same file says so and keeps the file.
    before = out.read_bytes()
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    # A background export on a loaded 2-core CI machine can take more than the 5 s default.
    qtbot.waitUntil(lambda: "exists already" in page.status_label.text(), timeout=20_000)
    assert out.read_bytes() == before
    qtbot.waitUntil(page.export_button.isEnabled)


def test_an_export_with_no_record_shows_why_and_writes_nothing(
    make_window: Any, reviewed: None, qtbot: QtBot, tmp_path: Path
) -> None:
    page = open_export_page(make_window(), qtbot)
    set_spin(qtbot, page.agree_spin, 2)
    qtbot.waitUntil(lambda: page.count_label.text().startswith("0 of 31"))
    qtbot.keyClicks(page.path_edit, str(tmp_path / "ft.jsonl"))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "nothing to export" in page.status_label.text(), timeout=20_000)
    assert page.status_label.text().startswith(
        "Export failed, no file was written: nothing to export: none of the 31 reviewed "
        "samples read can be written (fewer than 2 reviewers agree 31)"
    )
    assert page.result is None
    assert not list(tmp_path.glob("ft*"))
    qtbot.waitUntil(page.export_button.isEnabled)


class _Gate:
    """Holds the export at its first progress report until the test has clicked Cancel."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def run_export(self, *args: Any, progress: Progress, **kwargs: Any) -> Any:
        gate = self

        class Held:
            def update(self, done: int, total: int, text: str = "") -> None:
                progress.update(done, total, text)
                if not gate.reached.is_set():
                    gate.reached.set()
                    gate.release.wait(10)

            def cancelled(self) -> bool:
                return progress.cancelled()

        return run_export(*args, progress=Held(), **kwargs)


@pytest.fixture
def many_reviewed(engine: Engine) -> None:
    corrected_samples(engine, 400)  # more than one progress report


def test_cancel_mid_export_leaves_no_file(
    make_window: Any,
    many_reviewed: None,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = _Gate()
    monkeypatch.setattr(export_page, "run_export", gate.run_export)
    page = open_export_page(make_window(), qtbot)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    page.set_format("parquet")
    qtbot.keyClicks(page.path_edit, str(out_dir / "reviews.parquet"))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(gate.reached.is_set)
    assert page.cancel_button.isEnabled() and not page.export_button.isEnabled()

    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    gate.release.set()
    qtbot.waitUntil(lambda: page.status_label.text() == "Export cancelled: no file was written.")
    qtbot.waitUntil(page.export_button.isEnabled)
    assert page.result is None
    assert list(out_dir.iterdir()) == []
