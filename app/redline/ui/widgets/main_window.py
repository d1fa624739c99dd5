"""The review workstation: queue (left), sample (centre), review panel (right), guidelines."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from typing_extensions import override

from redline.errors import RedlineError
from redline.prompts.guidelines import Guidelines, load_guidelines, save_guidelines
from redline.review import queue
from redline.review.history import HistoryEntry, history_entries
from redline.review.service import ReviewService
from redline.review.taxonomy import categories
from redline.review.types import (
    Changes,
    QueueFilter,
    QueueSort,
    ReviewInput,
    ReviewState,
    SampleDetail,
    SampleRow,
    Verdict,
)
from redline.settings import Settings
from redline.store.queries import BatchInfo, StoreStats, list_batches, store_stats
from redline.store.search import ensure_search_index
from redline.ui.actions import ACTIONS, REVIEW_MENUS, build_actions, build_menus
from redline.ui.changes import ChangeHub
from redline.ui.desktop import DesktopMixin
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.dialogs.import_dialog import ImportDialog
from redline.ui.dialogs.shortcuts import ShortcutsDialog
from redline.ui.models.queue_model import Column, QueueModel
from redline.ui.resources import guidelines_text
from redline.ui.sync.dialog import ConnectionDialog
from redline.ui.sync.status import SyncWidget
from redline.ui.tasks import Task, TaskRunner
from redline.ui.widgets.filter_bar import FilterBar
from redline.ui.widgets.guidelines_pane import GuidelinesPane
from redline.ui.widgets.review_panel import ReviewPanel
from redline.ui.widgets.sample_view import SampleView
from redline.ui.workspaces import WORKSPACES, WorkspaceContext, create_page

__all__ = ["IDLE_AFTER_S", "LoadedSample", "MainWindow"]

# Time on a sample stops counting this long after the reviewer's last key or click
# (and whenever the window is not the active one): a coffee break is not review time.
IDLE_AFTER_S = 180.0
# Samples read ahead and kept ready to show (the next rows of the queue).
READ_AHEAD = 3
# Review keys pressed while a sample loads are kept and applied to it, up to this many.
MAX_PENDING_KEYS = 20
# "Working…" shows for background work that lasts longer than this.
BUSY_AFTER_MS = 400
# The progress count follows a write after this pause (one count for a quick run).
PROGRESS_AFTER_MS = 200


@dataclass(frozen=True, slots=True)
class LoadedSample:
    """What the window shows for one sample, read in one background task."""

    detail: SampleDetail
    review: ReviewState | None
    draft: ReviewInput | None
    history: tuple[HistoryEntry, ...] = ()


def _load_sample(service: ReviewService, sample_id: uuid.UUID) -> LoadedSample:
    opened = service.open_sample(sample_id)  # one connection, one read transaction
    return LoadedSample(
        detail=opened.detail,
        review=opened.review,
        draft=opened.draft,
        history=tuple(history_entries(opened.history)),
    )


@dataclass(frozen=True, slots=True)
class QueueHead:
    """The first rows of a queue and its first sample, read in one task, so the first
    screen (and a filter change) needs no second round trip."""

    rowids: Any
    rows: list[SampleRow]
    first: LoadedSample | None


def _queue_head(
    service: ReviewService, filter: QueueFilter, sort: QueueSort, preload: bool
) -> QueueHead:
    rowids = queue.first_page(service.engine, filter, sort, service.reviewer)
    rows = queue.load_rows(service.engine, rowids, service.reviewer)
    first = _load_sample(service, rows[0].id) if rows and preload else None
    return QueueHead(rowids, rows, first)


def _submit(service: ReviewService, review: ReviewInput, rowid: int | None) -> Changes:
    changes = service.submit(review)
    if rowid is None:
        return changes
    # The submitted row as the queue shows it now, read here on the writer, so the
    # queue repaints it without a query on the GUI thread. The review is committed
    # already: if this read fails, the queue reads the row itself (and shows why).
    try:
        rows = queue.load_rows(service.engine, [rowid], service.reviewer)
    except sqlite3.Error:
        return changes
    return dataclasses.replace(changes, rows=tuple(rows))


def _filter_options(engine: Engine) -> tuple[StoreStats, list[BatchInfo]]:
    """What the filter bar offers: the store's breakdowns and its batches."""
    queue.distinct_models(engine)  # ready before the reviewer sorts by model
    return store_stats(engine), list_batches(engine)


class LayoutBoundary(QWidget):
    """Holds one widget, filling it, and keeps that widget's relayouts inside.

    Qt passes every relayout up to the window: `QLayout::activate` ends with
    `updateGeometry()` on its widget ("ideally only if sizeHint() has changed"), and at
    the top `QTabWidget` answers a layout request by repainting all of itself. A new
    sample (a label a line taller, a scroll bar shown) so repainted the whole window,
    the queue's table included, on every submit. Here the chain stops: the child still
    lays itself out, but its size hint changing moves nothing outside it.
    """

    def __init__(self, child: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.child = child
        child.setParent(self)

    @override
    def sizeHint(self) -> QSize:
        return self.child.sizeHint()

    @override
    def minimumSizeHint(self) -> QSize:
        return self.child.minimumSizeHint()

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        self.child.setGeometry(self.rect())

    @override
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            return True  # the child's size hint changed: nothing here moves for it
        return super().event(event)


class MainWindow(DesktopMixin, QMainWindow):
    """The reviewer's window. Every database call runs in a task; slots only touch widgets.

    Signals:
        sample_shown: the id of the sample now shown (its detail, review and draft loaded).
        queue_loaded: the number of rows in the queue after a (re)load.
        review_submitted: the `Changes` of a submit that committed.
        draft_saved: the sample id whose draft was written.
        progress_shown: the status bar's progress text was updated.
    """

    sample_shown = Signal(object)
    queue_loaded = Signal(int)
    review_submitted = Signal(object)
    draft_saved = Signal(object)
    progress_shown = Signal(str)

    def __init__(
        self,
        engine: Engine,
        *,
        settings: Settings,
        store_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Redline" + (f" — {store_path.name}" if store_path else ""))
        self.setAcceptDrops(True)
        self.engine = engine
        self.settings = settings
        self.reviewer = settings.reviewer
        self.service = ReviewService(engine, reviewer=settings.reviewer, device=settings.device)
        self.runner = TaskRunner(self)
        self.hub = ChangeHub(self)
        self.sort = QueueSort()

        # Which sample is shown, since when (time spent), and what is in flight.
        self.current: LoadedSample | None = None
        # The clock behind time spent (a test may set its own).
        self.clock: Callable[[], float] = time.monotonic
        self._shown_at = self.clock()
        self._time_base_ms = 0
        self._loading_id: uuid.UUID | None = None
        # Submits queued on the writer and not committed yet (the window moves on at once).
        self._in_flight = 0
        # Reviews whose submit failed, shown again (as drafts) when their sample is.
        self._unsaved: dict[uuid.UUID, ReviewInput] = {}
        self._queue_generation = 0
        self._full_snapshot_generation = -1
        self._snapshot_task: Task | None = None
        self._rowids: dict[uuid.UUID, int] = {}
        self._guidelines_cache: dict[str | None, Guidelines] = {}
        self._guidelines_prompt: str | None = None
        # Samples read ahead (the next rows), shown without a round trip; any write
        # bumps the epoch, so a read that raced a write is never shown.
        self._ready: OrderedDict[uuid.UUID, LoadedSample] = OrderedDict()
        self._ready_epoch = 0
        self._changed_at: dict[uuid.UUID, int] = {}
        self._reading: set[uuid.UUID] = set()
        # The queue generation whose first page the queue shows (see _on_snapshot).
        self._first_page_generation = -1
        self._closed = False
        self._all_changed_at = 0
        # Review keys pressed while a sample was loading (or a submit committing).
        self._pending: list[Callable[[], None]] = []
        # Active time on the shown sample (see IDLE_AFTER_S and time_spent_ms).
        self._active_ms = 0.0
        self._last_tick = self.clock()
        self._counting = True
        # Samples per batch (None: the store); they change only with imports.
        self._totals: dict[uuid.UUID | None, int] = {}
        self._progress_batch: object = ()
        self._filter_options_loaded = False

        # -- queue (left) --
        self.filter_bar = FilterBar()
        self.queue_model = QueueModel(engine, reviewer=self.reviewer, parent=self)
        self.queue_view = QTableView()
        self.queue_view.setObjectName("queueView")
        self.queue_view.setModel(self.queue_model)
        self.queue_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue_view.setAlternatingRowColors(True)
        self.queue_view.setWordWrap(False)
        self.queue_view.verticalHeader().setVisible(False)
        self.queue_view.verticalHeader().setDefaultSectionSize(24)
        self.queue_view.horizontalHeader().setStretchLastSection(True)
        self.queue_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.queue_view.setSortingEnabled(True)
        self.queue_view.horizontalHeader().setSortIndicator(
            Column.CAPTURED, Qt.SortOrder.AscendingOrder
        )
        self.queue_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Typing a letter in the table must reach the shortcuts, not jump to a matching row.
        self.queue_view.setTabKeyNavigation(False)
        widths = {Column.STATUS: 72, Column.VERDICT: 72, Column.SCORE: 52,
                  Column.PROMPT_VERSION: 120, Column.MODEL: 120, Column.LANGUAGE: 40,
                  Column.CAPTURED: 120}  # fmt: skip
        for column, width in widths.items():
            self.queue_view.setColumnWidth(column, width)
        self.queue_count_label = QLabel("")
        self.queue_count_label.setObjectName("metaLabel")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 0, 8)
        left_layout.addWidget(self.filter_bar)
        left_layout.addWidget(self.queue_view, 1)
        left_layout.addWidget(self.queue_count_label)

        # -- sample (centre) and review (right) --
        self.sample_view = SampleView()
        self.review_panel = ReviewPanel(categories(settings))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        # Each pane in its own boundary: a new sample relayouts the centre and the right,
        # never the queue beside them (see LayoutBoundary).
        self.splitter.addWidget(LayoutBoundary(self.sample_view))
        self.splitter.addWidget(LayoutBoundary(self.review_panel))
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setChildrenCollapsible(False)

        # -- workspaces: review first, the others built when first shown --
        self.tabs = QTabWidget()
        self.tabs.setObjectName("workspaceTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(LayoutBoundary(self.splitter), "Review")
        self.workspace_context = WorkspaceContext(
            engine=engine,
            settings=settings,
            runner=self.runner,
            hub=self.hub,
            show_selection=self.show_selection,
            show_workspace=self._bring_workspace,
        )
        self.workspace_pages: dict[str, QWidget] = {}
        for spec in WORKSPACES:
            self.tabs.addTab(QWidget(), spec.title)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.setCentralWidget(self.tabs)

        # -- guidelines (dock) --
        self.guidelines_pane = GuidelinesPane()
        self.guidelines_view = self.guidelines_pane.view
        self.guidelines_pane.save_requested.connect(self._on_guidelines_save)
        self.guidelines_dock = QDockWidget("Guidelines", self)
        self.guidelines_dock.setObjectName("guidelinesDock")
        self.guidelines_dock.setWidget(self.guidelines_pane)
        self.guidelines_dock.setAllowedAreas(
            Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.guidelines_dock)
        self.guidelines_dock.hide()
        self._show_guidelines(None)

        # -- status bar --
        self.reviewer_label = QLabel(f"Reviewing as {self.reviewer}")
        self.reviewer_label.setObjectName("reviewerLabel")
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("progressLabel")
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("metaLabel")
        self.statusBar().addWidget(self.reviewer_label)
        self.statusBar().addPermanentWidget(self.busy_label)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_AFTER_MS)
        self._progress_timer.timeout.connect(self.refresh_progress)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.sync_widget = SyncWidget(
            engine=engine, settings=settings, runner=self.runner, hub=self.hub, parent=self
        )
        self.sync_widget.sync_failed.connect(self._on_task_failed)
        self.statusBar().addPermanentWidget(self.sync_widget)

        # -- actions and wiring --
        self.actions_by_id = build_actions(self, settings.shortcuts)
        build_menus(self.menuBar(), self.actions_by_id)
        self.actions_by_id["view.guidelines"].setCheckable(True)
        self.filter_bar.filter_changed.connect(self._on_filter_changed)
        self.queue_model.sort_requested.connect(self._on_sort_requested)
        self.queue_view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.review_panel.draft_changed.connect(self._on_draft_changed)
        self.review_panel.submit_requested.connect(self.submit_review)
        self.hub.changed.connect(self._on_changes)
        self.runner.busy_changed.connect(self._on_busy_changed)

        self.resize(1400, 900)
        self.splitter.setSizes([420, 560, 420])
        self.restore_layout()  # geometry and docks as the reviewer left them
        self.queue_view.setFocus(Qt.FocusReason.OtherFocusReason)
        app = QApplication.instance()
        if app is not None:
            # Keys and clicks anywhere in the app keep the time-spent clock running.
            app.installEventFilter(self)
        self.reload_queue()
        # The filter choices count the whole store (a second at a million samples):
        # asked for once the first snapshot is in, so they never delay the first screen.
        self._index_for_search()

    # ====================================================================== workspaces

    def show_workspace(self, key: str) -> None:
        """Bring the tab `key` ("review" or a `WorkspaceSpec.key`) to the front."""
        if key == "review":
            self.tabs.setCurrentIndex(0)
            return
        index = next(i for i, spec in enumerate(WORKSPACES, start=1) if spec.key == key)
        self.tabs.setCurrentIndex(index)

    def _bring_workspace(self, key: str) -> QWidget:
        self.show_workspace(key)
        return self.workspace_page(key)

    def workspace_page(self, key: str) -> QWidget:
        """The page of workspace `key`, built now if it was never shown."""
        if key not in self.workspace_pages:
            index, spec = next(
                (i, spec) for i, spec in enumerate(WORKSPACES, start=1) if spec.key == key
            )
            page = create_page(spec, self.workspace_context)
            self.workspace_pages[key] = page
            placeholder = self.tabs.widget(index)
            current = self.tabs.currentIndex()
            self.tabs.blockSignals(True)
            try:
                self.tabs.removeTab(index)
                self.tabs.insertTab(index, page, spec.title)
                self.tabs.setCurrentIndex(current)
            finally:
                self.tabs.blockSignals(False)
            if placeholder is not None:
                placeholder.deleteLater()
        return self.workspace_pages[key]

    def _on_tab_changed(self, index: int) -> None:
        on_review = index == 0
        for spec in ACTIONS:
            if spec.menu in REVIEW_MENUS:
                self.actions_by_id[spec.id].setEnabled(on_review)
        if on_review:
            self.queue_view.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        page = self.workspace_page(WORKSPACES[index - 1].key)
        page.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_selection(self, sample_ids: frozenset[uuid.UUID], label: str) -> None:
        """Open the review queue on exactly `sample_ids` (sent by another workspace)."""
        self.show_workspace("review")
        self.filter_bar.set_selection(sample_ids, label)

    # ====================================================================== queue

    def reload_queue(self) -> None:
        """Rebuild the queue for the current filter: first rows fast, then the snapshot."""
        filter = self.filter_bar.current_filter()
        self._queue_generation += 1
        generation = self._queue_generation
        args = (self.engine, filter, self.sort, self.reviewer)
        preload = self.current is None
        if self._snapshot_task is not None:
            # Superseded: stop its query now, not when the next snapshot starts.
            self._snapshot_task.cancel()
            self._snapshot_task.signals.drop()
            self._snapshot_task = None
        head = self.runner.submit(
            _queue_head, self.service, filter, self.sort, preload, key="queue-first-page"
        )
        head.signals.succeeded.connect(lambda head: self._on_first_page(generation, head))
        head.signals.failed.connect(self._on_task_failed)
        # The snapshot starts once the first rows are in: on two cores, a snapshot of a
        # common word (seconds of CPU) running beside the first page would slow it down.
        # A superseded head delivers nothing, and its reload's snapshot never starts.
        head.signals.finished.connect(lambda: self._take_snapshot(generation, args))

    def _take_snapshot(self, generation: int, args: tuple[Any, ...]) -> None:
        if generation != self._queue_generation or self._closed:
            return
        full = self.runner.submit(queue.snapshot, *args, key="queue-snapshot", pass_progress=True)
        full.signals.succeeded.connect(lambda rowids: self._on_snapshot(generation, rowids))
        full.signals.failed.connect(self._on_task_failed)
        self._snapshot_task = full

    def _on_filter_changed(self, _filter: QueueFilter) -> None:
        self.reload_queue()

    def _on_sort_requested(self, sort: QueueSort) -> None:
        if sort != self.sort:
            self.sort = sort
            self.reload_queue()

    def _on_first_page(self, generation: int, head: QueueHead) -> None:
        if generation != self._queue_generation or self._full_snapshot_generation == generation:
            return
        if head.first is not None and self._loading_id is None:
            self._keep_ready(head.first, self._ready_epoch)
        self._set_rowids(head.rowids, complete=False, rows=head.rows)
        self._first_page_generation = generation

    def _on_snapshot(self, generation: int, rowids: Any) -> None:
        if generation != self._queue_generation:
            return
        self._snapshot_task = None
        self._full_snapshot_generation = generation
        if self._first_page_generation == generation:
            # The full list was read after the first page was shown: a sample submitted
            # meanwhile may have left it ("unreviewed"). The first page's rows stay where
            # the reviewer saw them, as submitted rows do until the queue reloads, so no
            # row shifts under the reviewer and K still goes back; the rest follow.
            shown = self.queue_model.rowids
            rest = np.asarray(rowids, dtype=np.int64)
            rowids = np.concatenate([shown, rest[~np.isin(rest, shown)]])
        self._set_rowids(rowids, complete=True)
        self.queue_loaded.emit(self.queue_model.rowCount())
        if not self._filter_options_loaded:
            self._filter_options_loaded = True
            self._load_filter_options()

    def _set_rowids(
        self, rowids: Any, *, complete: bool, rows: list[SampleRow] | None = None
    ) -> None:
        keep = self._current_rowid()
        self.queue_model.set_snapshot(rowids)
        if rows:
            self.queue_model.seed_rows(0, rows)
        count = self.queue_model.rowCount()
        self.queue_count_label.setText(
            f"{count:,} samples" if complete else f"{count:,}+ samples (counting…)"
        )
        row = self.queue_model.row_of_rowid(keep) if keep is not None else None
        if row is None:
            row = 0 if count else -1
        if row >= 0:
            self._select_row(row)
        elif complete:
            self._show_nothing()

    def _current_rowid(self) -> int | None:
        # The row the reviewer is on, also while its sample is still loading (the one
        # shown is then the sample before it, often just submitted).
        row = self.queue_model.rowid_at(self._current_row())
        if row is not None:
            return row
        return self.current.detail.rowid if self.current is not None else None

    def _select_row(self, row: int) -> None:
        index = self.queue_model.index(row, 0)
        view = self.queue_view
        if not view.viewport().rect().contains(view.visualRect(index)):
            # Out of view: bring it to the middle first, so the next rows a reviewer
            # submits through are on screen as well. Scrolled into view row by row (what
            # setCurrentIndex does), the whole table repaints on every submit.
            view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        view.setCurrentIndex(index)
        # setCurrentIndex does not re-emit for the row already current (after a reset
        # that kept it): make sure the row's sample is the one shown.
        self._show_row(row)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._show_row(current.row())

    def _current_row(self) -> int:
        index = self.queue_view.currentIndex()
        return index.row() if index.isValid() else -1

    def _load_filter_options(self) -> None:
        task = self.runner.submit(_filter_options, self.engine, key="filter-options")
        task.signals.succeeded.connect(self._on_filter_options)
        task.signals.failed.connect(self._on_task_failed)

    def _on_filter_options(self, options: tuple[StoreStats, list[BatchInfo]]) -> None:
        self.filter_bar.set_options(*options)

    def _index_for_search(self) -> None:
        # Samples imported since the last run are not searchable until indexed; do it on
        # the writer (chunked, so a submit never waits long for the write lock). The
        # queue's reads never write, so a search shown meanwhile runs again when done.
        task = self.runner.submit(
            ensure_search_index, self.engine, key="search-index", write=True,
            pass_progress=True,
        )  # fmt: skip
        task.signals.succeeded.connect(self._on_search_indexed)
        task.signals.failed.connect(self._on_task_failed)

    def _on_search_indexed(self, added: int) -> None:
        if added and self.filter_bar.current_filter().text:
            self.reload_queue()

    # ===================================================================== sample

    def _show_row(self, row: int) -> None:
        sample_row = self.queue_model.row_at(row)
        if sample_row is None:
            return
        if self._loading_id == sample_row.id:
            return
        shown = self.current.detail.id if self.current is not None else None
        if self._loading_id is None and shown == sample_row.id:
            return
        self.review_panel.flush_draft()
        ready = self._ready.pop(sample_row.id, None)
        if ready is not None:
            # Read ahead: shown at once, no round trip (submit → next sample).
            # A load still in flight for another row is ignored when it arrives.
            self._loading_id = None
            self._on_sample_loaded(ready, direct=True)
            return
        self._loading_id = sample_row.id
        if sample_row.id in self._reading:
            return  # being read ahead: shown when that read arrives (see _keep_ready)
        self._load_shown(sample_row.id)

    def _load_shown(self, sample_id: uuid.UUID) -> None:
        """Read the sample to show (`_loading_id`) in the background."""
        task = self.runner.submit(_load_sample, self.service, sample_id, key="sample-detail")
        task.signals.succeeded.connect(self._on_sample_loaded)
        task.signals.failed.connect(self._on_sample_failed)

    def _on_sample_loaded(self, loaded: LoadedSample, *, direct: bool = False) -> None:
        if not direct and self._loading_id != loaded.detail.id:
            return  # superseded by a sample shown from the read-ahead
        self._loading_id = None
        unsaved = self._unsaved.get(loaded.detail.id)
        if unsaved is not None:
            loaded = dataclasses.replace(loaded, draft=unsaved)
        self.current = loaded
        self._rowids[loaded.detail.id] = loaded.detail.rowid
        self.sample_view.show_detail(loaded.detail)
        self.review_panel.load(loaded.detail, loaded.review, loaded.draft, list(loaded.history))
        self._restart_clock(loaded.draft.time_spent_ms if loaded.draft is not None else 0)
        self._show_guidelines(loaded.detail.prompt_name)
        if self._progress_batch != loaded.detail.batch_id:
            self.refresh_progress()
        self.sample_shown.emit(loaded.detail.id)
        # Now, not after the next event-loop pass: keys pressed back to back may come
        # before it, and each would then wait for its sample (a read costs a worker
        # thread about a millisecond; it runs while this sample is painted).
        self._read_ahead()
        self._run_pending()

    def _on_sample_failed(self, exc: BaseException) -> None:
        self._loading_id = None
        self._pending.clear()
        self._on_task_failed(exc)

    # -- read-ahead ---------------------------------------------------------------

    def _read_ahead(self) -> None:
        """Load the next rows' samples in the background, ready for J or a submit."""
        if self._closed:
            return  # queued before the window closed: its runner is gone
        row = self._current_row()
        epoch = self._ready_epoch
        for next_row in range(row + 1, row + 1 + READ_AHEAD):
            sample_row = self.queue_model.row_at(next_row)
            if (
                sample_row is not None
                and sample_row.id not in self._ready
                and sample_row.id not in self._reading
            ):
                self._read_one(sample_row.id, epoch)

    def _read_one(self, sample_id: uuid.UUID, epoch: int) -> None:
        # One task per sample, so the next one arrives first. No latest-wins key: a
        # fast reviewer would supersede every read before it delivers. Each sample is
        # read once at a time (`_reading`).
        self._reading.add(sample_id)
        task = self.runner.submit(_load_sample, self.service, sample_id)
        task.signals.succeeded.connect(lambda loaded: self._keep_ready(loaded, epoch))
        task.signals.finished.connect(lambda: self._read_done(sample_id))

    def _read_done(self, sample_id: uuid.UUID) -> None:
        self._reading.discard(sample_id)
        if self._loading_id == sample_id:
            # The sample waited for this read, which failed or was written since it
            # was read: read it again (an error then shows).
            self._load_shown(sample_id)

    def _keep_ready(self, loaded: LoadedSample, epoch: int) -> None:
        changed = max(self._all_changed_at, self._changed_at.get(loaded.detail.id, -1))
        if changed > epoch:
            return  # written since it was read
        if loaded.detail.id == self._loading_id:
            self._on_sample_loaded(loaded, direct=True)  # the sample waited for it
            return
        self._ready[loaded.detail.id] = loaded
        while len(self._ready) > 2 * READ_AHEAD:
            self._ready.popitem(last=False)

    def _forget_ready(self, changes: Changes) -> None:
        # Per sample: a submit must not spoil the read-ahead of the samples after it.
        self._ready_epoch += 1
        if changes.samples or not changes.sample_ids:
            self._all_changed_at = self._ready_epoch
            self._changed_at.clear()
            self._ready.clear()
            return
        for sample_id in changes.sample_ids:
            self._changed_at[sample_id] = self._ready_epoch
            self._ready.pop(sample_id, None)

    # -- keys pressed while a sample loads -------------------------------------------

    def _when_ready(self, action: Callable[[], None]) -> None:
        """Run a review key now, or, while the sample loads, as soon as it is shown (so
        a fast reviewer's keys are never dropped)."""
        if self._loading_id is not None:
            if len(self._pending) < MAX_PENDING_KEYS:
                self._pending.append(action)
            return
        if self.current is not None:
            action()

    def _run_pending(self) -> None:
        while self._pending and self._loading_id is None:
            self._pending.pop(0)()

    # -- time spent -------------------------------------------------------------------

    def _restart_clock(self, base_ms: int) -> None:
        self._time_base_ms = base_ms
        self._active_ms = 0.0
        self._last_tick = self.clock()
        self._shown_at = self._last_tick

    def _tick(self) -> None:
        """Add the time since the last tick, up to IDLE_AFTER_S, if the window counts."""
        now = self.clock()
        if self._counting:
            self._active_ms += min(now - self._last_tick, IDLE_AFTER_S) * 1000
        self._last_tick = now

    def set_counting(self, counting: bool) -> None:
        """Pause (the window went inactive) or resume the time-spent clock."""
        self._tick()
        self._counting = counting

    def _show_nothing(self) -> None:
        self.review_panel.flush_draft()
        self.current = None
        self._loading_id = None
        self._pending.clear()
        self.sample_view.show_detail(None)
        self.review_panel.load(None)
        self.refresh_progress()

    def time_spent_ms(self) -> int:
        """Time on the shown sample, plus what its draft carried: only while the window
        is active, and at most IDLE_AFTER_S after the last key or click."""
        self._tick()
        return self._time_base_ms + int(self._active_ms)

    # -- guidelines -------------------------------------------------------------------

    def _show_guidelines(self, prompt_name: str | None) -> None:
        self._guidelines_prompt = prompt_name
        cached = self._guidelines_cache.get(prompt_name)
        if cached is None and prompt_name is None:
            # No prompt, no catalog entry: the shipped default, no database read.
            cached = Guidelines(None, guidelines_text(None), stored=False, revision=0)
            self._guidelines_cache[None] = cached
        if cached is not None:
            self.guidelines_pane.show_guidelines(cached)
            return
        task = self.runner.submit(
            load_guidelines, self.engine, prompt_name, guidelines_text(prompt_name),
            key="guidelines",
        )  # fmt: skip
        task.signals.succeeded.connect(self._on_guidelines)
        task.signals.failed.connect(self._on_task_failed)

    def _on_guidelines(self, guidelines: Guidelines) -> None:
        self._guidelines_cache[guidelines.prompt_name] = guidelines
        if guidelines.prompt_name == self._guidelines_prompt:
            self.guidelines_pane.show_guidelines(guidelines)

    def edit_guidelines(self) -> None:
        """Ctrl+Shift+G: edit the guidelines of the shown sample's prompt."""
        self.guidelines_dock.setVisible(True)
        self.actions_by_id["view.guidelines"].setChecked(True)
        if not self.guidelines_pane.start_editing():
            self.statusBar().showMessage(
                "Samples without a prompt name share the default guidelines, which ship "
                "with Redline; they cannot be edited here.",
                5000,
            )

    def _on_guidelines_save(self, prompt_name: str | None, text: str) -> None:
        task = self.runner.submit(
            save_guidelines, self.engine, prompt_name, text, author=self.reviewer, write=True
        )
        task.signals.succeeded.connect(self._on_guidelines_saved)
        task.signals.failed.connect(self._on_task_failed)

    def _on_guidelines_saved(self, guidelines: Guidelines) -> None:
        self._on_guidelines(guidelines)
        # Guidelines belong to the prompt catalog: its pages show them too.
        self.hub.publish(Changes(prompts=True))
        self.statusBar().showMessage(
            f"Guidelines for {guidelines.prompt_name} saved (revision {guidelines.revision}).",
            5000,
        )
        self.focus_queue()

    # ================================================================== progress

    def refresh_progress(self) -> None:
        """Update "312 of 5,000 reviewed in this batch" in the background."""
        if self._closed:
            return
        batch = self.current.detail.batch_id if self.current is not None else None
        self._progress_batch = batch
        task = self.runner.submit(
            self.service.progress, batch, total=self._totals.get(batch), key="progress"
        )
        task.signals.succeeded.connect(lambda counts: self._on_progress(counts, batch=batch))
        task.signals.failed.connect(self._on_task_failed)

    def _on_progress(self, counts: tuple[int, int], *, batch: uuid.UUID | None) -> None:
        reviewed, total = counts
        self._totals[batch] = total
        in_batch = batch is not None
        where = " in this batch" if in_batch else ""
        text = f"{reviewed:,} of {total:,} reviewed{where}"
        self.progress_label.setText(text)
        self.progress_shown.emit(text)

    def _on_busy_changed(self, busy: bool) -> None:
        # Shown only for work that lasts: a label blinking with every short task (each
        # submit and read-ahead) would relayout the status bar twice per sample.
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_label.setText("")

    def _show_busy(self) -> None:
        self.busy_label.setText("Working…")

    # ============================================================== review flow

    def _can_edit(self) -> bool:
        return self.current is not None and self._loading_id is None

    def _on_draft_changed(self, draft: ReviewInput) -> None:
        if self.current is None or draft.sample_id != self.current.detail.id:
            return
        draft = dataclasses.replace(draft, time_spent_ms=self.time_spent_ms())
        task = self.runner.submit(
            self.service.save_draft, draft, key=f"draft:{draft.sample_id}", write=True
        )
        sample_id = draft.sample_id
        task.signals.succeeded.connect(lambda _none: self._on_draft_saved(sample_id))
        task.signals.failed.connect(self._on_task_failed)

    def _on_draft_saved(self, sample_id: uuid.UUID) -> None:
        # A read of this sample that started before the draft was written lacks it.
        self._forget_ready(Changes(frozenset({sample_id})))
        if self.current is not None and self.current.detail.id == sample_id:
            self.review_panel.set_status("Draft saved")
        self.draft_saved.emit(sample_id)

    def submit_review(self) -> None:
        """Submit the review shown (Ctrl+Enter), then move to the next sample.

        The submit is queued on the writer, which commits it within milliseconds, in
        the order of the keys (a following undo comes after it); the window moves on at
        once. If it fails, the error is shown and the review comes back as a draft.
        """
        if self._loading_id is not None:
            self._when_ready(self.submit_review)
            return
        if not self._can_edit():
            return
        review = self.review_panel.current_input(self.time_spent_ms())
        if review is None:
            return
        if review.verdict is None:
            self.statusBar().showMessage("Choose a verdict first: G good, B bad, U unsure.", 5000)
            return
        self.review_panel.cancel_draft()
        self._unsaved.pop(review.sample_id, None)
        self._in_flight += 1
        rowid = self.current.detail.rowid if self.current is not None else None
        task = self.runner.submit(_submit, self.service, review, rowid, write=True)
        task.signals.succeeded.connect(self._on_submitted)
        task.signals.failed.connect(lambda exc: self._on_submit_failed(exc, review))
        # Its read-ahead copy predates the review.
        self._ready.pop(review.sample_id, None)
        # Focus back on the queue, so single keys work again after typing a correction.
        self.queue_view.setFocus(Qt.FocusReason.OtherFocusReason)
        row = self._current_row()
        if 0 <= row < self.queue_model.rowCount() - 1:
            self._select_row(row + 1)
        else:
            self.statusBar().showMessage("That was the last sample of the queue.", 5000)

    def _on_submitted(self, changes: Changes) -> None:
        self._in_flight -= 1
        self.review_submitted.emit(changes)
        self.hub.publish(changes)
        shown = self.current.detail.id if self.current is not None else None
        if self._loading_id is None and shown in changes.sample_ids:
            # Still (or again) on the submitted sample: show it as stored.
            self._reload_current()

    def _on_submit_failed(self, exc: BaseException, review: ReviewInput) -> None:
        self._in_flight -= 1
        self._unsaved[review.sample_id] = review
        self.statusBar().showMessage(
            "A review was not saved; it is kept as a draft of its sample (K goes back).", 10_000
        )
        self._on_task_failed(exc)

    def undo_review(self) -> None:
        """Undo this session's last review action (Ctrl+Z) and show that sample."""
        self._undo_redo(self.service.undo, "Nothing to undo.")

    def redo_review(self) -> None:
        """Redo the last undone review action (Ctrl+Shift+Z)."""
        self._undo_redo(self.service.redo, "Nothing to redo.")

    def _undo_redo(self, fn: Any, nothing: str) -> None:
        # No wait for submits in flight: the one writer runs this after them.
        self.review_panel.flush_draft()
        task: Task = self.runner.submit(fn, write=True)
        task.signals.succeeded.connect(lambda changes: self._on_undone(changes, nothing))
        task.signals.failed.connect(self._on_task_failed)

    def _on_undone(self, changes: Changes | None, nothing: str) -> None:
        if changes is None:
            self.statusBar().showMessage(nothing, 3000)
            return
        self.hub.publish(changes)
        target = next(iter(changes.sample_ids), None)
        row = None
        if target is not None and target in self._rowids:
            row = self.queue_model.row_of_rowid(self._rowids[target])
        if row is not None and (self.current is None or self.current.detail.id != target):
            self._select_row(row)
        else:
            self._reload_current()

    def _reload_current(self) -> None:
        if self.current is None:
            return
        self.current = None
        row = self._current_row()
        if row >= 0:
            self._show_row(row)

    def _on_changes(self, changes: Changes) -> None:
        self._forget_ready(changes)
        self.queue_model.apply_changes(changes)
        if changes.samples:
            self._totals.clear()
            self._guidelines_cache.clear()
            self.reload_queue()
            self._load_filter_options()
            self._index_for_search()
        elif changes.prompts:
            # Guidelines may have changed elsewhere (the prompts page, a pull).
            self._guidelines_cache.clear()
        # Counted once the reviewer pauses, not once per submit of a quick run: each
        # count is a task, and its result another relayout of the status bar.
        self._progress_timer.start()

    # ============================================================ key handlers

    def next_sample(self) -> None:
        """J: the next row of the queue."""
        row = self._current_row()
        if row + 1 < self.queue_model.rowCount():
            self._select_row(row + 1)

    def previous_sample(self) -> None:
        """K: the previous row of the queue."""
        row = self._current_row()
        if row > 0:
            self._select_row(row - 1)

    def skip_sample(self) -> None:
        """S: leave this sample as it is (its draft is kept) and go to the next."""
        self.next_sample()

    def set_verdict(self, verdict: str) -> None:
        self._when_ready(lambda: self.review_panel.set_verdict(Verdict(verdict)))

    def set_rating(self, n: int) -> None:
        self._when_ready(lambda: self.review_panel.set_rating(n))

    def toggle_flag(self) -> None:
        self._when_ready(self.review_panel.toggle_flag)

    def edit_correction(self) -> None:
        self._when_ready(self.review_panel.focus_correction)

    def edit_note(self) -> None:
        self._when_ready(self.review_panel.focus_note)

    def focus_search(self) -> None:
        self.filter_bar.focus_search()

    def focus_queue(self) -> None:
        focused = QApplication.focusWidget()
        if (
            focused is not None
            and self.guidelines_pane.is_editing()
            and self.guidelines_pane.isAncestorOf(focused)
        ):
            self.guidelines_pane.cancel_editing()
        self.queue_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def toggle_guidelines(self) -> None:
        visible = not self.guidelines_dock.isVisible()
        self.guidelines_dock.setVisible(visible)
        self.actions_by_id["view.guidelines"].setChecked(visible)

    def show_shortcuts(self) -> None:
        ShortcutsDialog.ask(self)

    # open_preferences (Ctrl+,) and cycle_theme (Ctrl+Shift+T) come from DesktopMixin.

    def sync_now(self) -> None:
        """Ctrl+Shift+S: sync with the shared database in the background."""
        self.review_panel.flush_draft()
        self.sync_widget.sync_now()

    def edit_connection(self) -> None:
        """The shared database's connection dialog; saving it syncs."""
        if ConnectionDialog.ask(self.settings, self) is not None:
            self.sync_widget.profile_changed()

    def import_file(self, path: Path | None = None) -> None:
        """Ctrl+I, or a file dropped on the window: the import dialog."""
        self.review_panel.flush_draft()
        report = ImportDialog.ask(
            self, engine=self.engine, runner=self.runner, reviewer=self.reviewer, path=path
        )
        if report is not None:
            self.hub.publish(Changes(samples=True))

    # ================================================================== errors

    def _on_task_failed(self, exc: BaseException) -> None:
        if isinstance(exc, RedlineError):
            self.statusBar().showMessage(exc.one_line(), 10_000)
        ErrorDialog.ask(self, exc)

    # ============================================================ Qt overrides

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self._tick()  # input: the reviewer is here, the clock counts on
        return False

    @override
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ActivationChange:
            self.set_counting(self.isActiveWindow())
        super().changeEvent(event)

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if not urls or not urls[0].isLocalFile():
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_file(Path(urls[0].toLocalFile()))

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        # A half-written review is saved before the window goes: flush the draft, let
        # queued writes finish, then stop the rest.
        self.review_panel.flush_draft()
        self._closed = True
        self._progress_timer.stop()
        self._busy_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.runner.wait_for_writes()
        self.runner.shutdown()
        self.save_layout()
        super().closeEvent(event)


_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
    }
)
