"""The queue's filters: status, prompt version, model, language, variant, score band,
implicit signal, batch, and search."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from redline.review.types import QueueFilter, QueueStatus
from redline.review.types import Signal as ImplicitSignal
from redline.store.queries import BatchInfo, CountRow, StoreStats
from redline.ui.wording import count

__all__ = ["SCORE_BANDS", "SIGNALS", "STATUSES", "FilterBar"]

STATUSES: tuple[tuple[QueueStatus, str], ...] = (
    ("unreviewed", "Unreviewed"),
    ("all", "All samples"),
    ("reviewed_by_me", "Reviewed by me"),
    ("flagged_bad", "Flagged or bad"),
    ("has_correction", "With a correction"),
)
SCORE_BANDS: tuple[tuple[str, float | None, float | None], ...] = (
    ("Any score", None, None),
    ("Low (< 0.3)", None, 0.3),
    ("Middle (0.3–0.7)", 0.3, 0.7),
    ("High (≥ 0.7)", 0.7, None),
)
SIGNALS: tuple[tuple[ImplicitSignal | None, str], ...] = (
    (None, "Any signal"),
    ("thumbs_down", "Thumbs down"),
    ("thumbs_up", "Thumbs up"),
    ("edited", "Edited by the user"),
    ("follow_up", "Had a follow-up"),
    ("copied", "Copied by the user"),
)
SEARCH_DEBOUNCE_MS = 300


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("metaLabel")
    return label


class FilterBar(QWidget):
    """Builds a `QueueFilter` from its controls.

    Signals:
        filter_changed: the new `QueueFilter` (search typing is debounced).
    """

    filter_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._updating = False
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("statusFilter")
        for value, text in STATUSES:
            self.status_combo.addItem(text, value)
        self.prompt_combo = QComboBox()
        self.prompt_combo.setObjectName("promptFilter")
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelFilter")
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("languageFilter")
        self.score_combo = QComboBox()
        self.score_combo.setObjectName("scoreFilter")
        for text, low, high in SCORE_BANDS:
            self.score_combo.addItem(text, (low, high))
        self.variant_combo = QComboBox()
        self.variant_combo.setObjectName("variantFilter")
        self.signal_combo = QComboBox()
        self.signal_combo.setObjectName("signalFilter")
        for signal, text in SIGNALS:
            self.signal_combo.addItem(text, signal)
        self.batch_combo = QComboBox()
        self.batch_combo.setObjectName("batchFilter")
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchField")
        self.search_edit.setPlaceholderText("Search input, output, corrections  ( / )")
        self.search_edit.setClearButtonEnabled(True)
        # A selection sent from another workspace (patterns, drift): shown as a chip.
        self._selection: frozenset[uuid.UUID] | None = None
        self._selection_label = ""
        self.selection_label = QLabel("")
        self.selection_label.setObjectName("selectionLabel")
        self.selection_clear = QToolButton()
        self.selection_clear.setObjectName("selectionClear")
        self.selection_clear.setText("✕")
        self.selection_clear.setToolTip("Show the whole queue again")
        self.selection_clear.clicked.connect(self.clear_selection)
        self.selection_label.hide()
        self.selection_clear.hide()
        self.set_options(None)

        for combo in self.combos():
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
        for combo in self.combos():
            combo.currentIndexChanged.connect(self._emit)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._emit)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._emit)

        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(4)
        layout.addWidget(self.search_edit, 0, 0, 1, 4)
        layout.addWidget(_label("Show"), 1, 0)
        layout.addWidget(self.status_combo, 1, 1)
        layout.addWidget(_label("Prompt"), 1, 2)
        layout.addWidget(self.prompt_combo, 1, 3)
        layout.addWidget(_label("Model"), 2, 0)
        layout.addWidget(self.model_combo, 2, 1)
        layout.addWidget(_label("Language"), 2, 2)
        layout.addWidget(self.language_combo, 2, 3)
        layout.addWidget(_label("Score"), 3, 0)
        layout.addWidget(self.score_combo, 3, 1)
        layout.addWidget(_label("Variant"), 3, 2)
        layout.addWidget(self.variant_combo, 3, 3)
        layout.addWidget(_label("Signal"), 4, 0)
        layout.addWidget(self.signal_combo, 4, 1)
        layout.addWidget(_label("Batch"), 4, 2)
        layout.addWidget(self.batch_combo, 4, 3)
        selection = QHBoxLayout()
        selection.addWidget(self.selection_label, 1)
        selection.addWidget(self.selection_clear)
        layout.addLayout(selection, 5, 0, 1, 4)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)

    def combos(self) -> tuple[QComboBox, ...]:
        return (
            self.status_combo,
            self.prompt_combo,
            self.model_combo,
            self.language_combo,
            self.score_combo,
            self.variant_combo,
            self.signal_combo,
            self.batch_combo,
        )

    def set_options(
        self, stats: StoreStats | None, batches: tuple[BatchInfo, ...] | list[BatchInfo] = ()
    ) -> None:
        """Fill the prompt, model, language, variant and batch choices from the store.

        The current choices are kept when they still exist.
        """
        self._updating = True
        try:
            self._fill(self.prompt_combo, "Any prompt", stats.by_prompt if stats else ())
            self._fill(self.model_combo, "Any model", stats.by_model if stats else ())
            self._fill(self.language_combo, "Any language", stats.by_language if stats else ())
            self._fill(self.variant_combo, "Any variant", stats.by_variant if stats else ())
            current = self.batch_combo.currentData()
            self.batch_combo.clear()
            self.batch_combo.addItem("Any batch", None)
            for batch in batches:
                # As text: findData cannot compare Python objects (UUIDs) held in QVariants.
                self.batch_combo.addItem(
                    f"{batch.short_id} · {batch.source}  ({batch.imported:,})", str(batch.id)
                )
            self.batch_combo.setCurrentIndex(max(0, self.batch_combo.findData(current)))
        finally:
            self._updating = False

    def _fill(self, combo: QComboBox, any_text: str, rows: tuple[CountRow, ...]) -> None:
        current = combo.currentData()
        combo.clear()
        combo.addItem(any_text, None)
        for row in rows:
            if all(value is None for value in row.key):
                continue
            combo.addItem(f"{row.label}  ({row.total:,})", row.key)
        # findData cannot compare Python tuples held in QVariants; compare them here.
        index = next((i for i in range(combo.count()) if combo.itemData(i) == current), 0)
        combo.setCurrentIndex(index)

    def current_filter(self) -> QueueFilter:
        """The `QueueFilter` the controls describe."""
        status: QueueStatus = self.status_combo.currentData()
        prompt: Any = self.prompt_combo.currentData()
        model: Any = self.model_combo.currentData()
        language: Any = self.language_combo.currentData()
        variant: Any = self.variant_combo.currentData()
        batch: str | None = self.batch_combo.currentData()
        low, high = self.score_combo.currentData()
        return QueueFilter(
            status=status,
            prompt_name=prompt[0] if prompt else None,
            prompt_version=prompt[1] if prompt else None,
            model=model[0] if model else None,
            language=language[0] if language else None,
            variant=variant[0] if variant else None,
            score_min=low,
            score_max=high,
            signal=self.signal_combo.currentData(),
            batch_id=uuid.UUID(batch) if batch else None,
            text=self.search_edit.text().strip(),
            sample_ids=self._selection,
            selection_label=self._selection_label,
        )

    def set_selection(self, sample_ids: frozenset[uuid.UUID], label: str) -> None:
        """Restrict the queue to `sample_ids` (with every filter set to "any")."""
        self._updating = True
        try:
            self.status_combo.setCurrentIndex(self.status_combo.findData("all"))
            for combo in self.combos()[1:]:
                combo.setCurrentIndex(0)
            self.search_edit.clear()
        finally:
            self._updating = False
        self._selection = sample_ids
        self._selection_label = label
        self.selection_label.setText(f"Showing {count(len(sample_ids), 'sample')}: {label}")
        self.selection_label.show()
        self.selection_clear.show()
        self._emit()

    def clear_selection(self) -> None:
        if self._selection is None:
            return
        self._selection = None
        self._selection_label = ""
        self.selection_label.hide()
        self.selection_clear.hide()
        self._emit()

    def set_status(self, status: QueueStatus) -> None:
        self.status_combo.setCurrentIndex(self.status_combo.findData(status))

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _emit(self) -> None:
        if self._updating:
            return
        self._search_timer.stop()
        self.filter_changed.emit(self.current_filter())
