"""QueueModel: Qt's model checks, lazy paging through a counting loader, invalidation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, insert
from tests.builders import batch_row

from redline.review.service import ReviewService
from redline.review.types import Changes, QueueFilter, QueueSort, ReviewInput, SampleRow, Verdict
from redline.store.base import uuid7
from redline.store.models import Batch, Sample
from redline.ui.models.queue_model import (
    PAGE_SIZE,
    Column,
    QueueModel,
    RowIdRole,
    RowRole,
    SampleIdRole,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def check(tester: ModelTester, model: QueueModel) -> None:
    tester.check(model)


class CountingLoader:
    """Makes rows from rowids alone, and records every page it was asked for."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.ids: dict[int, uuid.UUID] = {}
        self.reviewed: set[int] = set()

    def __call__(self, rowids: npt.NDArray[np.int64]) -> list[SampleRow]:
        keys = [int(k) for k in rowids]
        self.calls.append(keys)
        return [self.row(k) for k in keys]

    def row(self, rowid: int) -> SampleRow:
        sample_id = self.ids.setdefault(rowid, uuid.UUID(int=rowid))
        reviewed = rowid in self.reviewed
        return SampleRow(
            rowid=rowid,
            id=sample_id,
            status="reviewed" if reviewed else "unreviewed",
            verdict=Verdict.BAD if reviewed else None,
            has_correction=reviewed,
            flagged=False,
            score=rowid / 1000,
            prompt_version="support v2",
            model="gpt-4o",
            language="en",
            captured_at=T0,
            input_preview=f"input {rowid}",
        )

    def pages(self) -> list[int]:
        """The first rowid of every page loaded, in order."""
        return [call[0] for call in self.calls]


def test_passes_qt_model_checks(qtmodeltester: ModelTester) -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader)
    check(qtmodeltester, model)
    model.set_snapshot(np.arange(1, 451, dtype=np.int64))
    check(qtmodeltester, model)
    model.set_snapshot(np.arange(1, 701, dtype=np.int64))  # extends: rows inserted
    model.invalidate(Changes(frozenset({uuid.UUID(int=5)}), reviews=True))
    model.set_snapshot(np.array([9, 3, 7], dtype=np.int64))  # anything else: reset
    check(qtmodeltester, model)


def test_loads_only_the_pages_it_shows() -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader, max_pages=3)
    rowids = np.arange(1_000_000, 0, -1, dtype=np.int64)  # a million rows, reversed
    model.set_snapshot(rowids)
    assert model.rowCount() == 1_000_000
    assert loader.calls == []  # nothing loaded until asked

    assert model.data(model.index(0, Column.INPUT)) == "input 1000000"
    assert model.data(model.index(199, Column.SCORE)) == f"{999_801 / 1000:.3f}"
    assert loader.pages() == [1_000_000]  # one page for both rows
    assert len(loader.calls[0]) == PAGE_SIZE

    row = model.data(model.index(900_000, 0), RowRole)
    assert isinstance(row, SampleRow) and row.rowid == 100_000
    assert model.data(model.index(900_000, 0), RowIdRole) == 100_000
    assert model.data(model.index(900_000, 0), SampleIdRole) == uuid.UUID(int=100_000)
    assert loader.pages() == [1_000_000, 100_000]

    # LRU of three pages: a fourth evicts the least recently used.
    model.data(model.index(400, 0))
    model.data(model.index(0, 0))  # page 0 used again: most recent now
    model.data(model.index(600, 0))
    assert model.loaded_pages() == [2, 0, 3]
    assert len(loader.calls) == 4
    # RowIdRole never loads a page.
    model.data(model.index(500_000, 0), RowIdRole)
    assert len(loader.calls) == 4


def test_view_loads_only_visible_pages(qtbot: QtBot) -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader)
    model.set_snapshot(np.arange(1, 1_000_001, dtype=np.int64))
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: model.loaded_pages() == [0])
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.loaded_pages()[-1] == (1_000_000 - 1) // PAGE_SIZE)
    assert set(model.loaded_pages()) <= {0, 4999}


def test_extending_snapshot_keeps_rows_and_reloads_the_short_page(qtbot: QtBot) -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader)
    model.set_snapshot(np.arange(1, 101, dtype=np.int64))
    model.data(model.index(0, 0))
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        model.set_snapshot(np.arange(1, 501, dtype=np.int64))
    assert inserted.args is not None and inserted.args[1:] == [100, 499]
    assert model.data(model.index(150, Column.INPUT)) == "input 151"
    assert loader.pages() == [1, 1]  # page 0 reloaded whole
    with qtbot.waitSignal(model.modelReset):
        model.set_snapshot(np.arange(2, 501, dtype=np.int64))


def test_invalidate_reloads_only_the_changed_rows(qtbot: QtBot) -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader)
    model.set_snapshot(np.arange(1, 1001, dtype=np.int64))
    model.data(model.index(10, 0))
    model.data(model.index(450, 0))
    assert model.data(model.index(450, Column.VERDICT)) == ""

    loader.reviewed.add(451)
    changes = Changes(frozenset({uuid.UUID(int=451), uuid.UUID(int=999_999)}), reviews=True)
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.invalidate(changes)
    assert changed.args is not None
    assert (changed.args[0].row(), changed.args[1].row()) == (450, 450)
    # One row read again, in place: no page is dropped and reloaded whole.
    assert loader.calls[-1] == [451]
    assert model.loaded_pages() == [0, 2]
    assert model.data(model.index(450, Column.VERDICT)) == "✗ bad"
    assert model.data(model.index(450, Column.STATUS)) == "reviewed ✎"


def test_invalidate_shows_rows_the_change_carries_without_a_query(qtbot: QtBot) -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader)
    model.set_snapshot(np.arange(1, 1001, dtype=np.int64))
    model.data(model.index(450, 0))
    calls = len(loader.calls)

    loader.reviewed.add(451)
    fresh = loader.row(451)  # what the writer read after its commit
    changes = Changes(frozenset({fresh.id}), reviews=True, rows=(fresh,))
    with qtbot.waitSignal(model.dataChanged):
        model.invalidate(changes)
    assert len(loader.calls) == calls  # nothing read on the GUI thread
    assert model.data(model.index(450, Column.VERDICT)) == "✗ bad"


def test_sort_is_a_request_not_a_reorder(qtbot: QtBot) -> None:
    loader = CountingLoader()
    model = QueueModel(loader=loader)
    model.set_snapshot(np.arange(1, 11, dtype=np.int64))
    with qtbot.waitSignal(model.sort_requested) as requested:
        model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    assert requested.args == [QueueSort("score", descending=True)]
    with qtbot.assertNotEmitted(model.sort_requested):
        model.sort(Column.INPUT)
    assert model.rowid_at(0) == 1  # the model itself never reorders
    assert model.row_of_rowid(7) == 6 and model.row_of_rowid(70) is None
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Status"
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


def _add_samples(engine: Engine, count: int) -> list[uuid.UUID]:
    batch_id = uuid7()
    ids = [uuid7() for _ in range(count)]
    with engine.begin() as conn:
        conn.execute(
            insert(Batch),
            [batch_row(batch_id, source="t", file_name="t", shape="flat", status="importing")],
        )
        conn.execute(
            insert(Sample),
            [
                {
                    "id": sample_id,
                    "batch_id": batch_id,
                    "source": "t",
                    "external_id": str(i),
                    "content_hash": str(i),
                    "captured_at": T0,
                    "input_text": f"line one {i}\n  line two",
                    "prompt_name": "support",
                    "prompt_version": "v2",
                    "score": 0.5,
                }
                for i, sample_id in enumerate(ids)
            ],
        )
    return ids


def test_on_a_real_store(engine: Engine, qtmodeltester: ModelTester) -> None:
    from redline.review import queue

    ids = _add_samples(engine, 250)
    service = ReviewService(engine, reviewer="ann", device="d")
    model = QueueModel(engine, reviewer="ann")
    model.set_snapshot(queue.snapshot(engine, QueueFilter(status="all"), QueueSort(), "ann"))
    check(qtmodeltester, model)
    assert model.rowCount() == 250
    assert model.data(model.index(3, Column.INPUT)) == "line one 3 line two"
    assert model.data(model.index(3, Column.PROMPT_VERSION)) == "support v2"
    assert model.data(model.index(3, Column.STATUS)) == "new"

    model.invalidate(service.submit(ReviewInput(ids[3], verdict=Verdict.GOOD)))
    assert model.data(model.index(3, Column.STATUS)) == "reviewed"
    assert model.data(model.index(3, Column.VERDICT)) == "✓ good"


def test_needs_an_engine_or_a_loader() -> None:
    with pytest.raises(ValueError, match="engine or a loader"):
        QueueModel()
