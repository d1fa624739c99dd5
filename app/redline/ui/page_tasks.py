"""Run a page's background work: the result to the page, a failure to the error dialog.

Every workspace page (and the shared database admin dialog) runs its services the same
way: submit a task, hand the result to a slot, show a failure in the page's own status
line and then in the error dialog, and, for long work, follow its progress, cancel and
end. `PageTasks` is that pattern, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.tasks import Task, TaskRunner

__all__ = ["PageTasks"]


class PageTasks:
    """Runs one page's tasks on the window's runner.

    Args:
        runner: the runner tasks are submitted to (the window's, from the page context).
        page: the widget the error dialog opens over.
        title: the error dialog's title.
        on_failure: called with the exception before the dialog opens (the page says in
            its own status line that the work was not done).
    """

    def __init__(
        self,
        runner: TaskRunner,
        page: QWidget,
        *,
        title: str,
        on_failure: Callable[[BaseException], object] | None = None,
    ) -> None:
        self.runner = runner
        self._page = page
        self._title = title
        self._on_failure = on_failure

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_success: Callable[[Any], object],
        key: str | None = None,
        write: bool = False,
        pass_progress: bool = False,
        on_progress: Callable[[int, int, str], object] | None = None,
        on_cancelled: Callable[[], object] | None = None,
        on_finished: Callable[[Task], object] | None = None,
        title: str | None = None,
        **kwargs: Any,
    ) -> Task:
        """Run `fn(*args, **kwargs)` in the background (see `TaskRunner.submit`).

        Args:
            on_success: called with the result.
            key, write, pass_progress: as for `TaskRunner.submit`.
            on_progress: (done, total, text) while it runs (with `pass_progress`).
            on_cancelled: the task was cancelled (the Cancel button, or superseded
                before it started).
            on_finished: called with the task when it ended, whatever the outcome.
            title: the error dialog's title for this task, if not the page's.

        A failure calls the page's `on_failure`, then shows the error dialog. The
        signals are connected before the task starts.
        """

        def connect(task: Task) -> None:
            task.signals.succeeded.connect(on_success)
            task.signals.failed.connect(lambda exc: self.fail(exc, title=title))
            if on_progress is not None:
                task.signals.progress.connect(on_progress)
            if on_cancelled is not None:
                task.signals.cancelled.connect(on_cancelled)
            if on_finished is not None:
                task.signals.finished.connect(lambda: on_finished(task))

        return self.runner.submit(
            fn, *args, key=key, write=write, pass_progress=pass_progress, connect=connect,
            **kwargs,
        )  # fmt: skip

    def fail(self, exc: BaseException, *, title: str | None = None) -> None:
        """Show `exc` as this page's failure: its status line, then the error dialog."""
        if self._on_failure is not None:
            self._on_failure(exc)
        ErrorDialog.ask(self._page, exc, title=title or self._title)
