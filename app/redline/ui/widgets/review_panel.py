"""The reviewer's judgment of the sample shown: verdict, rating, categories, note, correction."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from redline.review.history import HistoryEntry
from redline.review.taxonomy import DEFAULT_CATEGORIES
from redline.review.types import ReviewInput, ReviewState, SampleDetail, Verdict
from redline.ui.models.history_model import HistoryModel
from redline.ui.resources import icon
from redline.ui.tasks import TaskRunner
from redline.ui.theme import current_theme
from redline.ui.widgets.diff_view import DiffView

__all__ = ["DEFAULT_TAXONOMY", "ReviewPanel"]

DEFAULT_TAXONOMY = DEFAULT_CATEGORIES
DRAFT_DEBOUNCE_MS = 600
# Continuous typing never restarts this one: a draft is written at least once a second, so a
# crash (kill -9) mid-sentence loses at most the last second.
DRAFT_MAX_WAIT_MS = 1000
DIFF_DEBOUNCE_MS = 150

_VERDICT_KEYS = {Verdict.GOOD: "G", Verdict.BAD: "B", Verdict.UNSURE: "U"}


def _set_text(edit: QPlainTextEdit, text: str) -> None:
    # An identical text set again is laid out and painted again: skip it (an empty
    # note, from sample to sample, is the usual case), but forget the last sample's
    # typing, as setPlainText would, so Ctrl+Z in the editor cannot bring it back.
    if edit.toPlainText() != text:
        edit.setPlainText(text)
    elif edit.document().isUndoAvailable() or edit.document().isRedoAvailable():
        edit.document().clearUndoRedoStacks()


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


class ReviewPanel(QWidget):
    """Edits one review. It never writes: the window saves drafts and submits.

    Buttons take no keyboard focus, so clicking one leaves focus where it was and the
    single-key shortcuts keep working.

    Signals:
        draft_changed: a `ReviewInput` (time_spent_ms 0), 600 ms after the reviewer's
            last change and at least once a second while changes go on; not emitted while
            a sample is being loaded.
        edited: the reviewer changed something (immediately, for the "unsaved" mark).
        submit_requested: the Submit button was clicked.
    """

    draft_changed = Signal(object)
    edited = Signal()
    submit_requested = Signal()

    def __init__(
        self, taxonomy: tuple[str, ...] = DEFAULT_TAXONOMY, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.sample_id: uuid.UUID | None = None
        self.original = ""
        self._loading = False
        self._dirty = False

        self.verdict_group = QButtonGroup(self)
        self.verdict_group.setExclusive(True)
        self.verdict_buttons: dict[Verdict, QPushButton] = {}
        verdict_row = QHBoxLayout()
        for verdict in Verdict:
            button = QPushButton(f"{verdict.value.capitalize()}  ({_VERDICT_KEYS[verdict]})")
            button.setObjectName("verdictButton")
            button.setProperty("verdict", verdict.value)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 12)
            self.verdict_group.addButton(button)
            self.verdict_buttons[verdict] = button
            verdict_row.addWidget(button)
        self.verdict_group.buttonClicked.connect(self._on_button_clicked)

        self.rating_group = QButtonGroup(self)
        self.rating_group.setExclusive(True)
        self.rating_buttons: dict[int, QPushButton] = {}
        rating_row = QHBoxLayout()
        for n in range(1, 6):
            button = QPushButton(str(n))
            button.setObjectName("ratingButton")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(f"Rating {n} (key {n})")
            # A digit needs no 80 px default button: five fit a narrow panel (1024 px).
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance("55") + 16)
            self.rating_group.addButton(button, n)
            self.rating_buttons[n] = button
            rating_row.addWidget(button)
        self.rating_group.buttonClicked.connect(self._on_button_clicked)

        self.category_boxes: dict[str, QCheckBox] = {}
        categories = QGridLayout()
        self.category_grid = categories
        self._fill_categories(taxonomy)

        self.flag_box = QCheckBox("Flag for a lead (F)")
        self.flag_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.flag_box.toggled.connect(self._on_changed)

        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setPlaceholderText("Note (N): why, what is missing…")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setMaximumHeight(90)
        self.note_edit.textChanged.connect(self._on_changed)

        self.correction_edit = QPlainTextEdit()
        self.correction_edit.setObjectName("correctionEdit")
        self.correction_edit.setPlaceholderText("The output the model should have given (E)")
        self.correction_edit.setTabChangesFocus(True)
        self.correction_edit.textChanged.connect(self._on_changed)
        self.correction_edit.textChanged.connect(self._diff_timer_start)
        self.diff_view = DiffView()
        self.diff_view.diff_shown.connect(self._on_diff_shown)
        self.diff_summary = QLabel("no changes")
        self.diff_summary.setObjectName("metaLabel")
        diff_box = QWidget()
        diff_layout = QVBoxLayout(diff_box)
        diff_layout.setContentsMargins(0, 0, 0, 0)
        diff_header = QHBoxLayout()
        diff_header.addWidget(_title("Diff against the output"))
        diff_header.addStretch(1)
        diff_header.addWidget(self.diff_summary)
        diff_layout.addLayout(diff_header)
        diff_layout.addWidget(self.diff_view)
        correction_box = QWidget()
        correction_layout = QVBoxLayout(correction_box)
        correction_layout.setContentsMargins(0, 0, 0, 0)
        correction_layout.addWidget(_title("Correction"))
        correction_layout.addWidget(self.correction_edit)
        self.correction_splitter = QSplitter(Qt.Orientation.Vertical)
        self.correction_splitter.addWidget(correction_box)
        self.correction_splitter.addWidget(diff_box)
        self.correction_splitter.setChildrenCollapsible(False)

        self.draft_label = QLabel("")
        self.draft_label.setObjectName("draftState")
        self.submit_button = QPushButton("Submit and next  (Ctrl+Enter)")
        self.submit_button.setObjectName("submitButton")
        self.submit_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.submit_button.clicked.connect(self.submit_requested)
        footer = QHBoxLayout()
        footer.addWidget(self.draft_label, 1)
        footer.addWidget(self.submit_button)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(_title("Verdict"))
        top_layout.addLayout(verdict_row)
        top_layout.addWidget(_title("Rating"))
        top_layout.addLayout(rating_row)
        top_layout.addWidget(_title("Failure categories"))
        top_layout.addLayout(categories)
        top_layout.addWidget(self.flag_box)
        self._note_title = _title("Note")
        top_layout.addWidget(self._note_title)
        top_layout.addWidget(self.note_edit)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(top)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._top = top
        self._top_layout = top_layout
        self.top_scroll = scroll

        # Every revision of every review of this sample: who, when, what changed, why.
        self.history_model = HistoryModel(self)
        self.history_view = QTableView()
        self.history_view.setObjectName("historyView")
        self.history_view.setModel(self.history_model)
        self.history_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history_view.verticalHeader().setVisible(False)
        self.history_view.horizontalHeader().setStretchLastSection(True)
        self.history_view.setWordWrap(False)
        self.history_view.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.history_title = _title("History")
        history_box = QWidget()
        history_layout = QVBoxLayout(history_box)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(self.history_title)
        history_layout.addWidget(self.history_view)

        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(scroll)
        outer.addWidget(self.correction_splitter)
        outer.addWidget(history_box)
        outer.setChildrenCollapsible(False)
        outer.setStretchFactor(0, 2)
        outer.setStretchFactor(1, 3)
        outer.setStretchFactor(2, 1)
        # Two lines of correction, diff and history are enough to go on with in a short
        # window: the verdict above them keeps its room (see `_fit_top`).
        for pane in (self.correction_edit, self.diff_view, self.history_view):
            pane.setMinimumHeight(2 * pane.fontMetrics().lineSpacing() + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(outer, 1)
        layout.addLayout(footer)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DEBOUNCE_MS)
        self._draft_timer.timeout.connect(self._emit_draft)
        self._draft_max_timer = QTimer(self)
        self._draft_max_timer.setSingleShot(True)
        self._draft_max_timer.setInterval(DRAFT_MAX_WAIT_MS)
        self._draft_max_timer.timeout.connect(self._emit_draft)
        self._diff_timer = QTimer(self)
        self._diff_timer.setSingleShot(True)
        self._diff_timer.setInterval(DIFF_DEBOUNCE_MS)
        self._diff_timer.timeout.connect(self._update_diff)

        theme = current_theme()
        if theme is not None:
            theme.changed.connect(self._update_icons)
        self._update_icons()
        self._fit_top()
        self.load(None)

    # -- loading -------------------------------------------------------------------------

    def load(
        self,
        detail: SampleDetail | None,
        review: ReviewState | None = None,
        draft: ReviewInput | None = None,
        history: list[HistoryEntry] | None = None,
    ) -> None:
        """Show the draft if there is one, else the stored review, else an empty review;
        and the sample's review history."""
        self._stop_draft_timers()
        self.set_history(history or [])
        self._loading = True
        try:
            self.sample_id = detail.id if detail is not None else None
            # Each sample opens with the verdict in view, not where the last one was left.
            self.top_scroll.verticalScrollBar().setValue(0)
            self.original = detail.output if detail is not None else ""
            self.diff_view.prepare_for(len(self.original))
            source: ReviewInput | ReviewState | None = draft if draft is not None else review
            self._set_verdict_checked(source.verdict if source is not None else None)
            rating = source.rating if source is not None else None
            self.rating_group.setExclusive(False)
            for n, button in self.rating_buttons.items():
                button.setChecked(n == rating)
            self.rating_group.setExclusive(True)
            chosen = set(source.categories) if source is not None else set()
            for name, box in self.category_boxes.items():
                box.setChecked(name in chosen)
            self.flag_box.setChecked(bool(source is not None and source.flagged))
            _set_text(self.note_edit, source.note if source is not None else "")
            correction = source.correction if source is not None else None
            self.correction_edit.setPlainText(
                correction if correction is not None else self.original
            )
            self._update_diff()
            self._dirty = False
            if draft is not None:
                self.draft_label.setText("Draft restored")
            elif review is not None:
                self.draft_label.setText(f"Reviewed (revision {review.revision})")
            else:
                self.draft_label.setText("")
            self.setEnabled(detail is not None)
        finally:
            self._loading = False

    def set_taxonomy(self, taxonomy: tuple[str, ...]) -> None:
        """Offer these failure categories (the team edited them in the settings).

        Categories kept stay ticked; a removed one is no longer part of the review
        being written.
        """
        if tuple(self.category_boxes) == tuple(taxonomy):
            return
        ticked = {name for name, box in self.category_boxes.items() if box.isChecked()}
        for box in self.category_boxes.values():
            self.category_grid.removeWidget(box)
            box.deleteLater()
        self.category_boxes = {}
        self._fill_categories(taxonomy, ticked)
        self._fit_top()

    def _fill_categories(self, taxonomy: tuple[str, ...], ticked: Collection[str] = ()) -> None:
        loading, self._loading = self._loading, True  # re-ticking is not an edit
        try:
            for i, name in enumerate(taxonomy):
                box = QCheckBox(name)
                box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                box.setChecked(name in ticked)
                box.toggled.connect(self._on_changed)
                self.category_boxes[name] = box
                self.category_grid.addWidget(box, i // 2, i % 2)
        finally:
            self._loading = loading

    def set_history(self, entries: list[HistoryEntry]) -> None:
        """Show the sample's review history (newest first)."""
        if not entries and not self.history_model.rowCount():
            return  # no history before either: nothing to reset and lay out again
        self.history_model.set_entries(entries)
        self.history_title.setText(f"History ({len(entries)})" if entries else "History")
        self.history_view.resizeColumnsToContents()

    # -- what the reviewer entered -------------------------------------------------------

    def verdict(self) -> Verdict | None:
        for verdict, button in self.verdict_buttons.items():
            if button.isChecked():
                return verdict
        return None

    def rating(self) -> int | None:
        checked = self.rating_group.checkedId()
        return checked if checked > 0 else None

    def correction(self) -> str | None:
        """The correction, or None when the editor still holds the original output."""
        text = self.correction_edit.toPlainText()
        if not text.strip() or text == self.original:
            return None
        return text

    def current_input(self, time_spent_ms: int = 0) -> ReviewInput | None:
        """What the reviewer entered, or None when no sample is shown."""
        if self.sample_id is None:
            return None
        return ReviewInput(
            sample_id=self.sample_id,
            verdict=self.verdict(),
            rating=self.rating(),
            categories=tuple(n for n, box in self.category_boxes.items() if box.isChecked()),
            note=self.note_edit.toPlainText(),
            correction=self.correction(),
            flagged=self.flag_box.isChecked(),
            time_spent_ms=time_spent_ms,
        )

    def is_dirty(self) -> bool:
        """Changed since it was loaded (or since the last draft save was asked for)."""
        return self._dirty

    # -- reviewer actions (keys and buttons) ---------------------------------------------

    def set_verdict(self, verdict: Verdict | str) -> None:
        self._set_verdict_checked(Verdict(verdict))
        self._on_changed()

    def set_rating(self, n: int) -> None:
        self.rating_buttons[n].setChecked(True)
        self._on_changed()

    def toggle_flag(self) -> None:
        self.flag_box.toggle()

    def focus_correction(self) -> None:
        self.correction_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_note(self) -> None:
        self.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def flush_draft(self) -> None:
        """Emit a pending draft now (before the sample changes or the window closes)."""
        if self._draft_timer.isActive() or self._draft_max_timer.isActive():
            self._emit_draft()

    def cancel_draft(self) -> None:
        """Forget a pending draft (the review was just submitted)."""
        self._stop_draft_timers()
        self._dirty = False

    def set_runner(self, runner: TaskRunner) -> None:
        """Compute long correction diffs in tasks of `runner`, off the GUI thread."""
        self.diff_view.set_runner(runner)

    def set_status(self, text: str) -> None:
        self.draft_label.setText(text)

    # -- internals -----------------------------------------------------------------------

    @override
    def showEvent(self, event: QShowEvent) -> None:
        # Fonts and the style sheet are final once shown: size the top part for them.
        self._fit_top()
        super().showEvent(event)

    def _fit_top(self) -> None:
        # Verdict, rating, categories and flag never scroll away or get cut: the splitter
        # and the window may squeeze the correction and history, never this part.
        # The note below them may scroll (N brings it into view).
        hint = self._top.minimumSizeHint()
        spacing = max(self._top_layout.spacing(), 0)
        note = (
            self.note_edit.minimumSizeHint().height()
            + self._note_title.sizeHint().height()
            + 2 * spacing
        )
        bar = self.top_scroll.verticalScrollBar().sizeHint().width()
        self.top_scroll.setMinimumSize(hint.width() + bar, max(hint.height() - note, 0))

    def _set_verdict_checked(self, verdict: Verdict | None) -> None:
        # An exclusive group cannot uncheck its last button; lift it for a moment.
        self.verdict_group.setExclusive(False)
        for value, button in self.verdict_buttons.items():
            button.setChecked(value == verdict)
        self.verdict_group.setExclusive(True)

    def _on_button_clicked(self, _button: QAbstractButton) -> None:
        self._on_changed()

    def _on_changed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        self.draft_label.setText("Editing…")
        self.edited.emit()
        # Saved 600 ms after the last change, and at least once a second while it goes on.
        self._draft_timer.start()
        if not self._draft_max_timer.isActive():
            self._draft_max_timer.start()

    def _stop_draft_timers(self) -> None:
        self._draft_timer.stop()
        self._draft_max_timer.stop()

    def _emit_draft(self) -> None:
        self._stop_draft_timers()
        draft = self.current_input()
        if draft is not None and self._dirty:
            self.draft_changed.emit(draft)

    def _diff_timer_start(self) -> None:
        if not self._loading:
            self._diff_timer.start()

    def _update_diff(self) -> None:
        self._diff_timer.stop()
        self.diff_view.set_texts(self.original, self.correction_edit.toPlainText())
        if self.diff_view.pending:
            self.diff_summary.setText("comparing…")

    def _on_diff_shown(self) -> None:
        self.diff_summary.setText(self.diff_view.summary())

    def _update_icons(self) -> None:
        theme = current_theme()
        if theme is None:
            return
        names = {Verdict.GOOD: "good", Verdict.BAD: "bad", Verdict.UNSURE: "unsure"}
        for verdict, button in self.verdict_buttons.items():
            name = names[verdict]
            button.setIcon(icon(f"verdict-{name}", theme.tokens[name]))
