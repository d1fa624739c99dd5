"""The review controller: the queue, the shown sample and the reviewer's keys.

`ReviewController` is what the main window's review tab does, without its layout: it
loads the queue (first rows fast, then the full snapshot), shows the sample of the
current row (from the read-ahead when it can), keeps review keys pressed while a sample
loads, counts the time spent, and submits, undoes and saves drafts on the writer thread.
Every database call runs in a task; its slots touch only the widgets it was given.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView

from redline.review import queue
from redline.review.service import ReviewService
from redline.review.types import (
    Changes,
    QueueFilter,
    QueueSort,
    ReviewInput,
    SampleRow,
    Verdict,
)
from redline.store.queries import BatchInfo, StoreStats
from redline.store.search import ensure_search_index
from redline.ui.changes import ChangeHub
from redline.ui.models.queue_model import QueueModel
from redline.ui.review import background
from redline.ui.review.background import LoadedSample, QueueHead
from redline.ui.review.read_ahead import READ_AHEAD, ReadAhead
from redline.ui.review.session_mark import SessionMark
from redline.ui.review.time_spent import TimeSpentClock
from redline.ui.tasks import Task, TaskRunner
from redline.ui.widgets.filter_bar import FilterBar
from redline.ui.widgets.review_panel import ReviewPanel
from redline.ui.widgets.sample_view import SampleView
from redline.ui.wording import count as count_text

__all__ = ["MAX_PENDING_KEYS", "PROGRESS_AFTER_MS", "ReviewController"]

# Review keys pressed while a sample loads are kept and applied to it, up to this many.
MAX_PENDING_KEYS = 20
# The progress count follows a write after this pause (one count for a quick run).
PROGRESS_AFTER_MS = 200


class ReviewController(QObject):
    """Drives the review tab's widgets: queue, sample view and review panel.

    Signals:
        sample_shown: the id of the sample now shown (its detail, review and draft loaded).
        queue_loaded: the number of rows in the queue after a (re)load.
        review_submitted: the `Changes` of a submit that committed.
        draft_saved: the sample id whose draft was written.
        progress_shown: the progress text ("312 of 5,000 reviewed in this batch").
        prompt_shown: the prompt name (or None) of the sample just shown, for its guidelines.
        message: (text, milliseconds) for the status bar.
        failed: an exception of background work, for the error dialog.

    Attributes:
        read_ahead: the samples read ahead of the current row (see `ReadAhead`).
        clock: the time-spent clock of the shown sample.
    """

    sample_shown = Signal(object)
    queue_loaded = Signal(int)
    review_submitted = Signal(object)
    draft_saved = Signal(object)
    progress_shown = Signal(str)
    prompt_shown = Signal(object)
    message = Signal(str, int)
    failed = Signal(object)

    def __init__(
        self,
        service: ReviewService,
        *,
        runner: TaskRunner,
        hub: ChangeHub,
        queue_model: QueueModel,
        queue_view: QTableView,
        count_label: QLabel,
        filter_bar: FilterBar,
        sample_view: SampleView,
        review_panel: ReviewPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.engine = service.engine
        self.reviewer = service.reviewer
        self._session = SessionMark(service.engine.url.render_as_string(), service.reviewer)
        # After a crash: the queue rowid of the sample with the newest draft, shown first.
        self._resume_rowid: int | None = None
        self.runner = runner
        self.hub = hub
        self.queue_model = queue_model
        self.queue_view = queue_view
        self.count_label = count_label
        self.filter_bar = filter_bar
        self.sample_view = sample_view
        self.review_panel = review_panel
        self._sort = QueueSort()

        # Which sample is shown, and what is in flight.
        self._current: LoadedSample | None = None
        self._loading_id: uuid.UUID | None = None
        # Submits queued on the writer and not committed yet (the window moves on at once).
        self._in_flight = 0
        # Reviews whose submit failed, shown again (as drafts) when their sample is.
        self._unsaved: dict[uuid.UUID, ReviewInput] = {}
        self._queue_generation = 0
        self._full_snapshot_generation = -1
        self._snapshot_task: Task | None = None
        self._rowids: dict[uuid.UUID, int] = {}
        self.read_ahead = ReadAhead()
        # The queue generation whose first page the queue shows (see _on_snapshot).
        self._first_page_generation = -1
        self._closed = False
        # Review keys pressed while a sample was loading (or a submit committing).
        self._pending: list[Callable[[], None]] = []
        self.clock = TimeSpentClock(self)
        # Samples per batch (None: the store); they change only with imports.
        self._totals: dict[uuid.UUID | None, int] = {}
        self._progress_batch: object = ()
        self._filter_options_loaded = False
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_AFTER_MS)
        self._progress_timer.timeout.connect(self.refresh_progress)

        filter_bar.filter_changed.connect(self._on_filter_changed)
        queue_model.sort_requested.connect(self._on_sort_requested)
        queue_view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        review_panel.set_runner(runner)
        review_panel.diff_view.failed.connect(self.failed.emit)
        review_panel.draft_changed.connect(self._on_draft_changed)
        review_panel.submit_requested.connect(self.submit_review)
        hub.changed.connect(self._on_changes)

    def start(self) -> None:
        """Load the queue, watch the reviewer's input, and index new samples for search."""
        # Keys and clicks anywhere in the app keep the time-spent clock running.
        self.clock.watch_input()
        if self._session.begin():
            self._resume_rowid = queue.newest_draft_rowid(self.engine, self.reviewer)
        self.reload_queue()
        # The filter choices count the whole store (a second at a million samples):
        # asked for once the first snapshot is in, so they never delay the first screen.
        self._index_for_search()

    def close(self) -> None:
        """The window closes: save the draft, start nothing new, stop the clock."""
        self.review_panel.flush_draft()
        self._session.end()
        self._closed = True
        self._progress_timer.stop()
        self.clock.stop()

    # ================================================================== public state

    @property
    def current(self) -> LoadedSample | None:
        """The sample shown (its detail, review, draft and history); None for none."""
        return self._current

    @property
    def loading_sample_id(self) -> uuid.UUID | None:
        """The sample of the current row while it is read (None once it is shown)."""
        return self._loading_id

    @property
    def queue_generation(self) -> int:
        """Counts queue reloads (a filter, sort or import change starts a new one)."""
        return self._queue_generation

    @property
    def snapshot_generation(self) -> int:
        """The queue generation whose full list the queue holds (-1 before the first):
        equal to `queue_generation` once a reload is complete."""
        return self._full_snapshot_generation

    @property
    def sort(self) -> QueueSort:
        """The queue's order."""
        return self._sort

    @property
    def submits_in_flight(self) -> int:
        """Submits queued on the writer and not committed (or failed) yet."""
        return self._in_flight

    def time_spent_ms(self) -> int:
        """Time on the shown sample, plus what its draft carried: only while the window
        is active, and at most IDLE_AFTER_S after the last key or click."""
        return self.clock.time_spent_ms()

    # ====================================================================== queue

    def reload_queue(self) -> None:
        """Rebuild the queue for the current filter: first rows fast, then the snapshot."""
        filter = self.filter_bar.current_filter()
        self._queue_generation += 1
        generation = self._queue_generation
        args = (self.engine, filter, self._sort, self.reviewer)
        preload = self._current is None
        if self._snapshot_task is not None:
            # Superseded: stop its query now, not when the next snapshot starts.
            self._snapshot_task.cancel()
            self._snapshot_task.signals.drop()
            self._snapshot_task = None
        head = self.runner.submit(
            background.queue_head, self.service, filter, self._sort, preload,
            key="queue-first-page",
        )  # fmt: skip
        head.signals.succeeded.connect(lambda head: self._on_first_page(generation, head))
        head.signals.failed.connect(self.failed.emit)
        # The snapshot starts once the first rows are in: on two cores, a snapshot of a
        # common word (seconds of CPU) running beside the first page would slow it down.
        # A superseded head delivers nothing, and its reload's snapshot never starts.
        head.signals.finished.connect(lambda: self._take_snapshot(generation, args))

    def _take_snapshot(self, generation: int, args: tuple[Any, ...]) -> None:
        if generation != self._queue_generation or self._closed:
            return
        full = self.runner.submit(queue.snapshot, *args, key="queue-snapshot", pass_progress=True)
        full.signals.succeeded.connect(lambda rowids: self._on_snapshot(generation, rowids))
        full.signals.failed.connect(self.failed.emit)
        self._snapshot_task = full

    def _on_filter_changed(self, _filter: QueueFilter) -> None:
        self.reload_queue()

    def _on_sort_requested(self, sort: QueueSort) -> None:
        if sort != self._sort:
            self._sort = sort
            self.reload_queue()

    def _on_first_page(self, generation: int, head: QueueHead) -> None:
        if generation != self._queue_generation or self._full_snapshot_generation == generation:
            return
        if head.first is not None and self._loading_id is None:
            self._keep_ready(head.first, self.read_ahead.epoch)
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
        self.count_label.setText(
            count_text(count, "sample") if complete else f"{count:,}+ samples (counting…)"
        )
        row = self.queue_model.row_of_rowid(keep) if keep is not None else None
        if self._resume_rowid is not None:
            resumed = self.queue_model.row_of_rowid(self._resume_rowid)
            if resumed is not None or complete:
                self._resume_rowid = None
            if resumed is not None:
                row = resumed
                self.message.emit("The app closed unexpectedly: draft restored.", 10_000)
        if row is None:
            row = 0 if count else -1
        if row >= 0:
            self.select_row(row)
        elif complete:
            self._show_nothing()

    def _current_rowid(self) -> int | None:
        # The row the reviewer is on, also while its sample is still loading (the one
        # shown is then the sample before it, often just submitted).
        row = self.queue_model.rowid_at(self.current_row())
        if row is not None:
            return row
        return self._current.detail.rowid if self._current is not None else None

    def select_row(self, row: int) -> None:
        """Make queue row `row` current and show its sample."""
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

    def current_row(self) -> int:
        """The queue's current row; -1 for none."""
        index = self.queue_view.currentIndex()
        return index.row() if index.isValid() else -1

    def _load_filter_options(self) -> None:
        task = self.runner.submit(background.filter_options, self.engine, key="filter-options")
        task.signals.succeeded.connect(self._on_filter_options)
        task.signals.failed.connect(self.failed.emit)

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
        task.signals.failed.connect(self.failed.emit)

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
        shown = self._current.detail.id if self._current is not None else None
        if self._loading_id is None and shown == sample_row.id:
            return
        self.review_panel.flush_draft()
        ready = self.read_ahead.take(sample_row.id)
        if ready is not None:
            # Read ahead: shown at once, no round trip (submit → next sample).
            # A load still in flight for another row is ignored when it arrives.
            self._loading_id = None
            self._on_sample_loaded(ready, direct=True)
            return
        self._loading_id = sample_row.id
        if self.read_ahead.is_reading(sample_row.id):
            return  # being read ahead: shown when that read arrives (see _keep_ready)
        self._load_shown(sample_row.id)

    def _load_shown(self, sample_id: uuid.UUID) -> None:
        """Read the sample to show (`_loading_id`) in the background."""
        task = self.runner.submit(
            background.load_sample, self.service, sample_id, key="sample-detail"
        )
        task.signals.succeeded.connect(self._on_sample_loaded)
        task.signals.failed.connect(self._on_sample_failed)

    def _on_sample_loaded(self, loaded: LoadedSample, *, direct: bool = False) -> None:
        if not direct and self._loading_id != loaded.detail.id:
            return  # superseded by a sample shown from the read-ahead
        self._loading_id = None
        unsaved = self._unsaved.get(loaded.detail.id)
        if unsaved is not None:
            loaded = dataclasses.replace(loaded, draft=unsaved)
        self._current = loaded
        self._rowids[loaded.detail.id] = loaded.detail.rowid
        self.sample_view.show_detail(loaded.detail)
        self.review_panel.load(loaded.detail, loaded.review, loaded.draft, list(loaded.history))
        self.clock.restart(loaded.draft.time_spent_ms if loaded.draft is not None else 0)
        self.prompt_shown.emit(loaded.detail.prompt_name)
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
        self.failed.emit(exc)

    def _show_nothing(self) -> None:
        self.review_panel.flush_draft()
        self._current = None
        self._loading_id = None
        self._pending.clear()
        self.sample_view.show_detail(None)
        self.review_panel.load(None)
        self.refresh_progress()

    # -- read-ahead ---------------------------------------------------------------

    def _read_ahead(self) -> None:
        """Load the next rows' samples in the background, ready for J or a submit."""
        if self._closed:
            return  # queued before the window closed: its runner is gone
        row = self.current_row()
        epoch = self.read_ahead.epoch
        for next_row in range(row + 1, row + 1 + READ_AHEAD):
            sample_row = self.queue_model.row_at(next_row)
            if sample_row is not None and self.read_ahead.wanted(sample_row.id):
                self._read_one(sample_row.id, epoch)

    def _read_one(self, sample_id: uuid.UUID, epoch: int) -> None:
        # One task per sample, so the next one arrives first. No latest-wins key: a
        # fast reviewer would supersede every read before it delivers. Each sample is
        # read once at a time (see ReadAhead.start_reading).
        self.read_ahead.start_reading(sample_id)
        task = self.runner.submit(background.load_sample, self.service, sample_id)
        task.signals.succeeded.connect(lambda loaded: self._keep_ready(loaded, epoch))
        task.signals.finished.connect(lambda: self._read_done(sample_id))

    def _read_done(self, sample_id: uuid.UUID) -> None:
        self.read_ahead.done_reading(sample_id)
        if self._loading_id == sample_id:
            # The sample waited for this read, which failed or was written since it
            # was read: read it again (an error then shows).
            self._load_shown(sample_id)

    def _keep_ready(self, loaded: LoadedSample, epoch: int) -> None:
        if not self.read_ahead.is_fresh(loaded, epoch):
            return  # written since it was read
        if loaded.detail.id == self._loading_id:
            self._on_sample_loaded(loaded, direct=True)  # the sample waited for it
            return
        self.read_ahead.keep(loaded)

    # -- keys pressed while a sample loads -------------------------------------------

    def _when_ready(self, action: Callable[[], None]) -> None:
        """Run a review key now, or, while the sample loads, as soon as it is shown (so
        a fast reviewer's keys are never dropped)."""
        if self._loading_id is not None:
            if len(self._pending) < MAX_PENDING_KEYS:
                self._pending.append(action)
            return
        if self._current is not None:
            action()

    def _run_pending(self) -> None:
        while self._pending and self._loading_id is None:
            self._pending.pop(0)()

    # ================================================================== progress

    def refresh_progress(self) -> None:
        """Update "312 of 5,000 reviewed in this batch" in the background."""
        if self._closed:
            return
        batch = self._current.detail.batch_id if self._current is not None else None
        self._progress_batch = batch
        task = self.runner.submit(
            self.service.progress, batch, total=self._totals.get(batch), key="progress"
        )
        task.signals.succeeded.connect(lambda counts: self._on_progress(counts, batch=batch))
        task.signals.failed.connect(self.failed.emit)

    def _on_progress(self, counts: tuple[int, int], *, batch: uuid.UUID | None) -> None:
        reviewed, total = counts
        self._totals[batch] = total
        in_batch = batch is not None
        where = " in this batch" if in_batch else ""
        self.progress_shown.emit(f"{reviewed:,} of {total:,} reviewed{where}")

    # ============================================================== review flow

    def _can_edit(self) -> bool:
        return self._current is not None and self._loading_id is None

    def _on_draft_changed(self, draft: ReviewInput) -> None:
        if self._current is None or draft.sample_id != self._current.detail.id:
            return
        draft = dataclasses.replace(draft, time_spent_ms=self.time_spent_ms())
        task = self.runner.submit(
            self.service.save_draft, draft, key=f"draft:{draft.sample_id}", write=True
        )
        sample_id = draft.sample_id
        task.signals.succeeded.connect(lambda _none: self._on_draft_saved(sample_id))
        task.signals.failed.connect(self.failed.emit)

    def _on_draft_saved(self, sample_id: uuid.UUID) -> None:
        # A read of this sample that started before the draft was written lacks it.
        self.read_ahead.forget(Changes(frozenset({sample_id})))
        # The queue marks the sample as having a draft (one indexed row read).
        self.queue_model.apply_changes(Changes(frozenset({sample_id})))
        if self._current is not None and self._current.detail.id == sample_id:
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
            self.message.emit("Choose a verdict first: G good, B bad, U unsure.", 5000)
            return
        self.review_panel.cancel_draft()
        self._unsaved.pop(review.sample_id, None)
        self._in_flight += 1
        rowid = self._current.detail.rowid if self._current is not None else None
        task = self.runner.submit(background.submit, self.service, review, rowid, write=True)
        task.signals.succeeded.connect(self._on_submitted)
        task.signals.failed.connect(lambda exc: self._on_submit_failed(exc, review))
        # Its read-ahead copy predates the review.
        self.read_ahead.take(review.sample_id)
        # Focus back on the queue, so single keys work again after typing a correction.
        self.queue_view.setFocus(Qt.FocusReason.OtherFocusReason)
        row = self.current_row()
        if 0 <= row < self.queue_model.rowCount() - 1:
            self.select_row(row + 1)
        else:
            self.message.emit("That was the last sample of the queue.", 5000)

    def _on_submitted(self, changes: Changes) -> None:
        self._in_flight -= 1
        self.review_submitted.emit(changes)
        self.hub.publish(changes)
        shown = self._current.detail.id if self._current is not None else None
        if self._loading_id is None and shown in changes.sample_ids:
            # Still (or again) on the submitted sample: show it as stored.
            self._reload_current()

    def _on_submit_failed(self, exc: BaseException, review: ReviewInput) -> None:
        self._in_flight -= 1
        self._unsaved[review.sample_id] = review
        self.message.emit(
            "A review was not saved; it is kept as a draft of its sample (K goes back).", 10_000
        )
        self.failed.emit(exc)

    def undo_review(self) -> None:
        """Undo this session's last review action (Ctrl+Z) and show that sample, its
        review back as an editable draft."""
        self._undo_redo(
            self.service.undo, "Nothing to undo.",
            "Review undone: it is a draft again (Ctrl+Enter submits it).",
        )  # fmt: skip

    def redo_review(self) -> None:
        """Redo the last undone review action (Ctrl+Shift+Z)."""
        self._undo_redo(self.service.redo, "Nothing to redo.", "Review redone.")

    def _undo_redo(self, fn: Callable[[], Changes | None], nothing: str, done: str) -> None:
        # No wait for submits in flight: the one writer runs this after them.
        self.review_panel.flush_draft()
        task: Task = self.runner.submit(fn, write=True)
        task.signals.succeeded.connect(lambda changes: self._on_undone(changes, nothing, done))
        task.signals.failed.connect(self.failed.emit)

    def _on_undone(self, changes: Changes | None, nothing: str, done: str) -> None:
        if changes is None:
            self.message.emit(nothing, 3000)
            return
        self.message.emit(done, 5000)
        self.hub.publish(changes)
        target = next(iter(changes.sample_ids), None)
        row = None
        if target is not None and target in self._rowids:
            row = self.queue_model.row_of_rowid(self._rowids[target])
        if row is not None and (self._current is None or self._current.detail.id != target):
            self.select_row(row)
        else:
            self._reload_current()

    def _reload_current(self) -> None:
        if self._current is None:
            return
        self._current = None
        row = self.current_row()
        if row >= 0:
            self._show_row(row)

    def _on_changes(self, changes: Changes) -> None:
        self.read_ahead.forget(changes)
        self.queue_model.apply_changes(changes)
        if changes.samples:
            self._totals.clear()
            self.reload_queue()
            self._load_filter_options()
            self._index_for_search()
        # Counted once the reviewer pauses, not once per submit of a quick run: each
        # count is a task, and its result another relayout of the status bar.
        self._progress_timer.start()

    # ============================================================ review keys

    def next_sample(self) -> None:
        """J: the next row of the queue."""
        row = self.current_row()
        if row + 1 < self.queue_model.rowCount():
            self.select_row(row + 1)

    def previous_sample(self) -> None:
        """K: the previous row of the queue."""
        row = self.current_row()
        if row > 0:
            self.select_row(row - 1)

    def skip_sample(self) -> None:
        """S: leave this sample as it is (its draft is kept) and go to the next."""
        self.next_sample()

    def set_verdict(self, verdict: str) -> None:
        """G, B, U: the verdict (kept for the sample while it loads)."""
        self._when_ready(lambda: self.review_panel.set_verdict(Verdict(verdict)))

    def set_rating(self, n: int) -> None:
        """1-5: the rating (kept for the sample while it loads)."""
        self._when_ready(lambda: self.review_panel.set_rating(n))

    def toggle_flag(self) -> None:
        """F: flag the sample for a lead."""
        self._when_ready(self.review_panel.toggle_flag)

    def edit_correction(self) -> None:
        """E: into the correction."""
        self._when_ready(self.review_panel.focus_correction)

    def edit_note(self) -> None:
        """N: into the note."""
        self._when_ready(self.review_panel.focus_note)
