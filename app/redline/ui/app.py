"""The composition root: the QApplication, the theme, the store, the reviewer, the window.

`run_app` is what `redline gui` calls. `start_app` does everything but the event loop and
returns the window, so tests drive a real start-up offscreen. With ``smoke=True`` (or
``REDLINE_SMOKE_TEST=1``) `run_app` returns as soon as the queue has loaded: a start-up
check for CI and packaging (``QT_QPA_PLATFORM=offscreen redline gui --demo-if-empty``).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget
from sqlalchemy import Engine

from redline.errors import RedlineError
from redline.review.service import ReviewService
from redline.settings import Settings, data_dir, load_settings, save_settings
from redline.store.local import open_local_store
from redline.ui.actions import ACTIONS
from redline.ui.crash import CrashHandler, install_crash_handler
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.dialogs.identity import IdentityDialog
from redline.ui.dialogs.welcome import WelcomeChoice, WelcomeDialog
from redline.ui.resources import app_icon
from redline.ui.tasks import TaskRunner
from redline.ui.theme import Theme, current_theme

__all__ = ["EXIT_ERROR", "EXIT_OK", "Startup", "run_app", "start_app"]

log = logging.getLogger("redline.app")

EXIT_OK = 0
EXIT_CANCELLED = 1
EXIT_ERROR = 2
DEMO_COUNT = 5_000
DEMO_SEED = 7
# The action that opens the team database connection (sync), offered by the welcome.
CONNECT_ACTION = "file.connection"


def application() -> QApplication:
    """The QApplication (created once), with Redline's name, icon and theme."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Redline")
    app.setApplicationDisplayName("Redline")
    app.setOrganizationName("Redline")
    app.setDesktopFileName("redline")
    theme = current_theme()
    if theme is None:
        try:
            setting = load_settings().theme
        except RedlineError:
            setting = "system"
        theme = Theme(app, setting=setting)
    app.setWindowIcon(app_icon())
    return app


@dataclass
class Startup:
    """What `start_app` built: the window, or the exit code when start-up stopped."""

    exit_code: int = EXIT_OK
    window: Any = None
    engine: Engine | None = None
    settings: Settings = field(default_factory=Settings)
    crash_handler: CrashHandler | None = None


def _ensure_identity(settings: Settings, parent: QWidget | None) -> Settings | None:
    if settings.reviewer.strip():
        if not settings.device:
            settings.device = socket.gethostname()
            save_settings(settings)
        return settings
    name = IdentityDialog.ask(parent)
    if not name:
        return None
    settings.reviewer = name
    settings.device = settings.device or socket.gethostname()
    save_settings(settings)
    return settings


def _welcome(settings: Settings) -> WelcomeChoice:
    """The first-run welcome, once per user (an empty store later opens quietly)."""
    if settings.extra.get("welcomed"):
        return "empty"
    can_connect = any(spec.id == CONNECT_ACTION for spec in ACTIONS)
    choice = WelcomeDialog.ask(None, can_connect=can_connect)
    settings.extra["welcomed"] = True
    save_settings(settings)
    return choice


def _fill_demo(engine: Engine, *, count: int, parent: QWidget | None) -> None:
    """Create demo samples in a background task, with a progress dialog.

    The dialog runs its own event loop until the task finishes, so start-up goes on
    with a filled store; Cancel stops the demo after the current chunk.
    """
    from redline.demo import create_demo

    runner = TaskRunner()
    dialog = QProgressDialog("Creating demo samples…", "Cancel", 0, 0, parent)
    dialog.setWindowTitle("Redline")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    errors: list[BaseException] = []
    # A stable folder: a cancelled demo resumes from its file on the next start.
    work_dir = data_dir() / "demo"
    task = runner.submit(
        create_demo, engine, count=count, seed=DEMO_SEED, work_dir=work_dir,
        write=True, pass_progress=True,
    )  # fmt: skip

    def on_progress(done: int, total: int, text: str) -> None:
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total else 0)
        if text:
            dialog.setLabelText(text)

    task.signals.progress.connect(on_progress)
    task.signals.failed.connect(errors.append)
    task.signals.finished.connect(dialog.reset)
    task.signals.finished.connect(dialog.close)
    dialog.canceled.connect(task.cancel)
    dialog.exec()
    # exec returns on Cancel before the task has stopped: wait for it (it stops at the
    # next chunk) so the window never opens on a store still being written.
    runner.wait_for_writes()
    runner.shutdown()
    dialog.deleteLater()
    runner.deleteLater()
    if errors:
        raise errors[0]


def start_app(
    store_path: Path,
    *,
    demo_if_empty: bool,
    demo_count: int = DEMO_COUNT,
) -> Startup:
    """Build the application and its main window (shown), without running the event loop."""
    application()
    try:
        settings = load_settings()
    except RedlineError as exc:
        ErrorDialog.ask(None, exc, title="Redline cannot read its settings")
        return Startup(EXIT_ERROR)
    try:
        engine = open_local_store(store_path)
    except RedlineError as exc:
        ErrorDialog.ask(None, exc, title="Redline cannot open the store")
        return Startup(EXIT_ERROR)
    identity = _ensure_identity(settings, None)
    if identity is None:
        engine.dispose()
        return Startup(EXIT_CANCELLED)
    settings = identity
    choice: WelcomeChoice = "empty"
    try:
        _reviewed, total = ReviewService(
            engine, reviewer=settings.reviewer, device=settings.device
        ).progress()
        if total == 0:
            # `make run` asks for the demo outright; a first start asks the user.
            choice = "demo" if demo_if_empty else _welcome(settings)
            if choice == "demo":
                _fill_demo(engine, count=demo_count, parent=None)
    except Exception as exc:  # shown, then the app opens on whatever is there
        ErrorDialog.ask(None, exc, title="Redline could not create the demo samples")
    from redline.ui.main_window import MainWindow

    window = MainWindow(engine, settings=settings, store_path=store_path)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    crash_handler = _install_crash_handler(window)
    window.show()
    log.info("window open on %s as %s", store_path, settings.reviewer)
    if choice == "import":
        QTimer.singleShot(0, window.import_file)
    elif choice == "connect":
        QTimer.singleShot(0, window.actions_by_id[CONNECT_ACTION].trigger)
    return Startup(EXIT_OK, window, engine, settings, crash_handler)


def _install_crash_handler(window: Any) -> CrashHandler:
    """Unexpected errors show the crash dialog over `window`, after saving the draft.

    The previous hooks come back when the window goes (tests open many windows).
    """

    def save_work() -> None:
        window.review_panel.flush_draft()
        window.runner.wait_for_writes()

    handler = CrashHandler(lambda: window, before_dialog=save_work)
    previous = (sys.excepthook, threading.excepthook)
    install_crash_handler(handler)

    def restore() -> None:
        sys.excepthook, threading.excepthook = previous

    window.destroyed.connect(restore)
    handler.setParent(window)
    return handler


def _smoke_wait(startup: Startup, timeout_ms: int = 60_000) -> int:
    """Wait until the queue has loaded, then close the window: 0, or 2 on timeout.

    A local event loop, not ``app.exec()``: the application stays usable afterwards
    (tests run several start-ups in one process).
    """
    loop = QEventLoop()
    loaded: list[int] = []
    startup.window.controller.queue_loaded.connect(loaded.append)
    startup.window.controller.queue_loaded.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    startup.window.close()
    if startup.engine is not None:
        startup.engine.dispose()
    return EXIT_OK if loaded else EXIT_ERROR


def run_app(
    store_path: Path,
    *,
    demo_if_empty: bool,
    smoke: bool | None = None,
    demo_count: int = DEMO_COUNT,
) -> int:
    """Run the review workstation on the store at `store_path`; the process exit code.

    Exit codes: 0 normal, 1 the reviewer cancelled the first-run questions, 2 the store or
    settings could not be opened (after showing what, where and what to do).
    """
    if smoke is None:
        smoke = os.environ.get("REDLINE_SMOKE_TEST") == "1"
    app = application()
    startup = start_app(store_path, demo_if_empty=demo_if_empty, demo_count=demo_count)
    if startup.window is None:
        return startup.exit_code
    if smoke:
        return _smoke_wait(startup)
    code = app.exec()
    if startup.engine is not None:
        startup.engine.dispose()
    return code
