"""The editors of the settings dialog that are more than a form: taxonomy and shortcuts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QKeySequenceEdit,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from redline.review.taxonomy import DEFAULT_CATEGORIES, normalize
from redline.ui.actions import ACTIONS, Keymap, default_keymap, find_conflict, portable_key

__all__ = ["ShortcutsPage", "TaxonomyPage"]


def _native(keys: Sequence[str]) -> str:
    return " or ".join(
        QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys
    )


def _message_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    return label


class TaxonomyPage(QWidget):
    """The failure categories reviewers tick: add, rename, remove, reorder.

    An empty list means the built-in categories (`DEFAULT_CATEGORIES`).
    """

    def __init__(self, names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("taxonomyList")
        # Drag to reorder as well as the Up/Down buttons.
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.message = _message_label()
        self.add_button = QPushButton("&Add…")
        self.rename_button = QPushButton("Re&name…")
        self.remove_button = QPushButton("Re&move")
        self.up_button = QPushButton("Move &up")
        self.down_button = QPushButton("Move do&wn")
        self.defaults_button = QPushButton("Built-in &defaults")
        self.add_button.clicked.connect(self._on_add)
        self.rename_button.clicked.connect(self._on_rename)
        self.remove_button.clicked.connect(self._on_remove)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(+1))
        self.defaults_button.clicked.connect(lambda: self.set_names(DEFAULT_CATEGORIES))
        buttons = QVBoxLayout()
        for button in (
            self.add_button,
            self.rename_button,
            self.remove_button,
            self.up_button,
            self.down_button,
            self.defaults_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        intro = QLabel(
            "The failure categories reviewers tick in the review panel, in this order. "
            "Reviews already written keep the categories they have."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row, 1)
        layout.addWidget(self.message)
        self.set_names(names or DEFAULT_CATEGORIES)

    def set_names(self, names: Sequence[str]) -> None:
        self.list.clear()
        for name in names:
            self.list.addItem(name)
        if self.list.count():
            self.list.setCurrentRow(0)

    def names(self) -> list[str]:
        """The categories as listed (cleaned: blanks and repeats dropped)."""
        items = (self.list.item(row) for row in range(self.list.count()))
        return list(normalize([item.text() for item in items if item is not None]))

    def add(self, name: str) -> bool:
        """Add `name` at the end (and select it); False with a message if it is there."""
        cleaned = " ".join(name.split())
        if not cleaned:
            return False
        if cleaned.casefold() in {n.casefold() for n in self.names()}:
            self.message.setText(f"“{cleaned}” is already a category.")
            return False
        self.list.addItem(cleaned)
        self.list.setCurrentRow(self.list.count() - 1)
        self.message.setText("")
        return True

    def rename(self, row: int, name: str) -> bool:
        cleaned = " ".join(name.split())
        item = self.list.item(row)
        if item is None or not cleaned:
            return False
        others = {n.casefold() for i, n in enumerate(self.names()) if i != row}
        if cleaned.casefold() in others:
            self.message.setText(f"“{cleaned}” is already a category.")
            return False
        item.setText(cleaned)
        self.message.setText("")
        return True

    def _on_add(self) -> None:
        name, ok = QInputDialog.getText(self, "New failure category", "Name:")
        if ok:
            self.add(name)

    def _on_rename(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        current = self.list.item(row).text()
        name, ok = QInputDialog.getText(self, "Rename category", "Name:", text=current)
        if ok:
            self.rename(row, name)

    def _on_remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item: QListWidgetItem | None = self.list.takeItem(row)
        if item is not None:
            self.list.insertItem(target, item)
            self.list.setCurrentRow(target)


class ShortcutsPage(QWidget):
    """Every action of the table with its keys; select one, press the new key.

    A key another action already has is refused with a message naming that action.

    Signals:
        rebound: an action got new keys (its id).
    """

    rebound = Signal(str)

    def __init__(self, keymap: Mapping[str, Sequence[str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.defaults = default_keymap()
        self.keymap: Keymap = {spec.id: tuple(keymap.get(spec.id, ())) for spec in ACTIONS}
        self.table = QTableWidget(len(ACTIONS), 3)
        self.table.setObjectName("shortcutTable")
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Menu"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, spec in enumerate(ACTIONS):
            name = QTableWidgetItem(spec.text.replace("&", ""))
            name.setData(Qt.ItemDataRole.UserRole, spec.id)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(""))
            self.table.setItem(row, 2, QTableWidgetItem(spec.menu))
            self._show_keys(row)
        self.key_edit = QKeySequenceEdit()
        self.key_edit.setObjectName("shortcutEdit")
        # One key combination per shortcut: Redline has no chords.
        self.key_edit.setMaximumSequenceLength(1)
        self.key_edit.editingFinished.connect(self._on_key_recorded)
        self.clear_button = QPushButton("&No key")
        self.clear_button.clicked.connect(lambda: self.assign(self.current_action(), ()))
        self.reset_button = QPushButton("&Default")
        self.reset_button.clicked.connect(self._on_reset)
        self.reset_all_button = QPushButton("Reset &all")
        self.reset_all_button.clicked.connect(self._on_reset_all)
        self.message = _message_label()
        self.table.currentCellChanged.connect(lambda *_: self.message.setText(""))
        key_label = QLabel("New &key:")
        key_label.setBuddy(self.key_edit)
        keys_row = QHBoxLayout()
        keys_row.addWidget(key_label)
        keys_row.addWidget(self.key_edit, 1)
        keys_row.addWidget(self.clear_button)
        keys_row.addWidget(self.reset_button)
        keys_row.addWidget(self.reset_all_button)
        intro = QLabel(
            "Select an action, click in “New key” and press the key (for example Ctrl+K). "
            "The “?” cheat sheet and the menus show the keys chosen here."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(keys_row)
        layout.addWidget(self.message)
        self.table.setCurrentCell(0, 0)

    def current_action(self) -> str:
        item = self.table.item(max(self.table.currentRow(), 0), 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def select_action(self, action_id: str) -> None:
        row = next(i for i, spec in enumerate(ACTIONS) if spec.id == action_id)
        self.table.setCurrentCell(row, 0)

    def assign(self, action_id: str, keys: Sequence[str]) -> bool:
        """Give `action_id` exactly `keys`; False (and a message) on a conflict."""
        wanted = tuple(dict.fromkeys(portable_key(k) for k in keys if portable_key(k)))
        for key in wanted:
            other = find_conflict(self.keymap, action_id, key)
            if other is not None:
                shown = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
                self.message.setText(
                    f"{shown} is already the key of “{other.text.replace('&', '')}” "
                    f"({other.menu} menu). Choose another key, or give that action "
                    "another key first."
                )
                return False
        self.keymap[action_id] = wanted
        row = next(i for i, spec in enumerate(ACTIONS) if spec.id == action_id)
        self._show_keys(row)
        self.message.setText("")
        self.rebound.emit(action_id)
        return True

    def overrides(self) -> dict[str, list[str]]:
        """The keys that differ from the defaults, for `Settings.shortcuts`."""
        return {
            action_id: list(keys)
            for action_id, keys in self.keymap.items()
            if keys != self.defaults.get(action_id, ())
        }

    def _show_keys(self, row: int) -> None:
        spec = ACTIONS[row]
        item = self.table.item(row, 1)
        if item is None:
            return
        keys = self.keymap[spec.id]
        changed = keys != self.defaults.get(spec.id, ())
        item.setText((_native(keys) or "—") + ("  (changed)" if changed else ""))

    def _on_key_recorded(self) -> None:
        sequence = self.key_edit.keySequence()
        if sequence.isEmpty():
            return
        self.assign(
            self.current_action(), (sequence.toString(QKeySequence.SequenceFormat.PortableText),)
        )
        self.key_edit.clear()

    def _on_reset(self) -> None:
        action_id = self.current_action()
        self.assign(action_id, self.defaults.get(action_id, ()))

    def _on_reset_all(self) -> None:
        self.keymap = dict(self.defaults)
        for row in range(len(ACTIONS)):
            self._show_keys(row)
        self.message.setText("")
