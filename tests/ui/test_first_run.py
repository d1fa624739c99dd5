"""First run on an empty store: the welcome offers the demo, a file, or the team database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog
from pytestqt.qtbot import QtBot

from redline.settings import Settings, load_settings
from redline.ui import app as ui_app
from redline.ui.dialogs.welcome import WelcomeDialog


def _when_modal(kind: type[QDialog], act: Callable[[QDialog], None], seen: list[str]) -> None:
    """Once a modal `kind` is up (it runs its own event loop), `act` on it like a user."""

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and modal.isVisible():
            seen.append(modal.objectName())
            act(modal)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def _click(name: str) -> Callable[[QDialog], None]:
    def act(dialog: QDialog) -> None:
        button = dialog.findChild(QAbstractButton, name)
        assert button is not None, name
        QTimer.singleShot(0, button.click)

    return act


def _close(startup: ui_app.Startup) -> None:
    startup.window.close()
    assert startup.window.runner.shutdown(10_000)
    assert startup.engine is not None
    startup.engine.dispose()


def test_choosing_the_demo_opens_the_window_on_demo_samples_and_welcomes_once(
    qtbot: QtBot, tmp_path: Path, reviewer: Settings, no_leaked_widgets: None
) -> None:
    seen: list[str] = []
    _when_modal(WelcomeDialog, _click("welcomeDemo"), seen)
    startup = ui_app.start_app(tmp_path / "first.sqlite", demo_if_empty=False, demo_count=150)
    try:
        assert seen == ["welcomeDialog"]
        window = startup.window
        qtbot.waitUntil(lambda: window.queue_model.rowCount() > 100, timeout=10_000)
        qtbot.waitUntil(lambda: window.controller.current is not None)
    finally:
        _close(startup)
    assert load_settings().extra.get("welcomed") is True

    # An empty store later (a second store) opens without the welcome.
    startup = ui_app.start_app(tmp_path / "second.sqlite", demo_if_empty=False)
    try:
        assert startup.window is not None and seen == ["welcomeDialog"]
    finally:
        _close(startup)


def test_choosing_import_opens_the_import_dialog_over_the_window(
    qtbot: QtBot, tmp_path: Path, reviewer: Settings, no_leaked_widgets: None
) -> None:
    from redline.ui.dialogs.import_dialog import ImportDialog

    seen: list[str] = []
    _when_modal(WelcomeDialog, _click("welcomeImport"), seen)
    startup = ui_app.start_app(tmp_path / "first.sqlite", demo_if_empty=False)
    try:
        # The import dialog comes up over the window; the user cancels it.
        _when_modal(ImportDialog, lambda d: QTimer.singleShot(0, d.reject), seen)
        qtbot.waitUntil(lambda: seen == ["welcomeDialog", "importDialog"], timeout=10_000)
        assert startup.window.isVisible()
        assert startup.window.queue_model.rowCount() == 0
    finally:
        _close(startup)


def test_escape_starts_with_an_empty_store(
    qtbot: QtBot, tmp_path: Path, reviewer: Settings, no_leaked_widgets: None
) -> None:
    seen: list[str] = []
    _when_modal(
        WelcomeDialog,
        lambda d: QTimer.singleShot(0, lambda: qtbot.keyClick(d, Qt.Key.Key_Escape)),
        seen,
    )
    startup = ui_app.start_app(tmp_path / "first.sqlite", demo_if_empty=False)
    try:
        assert seen == ["welcomeDialog"]
        assert startup.window.isVisible()
        qtbot.waitUntil(lambda: startup.window.progress_label.text() == "0 of 0 reviewed")
    finally:
        _close(startup)
