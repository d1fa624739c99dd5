"""The review workstation driven as a reviewer drives it: keys, clicks, a store on disk."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QScrollArea, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select

from redline.review.service import ReviewService
from redline.review.types import ReviewInput, Verdict
from redline.settings import Settings
from redline.store.models import Review, ReviewHistory
from redline.ui.main_window import MainWindow
from redline.ui.models.queue_model import Column

from .conftest import MakeWindow


def _shown(window: MainWindow) -> uuid.UUID | None:
    return window.controller.current.detail.id if window.controller.current is not None else None


def _press(
    qtbot: QtBot,
    window: MainWindow,
    key: Qt.Key,
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    widget = window.focusWidget() or window
    qtbot.keyClick(widget, key, mods)


def test_window_opens_on_the_first_unreviewed_sample(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    assert _shown(window) == sample_ids[0]
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 25)
    qtbot.waitUntil(lambda: window.progress_label.text() == "0 of 25 reviewed in this batch")
    assert window.reviewer_label.text() == "Reviewing as Ada"
    assert "question" not in window.sample_view.output.toPlainText()
    assert window.queue_view.hasFocus() or window.focusWidget() is window.queue_view
    # The correction starts as the output; with nothing changed the diff pane stays
    # empty (the output is in the sample view already) and says so.
    panel = window.review_panel
    assert window.controller.current is not None
    assert panel.correction_edit.toPlainText() == window.controller.current.detail.output
    assert panel.correction() is None
    assert panel.diff_view.toPlainText() == "" and panel.diff_summary.text() == "no changes"
    assert "No changes" in panel.diff_view.placeholderText()


def test_panes_follow_the_window_and_guidelines_render_when_their_dock_opens(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    window.resize(1200, 800)
    qtbot.waitUntil(lambda: window.sample_view.width() > 0)
    narrow = window.sample_view.width() + window.review_panel.width()
    window.resize(1600, 800)
    qtbot.waitUntil(lambda: window.sample_view.width() + window.review_panel.width() > narrow)
    assert window.review_panel.height() > 0.8 * window.sample_view.height() > 0

    pane = window.guidelines_pane
    qtbot.waitUntil(
        lambda: pane.guidelines is not None and pane.guidelines.prompt_name == "support"
    )
    assert not window.guidelines_dock.isVisible()
    window.actions_by_id["view.guidelines"].trigger()
    qtbot.waitUntil(window.guidelines_dock.isVisible)
    assert "Review guidelines" in pane.view.toPlainText()


CORRECTION = "Open Settings, then Security, and click Reset password."


def test_review_twenty_correct_one_undo_one_and_find_it_all_in_a_new_window(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    window = make_window()
    expected: dict[uuid.UUID, tuple[Verdict, int]] = {}
    for i in range(20):
        assert _shown(window) == sample_ids[i]
        verdict = Verdict.BAD if i % 3 == 0 else Verdict.GOOD
        rating = 1 + i % 5
        _press(qtbot, window, Qt.Key.Key_B if verdict == Verdict.BAD else Qt.Key.Key_G)
        _press(qtbot, window, Qt.Key(Qt.Key.Key_0 + rating))
        assert window.review_panel.verdict() == verdict
        assert window.review_panel.rating() == rating
        with qtbot.waitSignal(window.controller.sample_shown, timeout=5_000) as shown:
            _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert shown.args == [sample_ids[i + 1]]
        expected[sample_ids[i]] = (verdict, rating)
    qtbot.waitUntil(lambda: window.progress_label.text() == "20 of 25 reviewed in this batch")

    # Correct the 21st: B, 2, E, replace the output, watch the diff, submit from the editor.
    _press(qtbot, window, Qt.Key.Key_B)
    _press(qtbot, window, Qt.Key.Key_2)
    _press(qtbot, window, Qt.Key.Key_E)
    editor = window.review_panel.correction_edit
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, CORRECTION)
    assert editor.toPlainText() == CORRECTION
    assert window.review_panel.verdict() == Verdict.BAD  # typing "B"/"E" changed nothing
    diff = window.review_panel.diff_view
    qtbot.waitUntil(lambda: any(s.kind == "insert" for s in diff.segments))
    assert any(s.kind == "delete" and "reset" in s.text for s in diff.segments)
    assert "Security" in diff.toPlainText()
    with qtbot.waitSignal(window.controller.sample_shown) as shown:
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert shown.args == [sample_ids[21]]
    expected[sample_ids[20]] = (Verdict.BAD, 2)

    # Review the 22nd, then undo it: the window goes back to it, the review a draft again.
    qtbot.waitUntil(lambda: window.focusWidget() is window.queue_view)
    _press(qtbot, window, Qt.Key.Key_G)
    _press(qtbot, window, Qt.Key.Key_5)
    with qtbot.waitSignal(window.controller.sample_shown):
        _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.controller.sample_shown) as shown:
        _press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert shown.args == [sample_ids[21]]
    assert window.review_panel.verdict() == Verdict.GOOD
    assert window.review_panel.rating() == 5
    qtbot.waitUntil(lambda: window.progress_label.text() == "21 of 25 reviewed in this batch")
    window.close()

    # Everything is in the store ...
    with engine.connect() as conn:
        # An undone first submit leaves a tombstone (deleted), which is no review.
        live = select(Review).where(Review.deleted.is_(False))
        reviews = {r.sample_id: r for r in conn.execute(live).all()}
        undone = (
            conn.execute(select(ReviewHistory.sample_id).where(ReviewHistory.reason == "undo"))
            .scalars()
            .all()
        )
    assert {sid: (Verdict(r.verdict), r.rating) for sid, r in reviews.items()} == expected
    assert reviews[sample_ids[20]].correction == CORRECTION
    assert all(r.correction is None for sid, r in reviews.items() if sid != sample_ids[20])
    assert all(r.reviewer == "Ada" and r.device == "test-laptop" for r in reviews.values())
    assert sum(r.time_spent_ms for r in reviews.values()) > 0
    assert undone == [sample_ids[21]]

    # ... and a new window on the same store shows it.
    again = make_window()
    qtbot.waitUntil(lambda: again.queue_model.rowCount() == 4)  # the unreviewed ones
    assert _shown(again) == sample_ids[21]
    with qtbot.waitSignal(again.controller.queue_loaded):
        again.filter_bar.set_status("all")
    assert again.queue_model.rowCount() == 25
    row = again.queue_model.row_of_rowid(again.queue_model.rowid_at(20) or -1)
    assert row == 20
    with qtbot.waitSignal(again.controller.sample_shown) as shown:
        again.queue_view.setCurrentIndex(again.queue_model.index(20, 0))
    assert shown.args == [sample_ids[20]]
    assert again.review_panel.verdict() == Verdict.BAD
    assert again.review_panel.rating() == 2
    assert again.review_panel.correction() == CORRECTION
    assert any(s.kind == "insert" for s in again.review_panel.diff_view.segments)
    assert again.queue_model.row_at(20).verdict == Verdict.BAD


def test_typing_g_in_the_note_does_not_set_the_verdict(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    _press(qtbot, window, Qt.Key.Key_N)
    note = window.review_panel.note_edit
    qtbot.waitUntil(note.hasFocus)
    qtbot.keyClicks(note, "good grief, j k 5")
    assert note.toPlainText() == "good grief, j k 5"
    assert window.review_panel.verdict() is None
    assert window.review_panel.rating() is None
    assert _shown(window) == sample_ids[0]
    # Escape leaves the field; then G is a verdict again.
    _press(qtbot, window, Qt.Key.Key_Escape)
    qtbot.waitUntil(window.queue_view.hasFocus)
    _press(qtbot, window, Qt.Key.Key_G)
    assert window.review_panel.verdict() == Verdict.GOOD


def test_search_field_typing_does_not_trigger_shortcuts(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    _press(qtbot, window, Qt.Key.Key_Slash)
    search = window.filter_bar.search_edit
    qtbot.waitUntil(search.hasFocus)
    # The search's queue is a part of the store (the first queue may still be loading).
    with qtbot.waitSignal(
        window.controller.queue_loaded, timeout=5_000, check_params_cb=lambda n: n < len(sample_ids)
    ):
        qtbot.keyClicks(search, "ticket 7")
    assert search.text() == "ticket 7"
    assert window.review_panel.verdict() is None
    qtbot.waitUntil(lambda: window.queue_model.rowCount() >= 1)
    assert all(
        "ticket 7" in (window.queue_model.row_at(r).input_preview)
        for r in range(window.queue_model.rowCount())
    )


def test_a_draft_is_restored_in_a_new_window(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine,
    reviewer: Settings,
) -> None:  # fmt: skip
    window = make_window()
    _press(qtbot, window, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: _shown(window) == sample_ids[1])
    _press(qtbot, window, Qt.Key.Key_U)
    _press(qtbot, window, Qt.Key.Key_3)
    _press(qtbot, window, Qt.Key.Key_F)
    _press(qtbot, window, Qt.Key.Key_N)
    qtbot.keyClicks(window.review_panel.note_edit, "needs a lead's eye")
    # Destroyed before the autosave timer fired and without a submit.
    window.close()
    service = ReviewService(engine, reviewer="Ada", device="x")
    draft = service.load_draft(sample_ids[1])
    assert draft is not None
    assert service.current_review(sample_ids[1]) is None

    again = make_window()
    assert _shown(again) == sample_ids[0]
    with qtbot.waitSignal(again.controller.sample_shown):
        _press(qtbot, again, Qt.Key.Key_J)
    panel = again.review_panel
    assert panel.verdict() == Verdict.UNSURE
    assert panel.rating() == 3
    assert panel.flag_box.isChecked()
    assert panel.note_edit.toPlainText() == "needs a lead's eye"
    assert panel.draft_label.text() == "Draft restored"


def test_autosave_writes_the_draft_while_reviewing(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    window = make_window()
    with qtbot.waitSignal(window.controller.draft_saved, timeout=5_000) as saved:
        _press(qtbot, window, Qt.Key.Key_G)
    assert saved.args == [sample_ids[0]]
    assert window.review_panel.draft_label.text() == "Draft saved"
    draft = ReviewService(engine, reviewer="Ada", device="x").load_draft(sample_ids[0])
    assert draft is not None
    assert draft.verdict == Verdict.GOOD


def test_submit_needs_a_verdict_and_navigation_keys_move(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    with qtbot.assertNotEmitted(window.controller.review_submitted, wait=100):
        _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "verdict" in window.statusBar().currentMessage()
    for key, index in ((Qt.Key.Key_J, 1), (Qt.Key.Key_J, 2), (Qt.Key.Key_K, 1), (Qt.Key.Key_S, 2)):
        with qtbot.waitSignal(window.controller.sample_shown) as shown:
            _press(qtbot, window, key)
        assert shown.args == [sample_ids[index]]


def test_cheat_sheet_opens_from_question_mark(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], monkeypatch: object
) -> None:
    from redline.ui.dialogs.shortcuts import ShortcutsDialog

    opened: list[object] = []
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(ShortcutsDialog, "ask", classmethod(lambda cls, parent=None: opened.append(parent)))
    try:
        window = make_window()
        _press(qtbot, window, Qt.Key.Key_Question)
    finally:
        mp.undo()
    assert opened == [window]


def test_empty_store_shows_the_empty_state(
    qtbot: QtBot, make_window: MakeWindow, store_path: Path
) -> None:
    window = make_window()
    assert window.queue_model.rowCount() == 0
    assert window.sample_view.empty_label.isVisibleTo(window.sample_view)
    assert not window.review_panel.isEnabled()


def test_signal_variant_and_batch_filters_narrow_the_queue(
    qtbot: QtBot, make_window: MakeWindow, engine: Engine, sample_ids: list[uuid.UUID]
) -> None:
    from sqlalchemy import update
    from tests.builders import add_batch

    from redline.store.models import Sample

    from .conftest import add_samples

    second = add_batch(engine, source="billing-bot")
    later = add_samples(engine, 5, second)
    with engine.begin() as conn:
        conn.execute(update(Sample).where(Sample.id.in_(later[:2])).values(variant="B"))
    window = make_window()
    bar = window.filter_bar
    qtbot.waitUntil(lambda: bar.batch_combo.count() == 3 and bar.variant_combo.count() == 2)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 30)

    # Thumbs down on every 7th sample of each batch: 0, 7, 14, 21 and the second batch's 0.
    bar.signal_combo.setCurrentIndex(bar.signal_combo.findData("thumbs_down"))
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 5)
    bar.batch_combo.setCurrentIndex(bar.batch_combo.findData(str(second)))
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1)
    qtbot.waitUntil(lambda: _shown(window) == later[0])

    bar.signal_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 5)
    bar.variant_combo.setCurrentIndex(1)
    assert "B" in bar.variant_combo.currentText()
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 2)


def test_a_selection_from_another_workspace_shows_exactly_those_samples(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 25)
    chosen = frozenset(sample_ids[3:6])
    with qtbot.waitSignal(window.controller.queue_loaded, timeout=5_000):
        window.show_selection(chosen, "three disputed samples")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 3)
    assert window.tabs.currentIndex() == 0
    label = window.filter_bar.selection_label
    assert label.isVisibleTo(window) and "three disputed samples" in label.text()
    qtbot.waitUntil(lambda: _shown(window) == sample_ids[3])
    qtbot.mouseClick(window.filter_bar.selection_clear, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 25)
    assert not label.isVisibleTo(window)


def test_keys_pressed_while_a_sample_loads_are_applied_to_it(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 25)
    window.controller.read_ahead.clear()  # nothing read ahead: J has to load the next sample
    with qtbot.waitSignal(window.controller.sample_shown, timeout=5_000) as shown:
        _press(qtbot, window, Qt.Key.Key_J)
        assert window.controller.loading_sample_id == sample_ids[1]
        # A fast reviewer types on before the sample is there.
        for key in (Qt.Key.Key_B, Qt.Key.Key_2):
            _press(qtbot, window, key)
    assert shown.args == [sample_ids[1]]
    assert window.review_panel.verdict() == Verdict.BAD
    assert window.review_panel.rating() == 2
    window.controller.read_ahead.clear()
    with qtbot.waitSignal(window.controller.review_submitted, timeout=5_000):
        _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        # Keys for the next sample while it loads (and the submit commits).
        _press(qtbot, window, Qt.Key.Key_G)
    qtbot.waitUntil(lambda: _shown(window) == sample_ids[2])
    assert window.review_panel.verdict() == Verdict.GOOD
    state = ReviewService(engine, reviewer="Ada", device="x").current_review(sample_ids[1])
    assert state is not None and (state.verdict, state.rating) == (Verdict.BAD, 2)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_spent_stops_while_the_window_is_inactive_or_idle(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    from PySide6.QtWidgets import QWidget

    from redline.ui.review.time_spent import IDLE_AFTER_S

    window = make_window()
    clock = FakeClock()
    window.controller.clock.source = clock
    window.controller.clock.restart(0)
    clock.now += 20  # reading
    _press(qtbot, window, Qt.Key.Key_G)
    assert window.controller.time_spent_ms() == 20_000

    # Another window in front: the clock stops until Redline is active again.
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    clock.now += 600
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.controller.time_spent_ms() == 20_000
    other.close()

    # Gone for an hour without a key: only IDLE_AFTER_S of it counts.
    clock.now += 3600
    _press(qtbot, window, Qt.Key.Key_3)
    assert window.controller.time_spent_ms() == int((20 + IDLE_AFTER_S) * 1000)
    with qtbot.waitSignal(window.controller.review_submitted, timeout=5_000):
        _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    state = ReviewService(engine, reviewer="Ada", device="x").current_review(sample_ids[0])
    assert state is not None and state.time_spent_ms == int((20 + IDLE_AFTER_S) * 1000)


def test_guidelines_are_edited_with_keys_and_kept_on_the_prompt(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    from redline.store.models import Prompt

    window = make_window()
    pane = window.guidelines_pane
    qtbot.waitUntil(
        lambda: pane.guidelines is not None and pane.guidelines.prompt_name == "support"
    )
    assert "default guidelines" in pane.title.text()
    _press(
        qtbot,
        window,
        Qt.Key.Key_G,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.guidelines_dock.isVisible() and pane.editor.hasFocus()
    assert pane.editor.toPlainText().startswith("# Review guidelines")  # seeded with the default
    qtbot.keyClick(pane.editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(pane.editor, "# Support")
    for _ in range(2):
        qtbot.keyClick(pane.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(pane.editor, "Good: cites the help centre.")
    assert window.review_panel.verdict() is None  # "G" and "B" were typed, not pressed
    with qtbot.waitSignal(window.statusBar().messageChanged, timeout=5_000):
        qtbot.keyClick(pane.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "revision 1" in pane.title.text())
    assert "cites the help centre" in pane.view.toPlainText()
    assert window.queue_view.hasFocus()
    with engine.connect() as conn:
        prompt = conn.execute(select(Prompt).where(Prompt.name == "support")).one()
    assert prompt.guidelines == "# Support\n\nGood: cites the help centre."
    assert prompt.dirty

    # Esc leaves an edit without saving.
    _press(
        qtbot,
        window,
        Qt.Key.Key_G,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.keyClicks(pane.editor, "scratch")
    qtbot.keyClick(pane.editor, Qt.Key.Key_Escape)
    assert not pane.is_editing() and "scratch" not in pane.view.toPlainText()
    window.close()

    again = make_window()
    pane = again.guidelines_pane
    qtbot.waitUntil(lambda: pane.guidelines is not None and pane.guidelines.stored)
    assert "cites the help centre" in pane.view.toPlainText()


def test_history_shows_who_changed_what_and_why(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    ReviewService(engine, reviewer="Ben", device="desk").submit(
        ReviewInput(sample_ids[0], verdict=Verdict.BAD)
    )
    window = make_window()
    history = window.review_panel.history_model
    assert [(e.reviewer, e.status) for e in history.entries()] == [("Ben", "current")]
    _press(qtbot, window, Qt.Key.Key_G)
    with qtbot.waitSignal(window.controller.review_submitted, timeout=5_000):
        _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.controller.sample_shown, timeout=5_000):
        _press(qtbot, window, Qt.Key.Key_K)
    _press(qtbot, window, Qt.Key.Key_B)
    _press(qtbot, window, Qt.Key.Key_4)
    with qtbot.waitSignal(window.controller.review_submitted, timeout=5_000):
        _press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.controller.sample_shown, timeout=5_000):
        _press(qtbot, window, Qt.Key.Key_K)
    mine = [(e.changes, e.status) for e in history.entries() if e.reviewer == "Ada"]
    assert mine == [
        ("verdict good → bad; rating – → 4", "current"),
        ("first review", "edited later"),
    ]
    assert window.review_panel.history_title.text() == "History (3)"
    shown = history.index(0, 3).data()
    assert shown in {"verdict good → bad; rating – → 4", "first review"}


def test_a_draft_is_saved_every_second_while_the_reviewer_keeps_typing(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID], engine: Engine
) -> None:
    window = make_window()
    service = ReviewService(engine, reviewer="Ada", device="x")
    _press(qtbot, window, Qt.Key.Key_N)
    note = window.review_panel.note_edit
    chunks = [f"word{i} " for i in range(30)]  # one chunk every 100 ms: 3 s of typing
    typed: list[str] = []

    def type_next() -> None:
        if len(typed) == len(chunks):
            typist.stop()
            return
        qtbot.keyClicks(note, chunks[len(typed)])
        typed.append(chunks[len(typed)])

    typist = QTimer()
    typist.setInterval(100)
    typist.timeout.connect(type_next)
    saved_while_typing: list[str] = []

    def on_saved(_sample_id: object) -> None:
        if typist.isActive():
            draft = service.load_draft(sample_ids[0])
            assert draft is not None
            saved_while_typing.append(draft.note)

    window.controller.draft_saved.connect(on_saved)
    typist.start()
    # A debounce would save nothing until the typing stops; a throttle saves twice in 3 s.
    qtbot.waitUntil(lambda: len(saved_while_typing) >= 2 or not typist.isActive(), timeout=10_000)
    assert typist.isActive(), "no draft saved while typing went on"
    assert len(typed) < len(chunks)
    first, second = saved_while_typing[:2]
    assert first and "".join(chunks).startswith(first)
    assert len(second) > len(first) and "".join(chunks).startswith(second)
    # When the typing stops the final text is saved too.
    qtbot.waitUntil(lambda: not typist.isActive(), timeout=10_000)
    qtbot.waitUntil(
        lambda: (d := service.load_draft(sample_ids[0])) is not None and d.note == "".join(chunks),
        timeout=5_000,
    )


def test_after_a_crash_the_window_reopens_on_the_draft_and_the_queue_marks_it(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    for _ in range(2):
        with qtbot.waitSignal(window.controller.sample_shown):
            _press(qtbot, window, Qt.Key.Key_J)
    assert _shown(window) == sample_ids[2]
    _press(qtbot, window, Qt.Key.Key_F)
    _press(qtbot, window, Qt.Key.Key_N)
    with qtbot.waitSignal(window.controller.draft_saved, timeout=5_000):
        qtbot.keyClicks(window.review_panel.note_edit, "asks for a refund twice")
    # The queue marks the sample with a draft, and the whole mark fits its column.
    status = window.queue_model.index(2, Column.STATUS)
    qtbot.waitUntil(lambda: window.queue_model.data(status) == "draft ✎")
    metrics = window.queue_view.fontMetrics()
    assert window.queue_view.columnWidth(Column.STATUS) > metrics.horizontalAdvance("reviewed ⚑ ✎")
    assert window.queue_view.columnWidth(Column.STATUS) > metrics.horizontalAdvance("draft ✎")

    # A kill -9 closes nothing: the session's mark stays on disk with the draft. The next
    # window (started while the first never closed, as after a crash) opens on the draft.
    again = make_window()
    qtbot.waitUntil(lambda: _shown(again) == sample_ids[2], timeout=5_000)
    assert again.review_panel.note_edit.toPlainText() == "asks for a refund twice"
    assert again.review_panel.draft_label.text() == "Draft restored"
    assert "draft restored" in again.statusBar().currentMessage()


def test_after_a_clean_close_the_window_opens_on_the_first_unreviewed_sample(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    with qtbot.waitSignal(window.controller.sample_shown):
        _press(qtbot, window, Qt.Key.Key_J)
    _press(qtbot, window, Qt.Key.Key_N)
    qtbot.keyClicks(window.review_panel.note_edit, "later")
    window.close()
    again = make_window()
    assert _shown(again) == sample_ids[0]
    assert "draft restored" not in again.statusBar().currentMessage()


def _fully_visible(widget: QWidget) -> bool:
    """Shown, and not clipped by a scroll area or a splitter: its whole rect is visible."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def test_at_1024x700_the_review_state_is_visible_and_each_sample_opens_at_the_top(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[uuid.UUID]
) -> None:
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 700)
    panel = window.review_panel
    wanted: list[QWidget] = [
        *panel.verdict_buttons.values(),
        *panel.rating_buttons.values(),
        panel.flag_box,
        *panel.category_boxes.values(),
    ]
    qtbot.waitUntil(lambda: all(_fully_visible(w) for w in wanted))
    # The input text is not squeezed away: a few lines of it show.
    inputs = window.sample_view.input_scroll
    assert inputs.isVisible()
    assert inputs.viewport().height() >= 3 * inputs.fontMetrics().lineSpacing()

    # Scrolled down to the note on one sample, the next one opens at the top.
    scroll = panel.findChild(QScrollArea)
    assert scroll is not None
    bar = scroll.verticalScrollBar()
    _press(qtbot, window, Qt.Key.Key_N)
    assert bar.maximum() > 0  # the note sits below the fold at this size
    bar.setValue(bar.maximum())
    assert bar.value() > 0
    _press(qtbot, window, Qt.Key.Key_Escape)
    with qtbot.waitSignal(window.controller.sample_shown):
        qtbot.keyClick(window.queue_view, Qt.Key.Key_J)
    assert bar.value() == 0
    assert all(_fully_visible(w) for w in wanted)
