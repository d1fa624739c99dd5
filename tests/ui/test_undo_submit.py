"""Ctrl+Z after a submit gives the review back to edit, correction included."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from redline.review.service import ReviewService
from redline.review.types import Verdict
from redline.ui.main_window import MainWindow

from .conftest import MakeWindow

CTRL = Qt.KeyboardModifier.ControlModifier


def _press(
    qtbot: QtBot,
    window: MainWindow,
    key: Qt.Key,
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    qtbot.keyClick(window.focusWidget() or window, key, mods)


def test_undo_after_submit_brings_the_review_back_as_an_editable_draft(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: object
) -> None:
    window = make_window()
    panel = window.review_panel
    # B, 2, F, a note and a correction, submit.
    _press(qtbot, window, Qt.Key.Key_B)
    _press(qtbot, window, Qt.Key.Key_2)
    _press(qtbot, window, Qt.Key.Key_F)
    _press(qtbot, window, Qt.Key.Key_N)
    qtbot.waitUntil(panel.note_edit.hasFocus)
    qtbot.keyClicks(panel.note_edit, "misses the link")
    _press(qtbot, window, Qt.Key.Key_Escape)
    _press(qtbot, window, Qt.Key.Key_E)
    qtbot.waitUntil(panel.correction_edit.hasFocus)
    qtbot.keyClick(panel.correction_edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(panel.correction_edit, "Open Settings, then Security.")
    with qtbot.waitSignal(window.controller.sample_shown) as shown:
        _press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert shown.args == [sample_ids[1]]

    # Ctrl+Z: back on it, everything as entered, to be changed.
    with qtbot.waitSignal(window.controller.sample_shown) as shown:
        _press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert shown.args == [sample_ids[0]]
    assert panel.verdict() == Verdict.BAD
    assert panel.rating() == 2
    assert panel.flag_box.isChecked()
    assert panel.note_edit.toPlainText() == "misses the link"
    assert panel.correction() == "Open Settings, then Security."
    assert any(s.kind == "insert" for s in panel.diff_view.segments)
    assert panel.isEnabled()
    assert "draft" in window.statusBar().currentMessage()
    service = ReviewService(window.engine, reviewer="Ada", device="test-laptop")
    assert service.current_review(sample_ids[0]) is None  # withdrawn, not reviewed

    # Change the rating and submit again: the edited review is stored.
    qtbot.waitUntil(lambda: window.focusWidget() is window.queue_view)
    _press(qtbot, window, Qt.Key.Key_3)
    with qtbot.waitSignal(window.controller.review_submitted):
        _press(qtbot, window, Qt.Key.Key_Return, CTRL)
    state = service.current_review(sample_ids[0])
    assert state is not None
    assert (state.verdict, state.rating, state.flagged, state.note, state.correction) == (
        Verdict.BAD, 3, True, "misses the link", "Open Settings, then Security.",
    )  # fmt: skip
    assert service.load_draft(sample_ids[0]) is None
