"""Background work: a service call on a worker thread, reporting back through signals.

A `Task` runs one plain, synchronous function (a service) on a `QThreadPool`. Every
result travels back to the GUI thread: the worker posts an event to its `TaskSignals`
object, which lives on the GUI thread and emits the public signals there. So any
callable connected to a task's signals, a lambda included, runs on the GUI thread,
and a task that was superseded or dropped delivers nothing at all.

`TaskRunner` keeps writes to the local SQLite store on one thread (SQLite has one
writer; queueing in our pool beats waiting on its lock) and reads on the global pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot
from typing_extensions import override

from redline.progress import Cancelled

__all__ = ["QtProgress", "Task", "TaskRunner", "TaskSignals"]

PROGRESS_INTERVAL_S = 0.05


class TaskSignals(QObject):
    """What a task reports; every signal is emitted on the GUI thread.

    Signals:
        started: the worker began running the function.
        progress: (done, total, text) at most every ~50 ms; total 0 means unknown.
        succeeded: the function's return value.
        failed: the exception the function raised (never `Cancelled`).
        cancelled: the task was cancelled (before starting, or the function raised
            `Cancelled`).
        finished: always last, after exactly one of succeeded / failed / cancelled.
    """

    started = Signal()
    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    # Posted from the worker thread; queued to `_deliver` on this object's (GUI) thread.
    _posted = Signal(str, object)

    def __init__(self) -> None:
        super().__init__()
        self._dropped = False
        self._on_finished: Callable[[], None] | None = None
        self._posted.connect(self._deliver)

    def drop(self) -> None:
        """Deliver nothing more: the result is no longer wanted (latest-wins)."""
        self._dropped = True

    @property
    def dropped(self) -> bool:
        return self._dropped

    def post(self, name: str, *args: object) -> None:
        """Called from any thread: emit signal `name` with `args` on the GUI thread."""
        self._posted.emit(name, args)

    @Slot(str, object)
    def _deliver(self, name: str, args: tuple[object, ...]) -> None:
        if not self._dropped:
            getattr(self, name).emit(*args)
        if name == "finished" and self._on_finished is not None:
            callback, self._on_finished = self._on_finished, None
            callback()


class QtProgress:
    """A `redline.progress.Progress` that reports through a task's signals.

    `update` is called by the service on the worker thread; it emits at most every
    ~50 ms (a tight import loop would otherwise flood the GUI's event queue), and
    always the final `done == total` report.
    """

    def __init__(self, signals: TaskSignals, *, interval_s: float = PROGRESS_INTERVAL_S) -> None:
        self._signals = signals
        self._interval = interval_s
        self._event = threading.Event()
        self._last_emit = -float("inf")

    def update(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        final = total > 0 and done >= total
        if final or now - self._last_emit >= self._interval:
            self._last_emit = now
            self._signals.post("progress", done, total, text)

    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()


class Task(QRunnable):
    """One function call on a worker thread, with progress, cancel and result signals.

    Attributes:
        signals: the task's `TaskSignals` (connect before submitting).
        progress: the `QtProgress` handed to the function when `pass_progress` is set.
        key: the latest-wins key it was submitted under, if any.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        key: str | None = None,
        pass_progress: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        # The runner keeps the Python object alive until `finished` is delivered;
        # Qt must not delete the C++ side under it.
        self.setAutoDelete(False)
        self.key = key
        self.signals = TaskSignals()
        self.progress = QtProgress(self.signals)
        self._fn = fn
        self._args = args
        self._kwargs = dict(kwargs)
        if pass_progress:
            self._kwargs["progress"] = self.progress

    def cancel(self) -> None:
        """Ask the function to stop (it polls `progress.cancelled()`)."""
        self.progress.cancel()

    def is_cancelled(self) -> bool:
        return self.progress.cancelled()

    @override
    def run(self) -> None:
        post = self.signals.post
        try:
            if self.progress.cancelled():
                post("cancelled")
                return
            post("started")
            try:
                result = self._fn(*self._args, **self._kwargs)
            except Cancelled:
                post("cancelled")
            except Exception as exc:  # every failure goes to the GUI, never lost
                post("failed", exc)
            else:
                post("succeeded", result)
        finally:
            post("finished")


class TaskRunner(QObject):
    """Submits tasks: writes on one thread, everything else on the global pool.

    `submit(..., key=k)` is latest-wins: an unfinished task submitted earlier with the
    same key is cancelled and dropped, so its result never reaches the GUI.

    Signals:
        busy_changed: True when the first task starts, False when the last one ends.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._write_pool = QThreadPool(self)
        # One writer: SQLite serialises writers anyway, and ordered writes keep
        # submit -> undo -> redo in the order the reviewer pressed the keys.
        self._write_pool.setMaxThreadCount(1)
        self._read_pool = QThreadPool.globalInstance()
        self._active: dict[int, tuple[Task, QThreadPool]] = {}
        self._by_key: dict[str, Task] = {}
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        key: str | None = None,
        write: bool = False,
        pass_progress: bool = False,
        connect: Callable[[Task], None] | None = None,
        **kwargs: Any,
    ) -> Task:
        """Run `fn(*args, **kwargs)` in the background and return its task.

        Args:
            fn: a synchronous function (a service call).
            key: latest-wins key; an unfinished task with the same key is superseded.
            write: run on the one-thread write pool (anything writing the local store).
            pass_progress: call `fn(..., progress=task.progress)`.
            connect: called with the task before it starts, to connect its signals
                (connecting after `submit` returns is also safe: results are delivered
                through the event loop, never before control returns to it).
        """
        task = Task(fn, *args, key=key, pass_progress=pass_progress, **kwargs)
        if key is not None:
            old = self._by_key.pop(key, None)
            if old is not None:
                self._supersede(old)
            self._by_key[key] = task
        pool = self._write_pool if write else self._read_pool
        was_idle = not self._active
        self._active[id(task)] = (task, pool)
        task.signals._on_finished = lambda: self._forget(task)
        if connect is not None:
            connect(task)
        if was_idle:
            self.busy_changed.emit(True)
        pool.start(task)
        return task

    def _supersede(self, task: Task) -> None:
        task.cancel()
        task.signals.drop()
        pool = self._active.get(id(task), (task, None))[1]
        if pool is not None and pool.tryTake(task):
            # Never started: no `finished` will come to release it.
            self._forget(task)

    def _forget(self, task: Task) -> None:
        if self._active.pop(id(task), None) is None:
            return
        if task.key is not None and self._by_key.get(task.key) is task:
            del self._by_key[task.key]
        if not self._active:
            self.busy_changed.emit(False)

    def active_count(self) -> int:
        """Tasks submitted and not yet finished (queued or running)."""
        return len(self._active)

    def active_keys(self) -> list[str | None]:
        """The keys of the tasks submitted and not yet finished (None: no key)."""
        return [task.key for task, _pool in self._active.values()]

    def cancel_all(self) -> None:
        """Cancel every task; queued ones never start."""
        for task, pool in list(self._active.values()):
            task.cancel()
            if pool.tryTake(task):
                task.signals.drop()
                self._forget(task)

    def wait_for_writes(self, timeout_ms: int = 10_000) -> bool:
        """Wait until every queued write ran (a closing window saving its draft)."""
        return self._write_pool.waitForDone(timeout_ms)

    @Slot()
    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for running workers (on quit, or a window closing).

        Returns True if every worker stopped within the timeout.
        """
        self.cancel_all()
        for task, _pool in list(self._active.values()):
            task.signals.drop()
        done = self._write_pool.waitForDone(timeout_ms)
        # Only our own tasks matter on the global pool, but Qt can only wait for all.
        done = self._read_pool.waitForDone(timeout_ms) and done
        # Their "finished" events may still be queued: they must not call back into a
        # runner that is about to be deleted ("Signal source has been deleted").
        was_busy = bool(self._active)
        for task, _pool in self._active.values():
            task.signals._on_finished = None
        self._active.clear()
        self._by_key.clear()
        if was_busy:
            self.busy_changed.emit(False)
        return done
