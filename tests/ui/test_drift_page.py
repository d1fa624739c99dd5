"""The Drift workspace on the demo data with one planted shift: it renders, flags exactly
that slice, and hands the drifted samples to the review queue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from tests.analytics.drift_demo import PlantedDemo, planted_drift_demo
from tests.clock import SetClock
from tests.ui.conftest import MakeWindow
from tests.ui.helpers import cell

from redline.ui.drift.page import DriftPage
from redline.ui.workspaces import WORKSPACES


def _qdate(moment) -> QDate:  # type: ignore[no-untyped-def]
    return QDate(moment.year, moment.month, moment.day)


def _open_page(qtbot: QtBot, make_window: MakeWindow) -> tuple[Any, DriftPage]:
    window = make_window()
    index = 1 + next(i for i, spec in enumerate(WORKSPACES) if spec.key == "drift")
    qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + index + 1), Qt.KeyboardModifier.ControlModifier)
    page = window.workspace_pages["drift"]
    assert isinstance(page, DriftPage)
    qtbot.waitUntil(lambda: page.report is not None, timeout=20_000)
    return window, page


def _measure(qtbot: QtBot, page: DriftPage, planted: PlantedDemo) -> None:
    page.since_edit.setDate(_qdate(planted.since))
    page.reference_start_edit.setDate(_qdate(planted.reference_start))
    page.reference_end_edit.setDate(_qdate(planted.since - timedelta(days=1)))
    previous = page.report
    qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.report is not previous, timeout=20_000)


def test_the_view_flags_exactly_the_planted_slice(
    qtbot: QtBot, make_window: MakeWindow, engine: Engine, tmp_path: Path, clock: SetClock
) -> None:
    planted = planted_drift_demo(engine, tmp_path / "demo", clock)
    window, page = _open_page(qtbot, make_window)
    _measure(qtbot, page, planted)

    assert page.table.rowCount() == 1
    cells = [cell(page.table, 0, c).text() for c in range(page.table.columnCount())]
    assert cells[0] == "● alert"
    assert cells[2:4] == ["score distribution", "prompt summarizer v2"]
    assert "shifted down" in cells[5] and "review the threshold" in cells[5]
    # The plots are drawn from the report: four axes, the reference first.
    axes = page.figure.get_axes()
    assert len(axes) == 4
    assert axes[2].get_xticklabels()[0].get_text() == "ref"
    assert axes[0].get_title() == "production score"
    # The sampling suggestion for the next import, honest about what else it takes.
    assert "--sample band:0.00-" in page.suggestion_label.text()
    assert "No rule selects prompt summarizer v2 alone" in page.suggestion_label.text()

    # The studio link follows the studio: disabled with a reason while it is not built.
    if any(spec.key == "studio" for spec in WORKSPACES):
        assert page.studio_button.isEnabled()
    else:
        assert not page.studio_button.isEnabled()
        assert "not part of this build" in page.studio_button.toolTip()

    qtbot.mouseClick(page.queue_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentIndex() == 0
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == planted.shifted, timeout=10_000)
    assert "prompt summarizer v2" in window.filter_bar.selection_label.text()
