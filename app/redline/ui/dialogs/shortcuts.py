"""The "?" cheat sheet: every action of the table with its keys, grouped by menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from redline.ui.actions import ACTIONS, MENUS

__all__ = ["ShortcutsDialog"]


class ShortcutsDialog(QDialog):
    """A read-only table of the shortcuts (generated from `redline.ui.actions.ACTIONS`).

    The keys shown are those of `parent`'s actions when it has them (the reviewer may
    have rebound some in the settings), else the table's defaults.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Key", "Action", "Menu"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        order = {name: i for i, name in enumerate(MENUS)}
        for spec in sorted(ACTIONS, key=lambda s: order[s.menu]):
            row = self.table.rowCount()
            self.table.insertRow(row)
            action = parent.findChild(QAction, spec.id) if parent is not None else None
            sequences = (
                action.shortcuts()
                if isinstance(action, QAction)
                else [QKeySequence(k) for k in spec.keys]
            )
            keys = " or ".join(
                k.toString(QKeySequence.SequenceFormat.NativeText) for k in sequences
            )
            text = spec.text.replace("&", "")
            if spec.help:
                text = f"{text} — {spec.help}"
            for column, value in enumerate((keys, text, spec.menu)):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, spec.id)
                self.table.setItem(row, column, item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 560)

    def action_ids(self) -> list[str]:
        """The action ids listed, in table order (for tests and accessibility)."""
        ids: list[str] = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None:
                ids.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    @classmethod
    def ask(cls, parent: QWidget | None = None) -> None:
        """Show the cheat sheet modally."""
        dialog = cls(parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
