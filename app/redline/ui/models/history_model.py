"""The review history of the sample shown, as a small read-only table."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from typing_extensions import override

from redline.review.history import HistoryEntry

__all__ = ["HistoryModel"]

_HEADERS = ("Who", "When", "Verdict", "Changed", "Status")

AnyIndex = QModelIndex | QPersistentModelIndex


class HistoryModel(QAbstractTableModel):
    """One row per revision (`HistoryEntry`), newest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[HistoryEntry] = []

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    @override
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(_HEADERS)
        ):
            return _HEADERS[section]
        return None

    @override
    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._entries) and 0 <= column < len(_HEADERS)):
            return None
        entry = self._entries[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = f" on {entry.device}" if entry.device else ""
            return f"revision {entry.revision}{where}: {entry.changes}"
        return None


def _display(entry: HistoryEntry, column: int) -> str:
    match column:
        case 0:
            return entry.reviewer
        case 1:
            return entry.when.strftime("%Y-%m-%d %H:%M")
        case 2:
            verdict = entry.verdict.value if entry.verdict else "–"
            return verdict + (f" · {entry.rating}" if entry.rating else "")
        case 3:
            return entry.changes
        case 4:
            return entry.status
    return ""
