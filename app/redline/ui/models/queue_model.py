"""The queue's table model: a rowid snapshot, rows loaded in pages as they are shown.

Anki's browser `DataModel` is the pattern: the model holds only the keys of the current
filter (a numpy int64 array of sample rowids, 8 MB per million), `rowCount()` is its
length, and `data()` loads the 200-row page around a row on first use into a small LRU
of pages. A filter or sort change builds a new snapshot in a background task and hands
it to `set_snapshot`; a review write drops the pages that show the changed samples.
"""

from __future__ import annotations

import enum
import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from sqlalchemy import Engine
from typing_extensions import override

from redline.review import queue
from redline.review.types import Changes, QueueSort, SampleRow, Verdict

__all__ = ["Column", "PageLoader", "QueueModel", "RowIdRole", "RowRole", "SampleIdRole"]

# The loader: rowids (one page) -> their rows, in any order; missing rowids are skipped.
PageLoader = Callable[[npt.NDArray[np.int64]], list[SampleRow]]

SampleIdRole = Qt.ItemDataRole.UserRole + 1  # uuid.UUID of the row's sample
RowRole = Qt.ItemDataRole.UserRole + 2  # the SampleRow itself
RowIdRole = Qt.ItemDataRole.UserRole + 3  # the sample's rowid (int)

PAGE_SIZE = queue.PAGE_SIZE
# Pages kept: a screen shows one or two; this keeps a long scroll back cheap.
MAX_PAGES = 64

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    STATUS = 0
    VERDICT = 1
    SCORE = 2
    PROMPT_VERSION = 3
    MODEL = 4
    LANGUAGE = 5
    CAPTURED = 6
    INPUT = 7


_HEADERS = {
    Column.STATUS: "Status",
    Column.VERDICT: "Verdict",
    Column.SCORE: "Score",
    Column.PROMPT_VERSION: "Prompt",
    Column.MODEL: "Model",
    Column.LANGUAGE: "Lang",
    Column.CAPTURED: "Captured",
    Column.INPUT: "Input",
}

# The queue sort each sortable column asks for (see redline.review.types.SORT_COLUMNS).
SORT_KEYS: dict[Column, str] = {
    Column.SCORE: "score",
    Column.PROMPT_VERSION: "prompt_version",
    Column.MODEL: "model",
    Column.LANGUAGE: "language",
    Column.CAPTURED: "captured_at",
}

_VERDICT_TEXT = {Verdict.GOOD: "✓ good", Verdict.BAD: "✗ bad", Verdict.UNSURE: "? unsure"}


def _status_text(row: SampleRow) -> str:
    text = "reviewed" if row.status == "reviewed" else "draft" if row.has_draft else "new"
    if row.flagged:
        text += " ⚑"
    # ✎: there is a correction, or a half-written review waiting for the reviewer.
    if row.has_correction or row.has_draft:
        text += " ✎"
    return text


def _display(row: SampleRow, column: int) -> str:
    match column:
        case Column.STATUS:
            return _status_text(row)
        case Column.VERDICT:
            return _VERDICT_TEXT[row.verdict] if row.verdict is not None else ""
        case Column.SCORE:
            return "" if row.score is None else f"{row.score:.3f}"
        case Column.PROMPT_VERSION:
            return row.prompt_version
        case Column.MODEL:
            return row.model or ""
        case Column.LANGUAGE:
            return row.language or ""
        case Column.CAPTURED:
            return "" if row.captured_at is None else row.captured_at.strftime("%Y-%m-%d %H:%M")
        case Column.INPUT:
            return row.input_preview
    return ""


class QueueModel(QAbstractTableModel):
    """The review queue: one row per sample of the current snapshot, read-only.

    Pages are loaded on the GUI thread when first shown (one indexed query of 200 rows,
    a few milliseconds on a million samples); everything slower (snapshots) runs in
    tasks and arrives through `set_snapshot`.

    Signals:
        sort_requested: a `QueueSort`, when the view asks to sort by a column; the
            window rebuilds the snapshot in a background task and calls set_snapshot.
    """

    sort_requested = Signal(object)

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        reviewer: str = "",
        loader: PageLoader | None = None,
        max_pages: int = MAX_PAGES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if loader is None:
            if engine is None:
                raise ValueError("QueueModel needs an engine or a loader")
            loader = functools.partial(_load_rows, engine, reviewer)
        self._loader = loader
        self._max_pages = max(1, max_pages)
        self._rowids: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        # page number -> the page's rows by position (None: the sample is gone), each
        # with its cells' texts, formatted once: a repaint asks for ~1,000 cells.
        self._pages: OrderedDict[int, list[_Entry | None]] = OrderedDict()
        self._last_page = -1

    # -- the snapshot ---------------------------------------------------------------

    @property
    def rowids(self) -> npt.NDArray[np.int64]:
        """The snapshot (read-only view)."""
        view = self._rowids.view()
        view.flags.writeable = False
        return view

    def set_snapshot(self, rowids: npt.ArrayLike) -> None:
        """Show `rowids` (display order). A snapshot that extends the current one (the
        full queue after its first page) appends rows, keeping selection and scroll;
        anything else resets the model."""
        new = np.array(rowids, dtype=np.int64).ravel()
        old = self._rowids
        if len(old) and len(new) >= len(old) and np.array_equal(new[: len(old)], old):
            # The page holding the old end was loaded short: it must load again whole.
            self._pages.pop((len(old) - 1) // PAGE_SIZE, None)
            self._refresh_all()
            if len(new) > len(old):
                self.beginInsertRows(QModelIndex(), len(old), len(new) - 1)
                self._rowids = new
                self.endInsertRows()
            return
        self.beginResetModel()
        self._rowids = new
        self._pages.clear()
        self.endResetModel()

    def invalidate(self, changes: Changes) -> None:
        """Reload the rows of the changed samples that are in loaded pages (rows the
        change carries, `changes.rows`, are taken as they are, without a query);
        samples not in a loaded page need nothing."""
        if changes.samples:
            # Sample data itself changed (an import): nothing cached can be trusted.
            self._refresh_all()
            return
        if not changes.sample_ids:
            return
        carried = {row.rowid: row for row in changes.rows}
        for page, entries in list(self._pages.items()):
            hits = [
                i
                for i, entry in enumerate(entries)
                if entry is not None and entry.row.id in changes.sample_ids
            ]
            if not hits:
                continue
            # Reload just those rows (a review changes one row, not its page of 200).
            first = page * PAGE_SIZE
            keys = self._rowids[[first + i for i in hits]]
            wanted = {int(k) for k in keys}
            fresh = {row.rowid: row for row in carried.values() if row.rowid in wanted}
            missing = [int(k) for k in keys if int(k) not in fresh]
            if missing:
                fresh.update((row.rowid, row) for row in self._loader(np.array(missing)))
            for i, key in zip(hits, keys, strict=True):
                row = fresh.get(int(key))
                entries[i] = _Entry.of(row) if row is not None else None
            self.dataChanged.emit(
                self.index(first + min(hits), 0),
                self.index(first + max(hits), len(Column) - 1),
            )

    apply_changes = invalidate

    def seed_rows(self, first: int, rows: list[SampleRow]) -> None:
        """Cache rows read elsewhere (the first page, read with the queue's head in a
        background task), so showing them needs no query on the GUI thread. Only whole
        pages, or the snapshot's last page, are kept: a part page would hide the rest."""
        if first % PAGE_SIZE:
            return
        page = first // PAGE_SIZE
        keys = self._rowids[first : first + PAGE_SIZE]
        if len(keys) != len(rows) or len(keys) == 0:
            return
        by_rowid = {row.rowid: row for row in rows}
        self._pages[page] = [_Entry.maybe(by_rowid.get(int(k))) for k in keys]
        self._pages.move_to_end(page)
        self._last_page = -1
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)

    def row_at(self, row: int) -> SampleRow | None:
        """The row's SampleRow (loading its page), or None out of range or gone."""
        if not 0 <= row < len(self._rowids):
            return None
        entry = self._page(row // PAGE_SIZE)[row % PAGE_SIZE]
        return entry.row if entry is not None else None

    def rowid_at(self, row: int) -> int | None:
        return int(self._rowids[row]) if 0 <= row < len(self._rowids) else None

    def row_of_rowid(self, rowid: int) -> int | None:
        """Where a sample is in the snapshot (a scan: ~1 ms per million), or None."""
        hits = np.flatnonzero(self._rowids == rowid)
        return int(hits[0]) if len(hits) else None

    def loaded_pages(self) -> list[int]:
        """The pages in the cache, least recently used first (for tests and benches)."""
        return list(self._pages)

    # -- Qt -------------------------------------------------------------------------

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rowids)

    @override
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[Column(section)]
        return None

    @override
    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every visible cell on each repaint: the common
        # "nothing here" answers come first, and texts are formatted once per page.
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        row_number, column = index.row(), index.column()
        if not (0 <= row_number < len(self._rowids) and 0 <= column < _COLUMNS):
            return None
        if role == _ROWID:
            return int(self._rowids[row_number])
        entry = self._page(row_number // PAGE_SIZE)[row_number % PAGE_SIZE]
        if entry is None:
            return "(removed)" if role == _DISPLAY and column == 0 else None
        if role == _DISPLAY:
            return entry.texts[column]
        if role == _TOOLTIP:
            return entry.row.input_preview if column == Column.INPUT else None
        if role == _ALIGNMENT:
            return _RIGHT if column == Column.SCORE else None
        if role == _SAMPLE_ID:
            return entry.row.id
        if role == _ROW:
            return entry.row
        return None

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return
        self.sort_requested.emit(
            QueueSort(column=key, descending=order == Qt.SortOrder.DescendingOrder)
        )

    # -- internals ------------------------------------------------------------------

    def _page(self, page: int) -> list[_Entry | None]:
        rows = self._pages.get(page)
        if rows is not None:
            if page != self._last_page:
                self._pages.move_to_end(page)
                self._last_page = page
            return rows
        keys = self._rowids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        by_rowid = {row.rowid: row for row in self._loader(keys)}
        rows = [_Entry.maybe(by_rowid.get(int(k))) for k in keys]
        self._pages[page] = rows
        self._last_page = page
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        return rows

    def _refresh_all(self) -> None:
        self._pages.clear()
        if len(self._rowids):
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rowids) - 1, len(Column) - 1)
            )


class _Entry(NamedTuple):
    """A loaded row and its cells' display texts."""

    row: SampleRow
    texts: tuple[str, ...]

    @classmethod
    def of(cls, row: SampleRow) -> _Entry:
        return cls(row, tuple(_display(row, column) for column in Column))

    @classmethod
    def maybe(cls, row: SampleRow | None) -> _Entry | None:
        return None if row is None else cls.of(row)


_COLUMNS = len(Column)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_SAMPLE_ID = int(SampleIdRole)
_ROW = int(RowRole)
_ROWID = int(RowIdRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _ALIGNMENT, _SAMPLE_ID, _ROW, _ROWID})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _load_rows(engine: Engine, reviewer: str, rowids: npt.NDArray[np.int64]) -> list[SampleRow]:
    return queue.load_rows(engine, rowids, reviewer)
