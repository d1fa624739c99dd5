"""The Quality workspace: adjudication, patterns into the queue, the weekly report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select
from tests.clock import SetClock
from tests.quality.helpers import NOW, add_batch, add_review, add_samples, planted_store
from tests.ui.conftest import MakeWindow
from tests.ui.helpers import cell, header

from redline.quality.data import TimeRange
from redline.settings import Settings
from redline.store.models import Review
from redline.ui.quality.page import ALL_DIMENSIONS, QualityPage
from redline.ui.quality.report_dialog import ReportRangeDialog, days_to_range

LEAD = Settings(reviewer="Ada", role="lead", device="test-laptop")


def open_quality(qtbot: QtBot, window: Any) -> QualityPage:
    """Bring up the Quality workspace with its key, as a user would."""
    action = window.actions_by_id["view.quality"]
    QTest.keySequence(window, action.shortcut())
    qtbot.waitUntil(lambda: "quality" in window.workspace_pages)
    page = window.workspace_pages["quality"]
    assert isinstance(page, QualityPage)
    qtbot.waitUntil(lambda: page.overview is not None)
    return page


def _disputed_store(engine: Engine) -> Any:
    batch = add_batch(engine)
    disputed, agreed = add_samples(engine, batch, [{"output": "Reset it in Settings."}, {}])
    add_review(engine, disputed, "ana", "good", rating=4)
    add_review(
        engine, disputed, "ben", "bad", rating=2, categories=["hallucination"], note="No such menu"
    )
    add_review(engine, agreed, "ana", "good")
    add_review(engine, agreed, "ben", "good")
    return disputed


def test_a_reviewer_sees_the_disagreement_but_is_not_offered_adjudication(
    qtbot: QtBot, engine: Engine, make_window: MakeWindow
) -> None:
    _disputed_store(engine)
    window = make_window()  # the default settings: role "reviewer"
    page = open_quality(qtbot, window)
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.disagreement_list.rowCount() == 1)
    assert page.reviews_table.columnCount() == 2  # the reviews side by side, as for a lead
    assert not page.adjudication_form.isVisible()
    assert not page.adjudicate_button.isEnabled()
    assert page.lead_only_label.isVisible()
    assert "only leads may adjudicate" in page.lead_only_label.text()
    # Made a lead in the settings (the dialog changes the same object): offered at once.
    page.context.settings.role = "lead"
    page.disagreement_list.clearSelection()
    page.disagreement_list.selectRow(0)
    assert page.adjudication_form.isVisible() and page.adjudicate_button.isEnabled()
    assert not page.lead_only_label.isVisible()


def test_a_lead_settles_a_disagreement(
    qtbot: QtBot, engine: Engine, make_window: MakeWindow
) -> None:
    disputed = _disputed_store(engine)
    window = make_window(settings=LEAD)
    page = open_quality(qtbot, window)
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.disagreement_list.rowCount() == 1)
    assert page.adjudication_form.isVisible() and not page.lead_only_label.isVisible()
    assert page.tabs.tabText(2) == "Disagreements (1)"
    # The reviews side by side: one column per reviewer.
    headers = [header(page.reviews_table, c).text() for c in range(2)]
    assert headers == ["ana", "ben"]
    assert cell(page.reviews_table, 3, 1).text() == "No such menu"
    assert "Reset it in Settings." in page.sample_view.toPlainText()

    page.verdict_combo.setCurrentIndex(page.verdict_combo.findData("bad"))
    page.correction_edit.setFocus()
    qtbot.keyClicks(page.correction_edit, "Open Account, then Security.")
    qtbot.mouseClick(page.adjudicate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.disagreement_list.rowCount() == 0)

    with engine.begin() as conn:
        rows = conn.execute(
            select(
                Review.reviewer,
                Review.verdict,
                Review.adjudicated,
                Review.correction,
                Review.categories,
            )
            .where(Review.sample_id == disputed)
            .order_by(Review.reviewer)
        ).all()
    assert rows == [
        ("Ada", "bad", True, "Open Account, then Security.", ["hallucination"]),
        ("ana", "good", False, None, []),
        ("ben", "bad", False, None, ["hallucination"]),
    ]


def test_a_pattern_opens_its_bad_samples_in_the_queue(
    qtbot: QtBot, engine: Engine, make_window: MakeWindow, clock: SetClock
) -> None:
    clock.set(NOW)  # the page opens on "Last 30 days"
    planted_store(engine, n=120)
    window = make_window()
    page = open_quality(qtbot, window)
    page.tabs.setCurrentIndex(1)
    assert page.overview is not None
    row = next(i for i, p in enumerate(page.overview.patterns) if p.label == "language = de")
    pattern = page.overview.patterns[row]
    assert cell(page.patterns_table, row, 0).text() == "language = de"
    page.patterns_table.setCurrentCell(row, 0)
    page.patterns_table.setFocus()
    qtbot.keyClick(page.patterns_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == len(pattern.sample_ids))
    assert window.filter_bar.selection_label.text().endswith("bad reviews with language = de")
    # Narrowed to one dimension, the table shows only its values, and Enter opens the
    # pattern on that row.
    combo = page.dimension_combo
    assert combo.itemText(0) == ALL_DIMENSIONS
    assert "segment.plan" in [combo.itemText(i) for i in range(combo.count())]
    window.tabs.setCurrentWidget(page)
    combo.setCurrentIndex(combo.findData("code in input"))
    shown = [cell(page.patterns_table, r, 0).text() for r in range(page.patterns_table.rowCount())]
    assert shown and all(text.startswith("code in input = ") for text in shown)
    page.patterns_table.setCurrentCell(0, 0)
    qtbot.keyClick(page.patterns_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.filter_bar.selection_label.text().endswith(shown[0]))
    # Agreement numbers are on the first tab.
    assert "samples reviewed by two or more people" in page.agreement_summary.text()
    assert cell(page.pairs_table, 0, 0).text() == "ana / ben"


def test_the_weekly_report_is_written_with_progress_and_can_be_cancelled(
    qtbot: QtBot,
    engine: Engine,
    make_window: MakeWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planted_store(engine, n=60)
    window = make_window()
    page = open_quality(qtbot, window)
    out = tmp_path / "weekly.html"
    chosen = days_to_range(date(2026, 11, 2), date(2026, 11, 8))  # the planted reviews' week
    monkeypatch.setattr(QualityPage, "ask_report_range", staticmethod(lambda _parent: chosen))
    monkeypatch.setattr(QualityPage, "ask_report_path", staticmethod(lambda _parent: out))
    with qtbot.waitSignal(
        page.context.runner.busy_changed, timeout=20_000, check_params_cb=lambda b: not b
    ):
        qtbot.mouseClick(page.report_button, Qt.MouseButton.LeftButton)
        assert page.progress_bar.isVisible() and page.cancel_button.isVisible()
        assert not page.report_button.isEnabled()
    assert out.exists() and "<h1>Review report" in out.read_text(encoding="utf-8")
    assert page.last_report is not None and page.last_report.period == chosen
    assert page.last_report.overview.reviews > 0
    assert not page.progress_bar.isVisible() and page.report_button.isEnabled()

    cancelled_out = tmp_path / "cancelled.html"
    task = page.write_weekly_report(cancelled_out)
    with qtbot.waitSignal(task.signals.cancelled, timeout=20_000):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert not cancelled_out.exists()
    qtbot.waitUntil(lambda: page.status_label.text() == "Report cancelled")


def test_the_report_range_dialog_defaults_to_the_last_seven_days(qtbot: QtBot) -> None:
    dialog = ReportRangeDialog(today=date(2026, 11, 20))
    qtbot.addWidget(dialog)
    assert (dialog.first_day(), dialog.last_day()) == (date(2026, 11, 14), date(2026, 11, 20))
    assert dialog.message.text() == "7 days, compared with the 7 before"
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    # A last day before the first: OK is off and the dialog says why.
    dialog.until_edit.setFocus()
    dialog.until_edit.setDate(dialog.until_edit.date().addDays(-10))
    assert not ok.isEnabled() and "before the first" in dialog.message.text()
    dialog.until_edit.setDate(dialog.until_edit.date().addDays(12))
    assert ok.isEnabled()
    dialog.open()
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    period = dialog.period()
    assert isinstance(period, TimeRange) and period == days_to_range(
        date(2026, 11, 14), date(2026, 11, 22)
    )
    assert period.since is not None and period.until is not None
    assert (period.until - period.since).days == 9
    # UTC days, whatever the machine's time zone (make test-dates runs this at UTC+14/-10).
    assert period.since == datetime(2026, 11, 14, tzinfo=UTC)
