"""The "Pairwise" workspace: the same input once, two outputs side by side, pick the better.

The pairs are a new version's outputs on a regression set against the outputs they
were made for (`redline.review.pairwise`). Which output is on the left is drawn per
pair and reviewer (blind); the choice is stored as candidate / baseline. Every choice
is written at once (the one-thread write pool) and announced through the change hub;
Ctrl+Z takes the last one back.

Keys: 1 / A = left (A) better, 2 / B = right (B) better, = / T = tie, X = both bad,
J / K = next / previous pair, D = word diff on or off, Ctrl+Z = undo.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from redline.review.pairwise import (
    PairChoice,
    PairItem,
    PairwiseResult,
    Preference,
    list_pairs,
    pairwise_results,
    pairwise_sets,
    record_preference,
    restore_choice,
    shown_first,
)
from redline.review.types import Changes
from redline.textdiff import word_diff
from redline.ui.page_tasks import PageTasks
from redline.ui.resources import load_tokens
from redline.ui.tasks import Task
from redline.ui.theme import current_theme
from redline.ui.widgets.diff_view import diff_html
from redline.ui.wording import count
from redline.ui.workspaces import WorkspaceContext

__all__ = ["PairwisePage"]

KEY_HELP = (
    "1 / A: A is better · 2 / B: B is better · = / T: tie · X: both bad · "
    "J / K: next / previous · D: word diff · Ctrl+Z: undo"
)
# Keys -> what the reviewer says, in terms of the sides they see.
SIDE_KEYS: dict[str, tuple[str, ...]] = {
    "left": ("1", "A"),
    "right": ("2", "B"),
    "tie": ("=", "T"),
    "both_bad": ("X",),
}
SIDE_TEXT = {"left": "A is better", "right": "B is better", "tie": "a tie", "both_bad": "both bad"}
BUTTON_TEXT = {"left": "A is better", "right": "B is better", "tie": "Tie", "both_bad": "Both bad"}


@dataclass(frozen=True, slots=True)
class _Undo:
    index: int
    previous: PairChoice | None


class PairwisePage(QWidget):
    """Pairwise preference review of a version's outputs against their baselines.

    Signals:
        loaded: the pairs of the chosen set are shown (tests wait on it).
        stored: (PairItem) a choice (or an undo) was committed to the store.
        results_loaded: (PairwiseResult) the counts and statistics were refreshed.
    """

    loaded = Signal()
    stored = Signal(object)
    results_loaded = Signal(object)

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = PageTasks(
            context.runner,
            self,
            title="Pairwise review",
            on_failure=lambda exc: self.choice_label.setText(f"Not done: {exc}"),
        )
        self.engine = context.engine
        self.reviewer = context.settings.reviewer
        self.device = context.settings.device
        self.items: list[PairItem] = []
        self.index = -1
        self.result: PairwiseResult | None = None
        self._sets: list[tuple[str, str]] = []
        self._wanted: tuple[str, str] | None = None
        self._undo: list[_Undo] = []
        self._shown_at = time.monotonic()
        self._build()
        self._bind_keys()
        context.hub.changed.connect(self._on_changes)
        self.reload_sets()

    # ----------------------------------------------------------------- layout

    def _build(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.set_chooser = QComboBox()
        self.set_chooser.setObjectName("pairwiseSet")
        self.set_chooser.currentIndexChanged.connect(self._on_set_chosen)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("pairwiseProgress")
        self.diff_toggle = QCheckBox("Word diff")
        self.diff_toggle.setObjectName("pairwiseDiff")
        self.diff_toggle.toggled.connect(self._show_outputs)
        self.prev_button = QPushButton("Previous (K)")
        self.prev_button.clicked.connect(self.previous_pair)
        self.next_button = QPushButton("Next (J)")
        self.next_button.clicked.connect(self.next_pair)
        top = QHBoxLayout()
        top.addWidget(QLabel("Pairs of"))
        top.addWidget(self.set_chooser, 1)
        top.addWidget(self.progress_label)
        top.addWidget(self.diff_toggle)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)

        self.input_view = self._browser("pairwiseInput")
        self.left_view = self._browser("pairwiseLeft")
        self.right_view = self._browser("pairwiseRight")
        self.choice_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for column, (side, title) in enumerate((("left", "Output A"), ("right", "Output B"))):
            label = QLabel(title)
            label.setObjectName("sectionTitle")
            grid.addWidget(label, 0, column)
            grid.addWidget(self.left_view if side == "left" else self.right_view, 1, column)
        buttons = QHBoxLayout()
        for side, keys in SIDE_KEYS.items():
            button = QPushButton(f"{BUTTON_TEXT[side]} ({' / '.join(keys)})")
            button.setObjectName(f"pairwise_{side}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, s=side: self.choose(s))
            self.choice_buttons[side] = button
            buttons.addWidget(button)

        self.choice_label = QLabel()
        self.choice_label.setObjectName("pairwiseChoice")
        self.results_label = QLabel()
        self.results_label.setObjectName("pairwiseResults")
        self.results_label.setWordWrap(True)
        self.results_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        key_help = QLabel(KEY_HELP)
        key_help.setObjectName("mutedLabel")
        key_help.setWordWrap(True)
        input_title = QLabel("Input")
        input_title.setObjectName("sectionTitle")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(input_title)
        layout.addWidget(self.input_view, 2)
        layout.addLayout(grid, 5)
        layout.addLayout(buttons)
        layout.addWidget(self.choice_label)
        layout.addWidget(self.results_label)
        layout.addWidget(key_help)

    def _browser(self, name: str) -> QTextBrowser:
        view = QTextBrowser()
        view.setObjectName(name)
        view.setOpenLinks(False)
        # Keys belong to the page (1, 2, J, ...); text can still be selected by mouse.
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return view

    def _bind_keys(self) -> None:
        def bind(key: str, slot: Any) -> None:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        for side, keys in SIDE_KEYS.items():
            for key in keys:
                bind(key, lambda s=side: self.choose(s))
        bind("J", self.next_pair)
        bind("K", self.previous_pair)
        bind("D", self.diff_toggle.toggle)
        bind("Ctrl+Z", self.undo)

    # ----------------------------------------------------------------- loading

    def reload_sets(self) -> None:
        """List the versions that have pairs (in the background)."""
        self.tasks.run(pairwise_sets, self.engine, on_success=self._on_sets, key="pairwise.sets")

    def open_set(self, prompt_name: str, version: str) -> None:
        """Show the pairs of `prompt_name` `version` (listed first if new)."""
        self._wanted = (prompt_name, version)
        if (prompt_name, version) in self._sets:
            self.set_chooser.setCurrentIndex(self._sets.index((prompt_name, version)))
            self._load_pairs()
        else:
            self.reload_sets()

    @Slot(object)
    def _on_sets(self, sets: list[tuple[str, str]]) -> None:
        current = self.current_set()
        self._sets = sets
        self.set_chooser.blockSignals(True)
        self.set_chooser.clear()
        self.set_chooser.addItems(
            [f"{name} {version} against its baselines" for name, version in sets]
        )
        wanted = self._wanted or current
        self._wanted = None
        if wanted in sets:
            self.set_chooser.setCurrentIndex(sets.index(wanted))
        self.set_chooser.blockSignals(False)
        if not sets:
            self.items, self.index = [], -1
            self._show()
            self.results_label.setText(
                "No pairs yet. In Prompts → Regression, build a version's regression set, run it "
                "through the new version, import the outputs, then review them here side by side."
            )
            self.loaded.emit()
            return
        if self.current_set() != current or not self.items:
            self._load_pairs()

    def current_set(self) -> tuple[str, str] | None:
        row = self.set_chooser.currentIndex()
        return self._sets[row] if 0 <= row < len(self._sets) else None

    @Slot(int)
    def _on_set_chosen(self, _row: int) -> None:
        self._load_pairs()

    def _load_pairs(self) -> None:
        chosen = self.current_set()
        if chosen is None:
            return
        self.tasks.run(
            list_pairs, self.engine, chosen[0], chosen[1], reviewer=self.reviewer,
            on_success=self._on_pairs, key="pairwise.pairs",
        )  # fmt: skip

    @Slot(object)
    def _on_pairs(self, items: list[PairItem]) -> None:
        self.items = items
        self._undo.clear()
        first_open = next((i for i, item in enumerate(items) if item.choice is None), 0)
        self.index = first_open if items else -1
        self._show()
        self._load_results()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.loaded.emit()

    def _load_results(self) -> None:
        chosen = self.current_set()
        if chosen is None:
            return
        self.tasks.run(
            pairwise_results, self.engine, chosen[0], chosen[1],
            on_success=self._on_results, key="pairwise.results",
        )  # fmt: skip

    @Slot(object)
    def _on_results(self, result: PairwiseResult) -> None:
        self.result = result
        text = f"All reviewers: {result.summary()}."
        if result.choices:
            text += f"\n{result.choices_summary()}."
        self.results_label.setText(text)
        self.results_loaded.emit(result)

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        # A regression import or a sync brings new pairs; others' choices move the counts.
        if changes.samples:
            self.reload_sets()
        elif changes.reviews and self.isVisible():
            self._load_results()

    # ----------------------------------------------------------------- showing

    def current(self) -> PairItem | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def left_is_candidate(self, item: PairItem) -> bool:
        return shown_first(item.candidate_id, self.reviewer) == "candidate"

    def sides(self, item: PairItem) -> tuple[str, str]:
        """(left output, right output) as this reviewer sees them."""
        if self.left_is_candidate(item):
            return item.candidate_output, item.baseline_output
        return item.baseline_output, item.candidate_output

    def _show(self) -> None:
        item = self.current()
        self._shown_at = time.monotonic()
        judged = sum(1 for i in self.items if i.choice is not None)
        self.progress_label.setText(
            f"Pair {self.index + 1} of {len(self.items)} · {judged} of "
            f"{count(len(self.items), 'pair')} judged by you"
            if item is not None
            else "0 of 0 pairs"
        )
        for button in self.choice_buttons.values():
            button.setEnabled(item is not None)
        if item is None:
            for view in (self.input_view, self.left_view, self.right_view):
                view.clear()
            self.choice_label.setText("")
            return
        self.input_view.setHtml(_input_html(item))
        self._show_outputs()
        self._show_choice(item)

    @Slot()
    def _show_outputs(self, *_: object) -> None:
        item = self.current()
        if item is None:
            return
        left, right = self.sides(item)
        if self.diff_toggle.isChecked():
            theme = current_theme()
            tokens = theme.tokens if theme is not None else load_tokens("light")
            segments = word_diff(left, right)
            left_side = [s for s in segments if s.kind != "insert"]
            right_side = [s for s in segments if s.kind != "delete"]
            self.left_view.setHtml(diff_html(left_side, tokens, one_side=True))
            self.right_view.setHtml(diff_html(right_side, tokens, one_side=True))
        else:
            self.left_view.setPlainText(left)
            self.right_view.setPlainText(right)

    def side_of(self, item: PairItem, choice: PairChoice | None) -> str | None:
        """The choice in the reviewer's terms: "left", "right", "tie", "both_bad"."""
        if choice is None:
            return None
        if choice.preference in (Preference.TIE, Preference.BOTH_BAD):
            return choice.preference.value
        candidate_left = self.left_is_candidate(item)
        candidate_won = choice.preference is Preference.CANDIDATE
        return "left" if candidate_won == candidate_left else "right"

    def _show_choice(self, item: PairItem) -> None:
        side = self.side_of(item, item.choice)
        self.choice_label.setText(
            f"Your choice: {SIDE_TEXT[side]}" if side else "Not judged yet: which output is better?"
        )
        for name, button in self.choice_buttons.items():
            button.setProperty("chosen", name == side)
            button.style().unpolish(button)
            button.style().polish(button)

    # ----------------------------------------------------------------- navigation

    @Slot()
    def next_pair(self) -> None:
        if self.index + 1 < len(self.items):
            self.index += 1
            self._show()

    @Slot()
    def previous_pair(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._show()

    # ----------------------------------------------------------------- choosing

    def _preference(self, item: PairItem, side: str) -> Preference:
        if side in ("tie", "both_bad"):
            return Preference(side)
        left_won = side == "left"
        return (
            Preference.CANDIDATE
            if left_won == self.left_is_candidate(item)
            else Preference.BASELINE
        )

    def choose(self, side: str) -> Task | None:
        """Store the reviewer's choice on the shown pair and move to the next one."""
        item = self.current()
        if item is None:
            return None
        preference = self._preference(item, side)
        spent = int((time.monotonic() - self._shown_at) * 1000)
        previous = item.choice
        time_ms = (previous.time_ms if previous else 0) + spent
        updated = replace(item, choice=PairChoice(preference, item.baseline_id, time_ms))
        self.items[self.index] = updated
        self._undo.append(_Undo(self.index, previous))
        task = self._write(updated, preference, spent)
        if self.index + 1 < len(self.items):
            self.index += 1
        self._show()
        return task

    def _write(self, item: PairItem, preference: Preference | None, spent: int) -> Task:
        def write() -> PairItem:
            record_preference(
                self.engine, item.candidate_id, item.baseline_id, preference,
                reviewer=self.reviewer, device=self.device, time_ms=spent,
            )  # fmt: skip
            return item  # never None: see _on_stored

        return self.tasks.run(write, on_success=self._on_stored, key=None, write=True)

    @Slot()
    def undo(self) -> Task | None:
        """Take back the last choice (or undo): the pair gets its earlier choice again."""
        if not self._undo:
            self.choice_label.setText("Nothing to undo.")
            return None
        step = self._undo.pop()
        item = replace(self.items[step.index], choice=step.previous)
        self.items[step.index] = item
        self.index = step.index
        self._show()

        def write() -> PairItem:
            restore_choice(
                self.engine, item.candidate_id, item.baseline_id, step.previous,
                reviewer=self.reviewer, device=self.device,
            )  # fmt: skip
            return item

        return self.tasks.run(write, on_success=self._on_stored, key=None, write=True)

    @Slot(object)
    def _on_stored(self, item: PairItem) -> None:
        # The write tasks return the pair, never None: with PySide6 6.12 on Python 3.11
        # a None result delivered through a task's signals loses references to None.
        self.context.hub.publish(Changes(frozenset({item.candidate_id}), reviews=True))
        self.stored.emit(item)
        self._load_results()


def _input_html(item: PairItem) -> str:
    e = html.escape
    parts = []
    block = "<p style='white-space:pre-wrap'>{}</p>"
    if item.system_prompt:
        parts.append(block.format(f"<i>system:</i> {e(item.system_prompt)}"))
    if item.input_messages:
        for message in item.input_messages:
            role = message.get("role", "?") if isinstance(message, dict) else "?"
            content = message.get("content", "") if isinstance(message, dict) else message
            parts.append(block.format(f"<b>{e(str(role))}:</b> {e(str(content))}"))
    else:
        parts.append(block.format(e(item.input_text)))
    return "".join(parts)
