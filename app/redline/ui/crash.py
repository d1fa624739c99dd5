"""Unexpected exceptions: logged, and shown in a dialog with a report to copy.

Installed as `sys.excepthook` (exceptions escaping a Qt slot or event handler end up
there in PySide6) and `threading.excepthook` (a worker thread outside the task runner).
Nothing the reviewer submitted is at risk: every submit commits at once and drafts are
saved as they are typed, so the dialog offers to carry on, or to quit.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, Signal, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from redline import __version__
from redline.logs import log_file, mask_secrets

__all__ = ["CrashDialog", "CrashHandler", "crash_report", "install_crash_handler"]

log = logging.getLogger("redline.crash")


def crash_report(exc: BaseException) -> str:
    """The text a user pastes into a bug report: versions, platform, traceback."""
    lines = [
        f"Redline {__version__}",
        f"Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}",
        f"{platform.platform()}",
        f"Log file: {log_file()}",
        "",
        "".join(traceback.format_exception(exc)).rstrip(),
    ]
    return mask_secrets("\n".join(lines))


class CrashDialog(QDialog):
    """What happened, that the work is safe, and the report with a Copy button."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("Redline hit an unexpected error")
        self.report = crash_report(exc)
        summary = QLabel(
            f"<b>Something went wrong: {type(exc).__name__}</b><br>"
            "Everything you submitted is saved, and so is the review you are writing "
            "(as a draft). You can carry on, or quit and start Redline again.<br>"
            "Please send the report below to the Redline team."
        )
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.TextFormat.RichText)
        self.report_view = QPlainTextEdit(self.report)
        self.report_view.setObjectName("crashReport")
        self.report_view.setReadOnly(True)
        self.report_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy report")
        self.copy_button.setObjectName("copyReport")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.continue_button = buttons.addButton("Carry on", QDialogButtonBox.ButtonRole.AcceptRole)
        self.quit_button = buttons.addButton("Quit Redline", QDialogButtonBox.ButtonRole.RejectRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.report_view, 1)
        layout.addWidget(buttons)
        self.resize(720, 420)

    def copy_report(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.report)
        self.copy_button.setText("Copied")


class CrashHandler(QObject):
    """Receives exceptions from any thread and shows them on the GUI thread, one at a time.

    Signals:
        crashed: the exception (queued to the GUI thread).
        shown: the dialog that is now showing (for tests and screenshots).
    """

    crashed = Signal(object)
    shown = Signal(object)

    def __init__(
        self,
        parent_window: Callable[[], QWidget | None],
        *,
        before_dialog: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._parent_window = parent_window
        self._before_dialog = before_dialog
        self._showing = False
        self.dialog: CrashDialog | None = None
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def handle(self, exc: BaseException) -> None:
        log.error("unexpected error", exc_info=exc)
        self.crashed.emit(exc)

    def _show(self, exc: BaseException) -> None:
        if self._showing:  # an error while the dialog is up: logged, not stacked
            return
        self._showing = True
        try:
            if self._before_dialog is not None:
                try:
                    self._before_dialog()
                except Exception:  # saving the draft must not hide the first error
                    log.exception("saving the work before the crash dialog failed")
            self.dialog = CrashDialog(exc, self._parent_window())
            self.dialog.setModal(True)
            self.dialog.show()
            self.shown.emit(self.dialog)
            result = self.dialog.exec()
            if result == QDialog.DialogCode.Rejected:
                app = QApplication.instance()
                if app is not None:
                    app.quit()
        finally:
            if self.dialog is not None:
                self.dialog.deleteLater()
            self.dialog = None
            self._showing = False


def install_crash_handler(handler: CrashHandler) -> None:
    """Route uncaught exceptions (GUI thread and other threads) to `handler`."""

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        handler.handle(exc.with_traceback(tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            handler.handle(args.exc_value)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
