"""An unexpected error: the crash dialog shows a copyable report, and no work is lost."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from redline.logs import log_file, mask_secrets, setup_logging
from redline.settings import Settings
from redline.store.local import open_local_store
from redline.store.models import Review, ReviewDraft
from redline.ui import app as ui_app
from redline.ui.crash import CrashDialog

from .conftest import add_samples


def _boom() -> None:
    raise RuntimeError("injected failure password=hunter2")


@pytest.mark.qt_no_exception_capture
def test_an_injected_exception_shows_the_report_and_the_review_is_in_the_store(
    qtbot: QtBot, tmp_path: Path, reviewer: Settings, no_leaked_widgets: None
) -> None:
    store = tmp_path / "work.sqlite"
    engine = open_local_store(store)
    sample_ids = add_samples(engine, 5)
    engine.dispose()
    setup_logging()

    startup = ui_app.start_app(store, demo_if_empty=False)
    window = startup.window
    handler = startup.crash_handler
    assert window is not None and handler is not None
    try:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        qtbot.waitUntil(lambda: window.controller.current is not None)
        # Review the first sample: G, 4, Ctrl+Enter.
        for key in (Qt.Key.Key_G, Qt.Key.Key_4):
            qtbot.keyClick(window.focusWidget() or window, key)
        with qtbot.waitSignal(window.controller.review_submitted, timeout=5_000):
            qtbot.keyClick(
                window.focusWidget() or window,
                Qt.Key.Key_Return,
                Qt.KeyboardModifier.ControlModifier,
            )
        # Half a note on the second sample, not yet saved as a draft when the error hits.
        qtbot.waitUntil(lambda: window.controller.current.detail.id == sample_ids[1])
        qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N)
        qtbot.keyClicks(window.review_panel.note_edit, "half a thought")

        seen: list[CrashDialog] = []
        reports: list[str] = []

        def on_shown(dialog: CrashDialog) -> None:
            seen.append(dialog)
            qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
            reports.append(QGuiApplication.clipboard().text())
            QTimer.singleShot(0, dialog.continue_button.click)

        handler.shown.connect(on_shown)
        with qtbot.waitSignal(handler.shown, timeout=5_000):
            QTimer.singleShot(0, _boom)
        qtbot.waitUntil(lambda: handler.dialog is None)
    finally:
        window.close()
        assert window.runner.shutdown(10_000)
        assert startup.engine is not None
        startup.engine.dispose()

    assert len(seen) == 1
    report = reports[0]
    assert "RuntimeError: injected failure" in report
    assert "hunter2" not in report  # secrets are masked in the report
    assert "Redline " in report and "Python " in report

    check = open_local_store(store)
    with check.connect() as conn:
        review = conn.execute(select(Review).where(Review.sample_id == sample_ids[0])).one()
        draft = conn.execute(
            select(ReviewDraft).where(ReviewDraft.sample_id == sample_ids[1])
        ).one()
    check.dispose()
    assert review.verdict == "good" and review.rating == 4
    assert draft.fields["note"] == "half a thought"

    logged = log_file().read_text(encoding="utf-8")
    assert "injected failure" in logged and "hunter2" not in logged


def test_the_log_masks_passwords_and_url_credentials(tmp_path: Path) -> None:
    path = setup_logging(path=tmp_path / "redline.log")
    logging.getLogger("redline.test").info(
        "connecting to postgresql://lead:s3cret@db.example:5432/team with password=%s", "p4ss"
    )
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text and "p4ss" not in text
    assert "postgresql://lead:***@db.example" in text
    assert mask_secrets("api_key: abc123 token='x y'") == "api_key: *** token=***"
    assert mask_secrets(str(uuid.UUID(int=0))) == str(uuid.UUID(int=0))  # ids stay


TYPIST = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from redline.ui import app as ui_app

    startup = ui_app.start_app(Path(sys.argv[1]), demo_if_empty=False)
    window = startup.window
    note = window.review_panel.note_edit
    saves = []

    def type_word():
        if window.controller.current is not None:
            QTest.keyClicks(note, "word ")

    def on_saved(_sample_id):
        saves.append(note.toPlainText())
        if len(saves) == 2:  # typing goes on; killed from here
            print("saved", flush=True)

    window.controller.draft_saved.connect(on_saved)
    typist = QTimer()
    typist.timeout.connect(type_word)
    typist.start(100)
    QApplication.instance().exec()
    """
)


def test_sigkill_while_typing_keeps_the_draft_and_the_next_start_restores_it(
    qtbot: QtBot, tmp_path: Path, reviewer: Settings, no_leaked_widgets: None
) -> None:
    store = tmp_path / "work.sqlite"
    engine = open_local_store(store)
    sample_ids = add_samples(engine, 5)
    engine.dispose()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with subprocess.Popen(
        [sys.executable, "-c", TYPIST, str(store)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        # A child that never prints must not hang the suite: killed after a minute.
        watchdog = threading.Timer(60, child.kill)
        watchdog.start()
        try:
            assert child.stdout is not None
            # Two drafts written while a word is typed every 100 ms (never a 600 ms pause).
            assert child.stdout.readline().strip() == "saved"
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            watchdog.cancel()
            if child.poll() is None:
                child.kill()

    check = open_local_store(store)
    with check.connect() as conn:
        draft = conn.execute(
            select(ReviewDraft).where(ReviewDraft.sample_id == sample_ids[0])
        ).one()
    check.dispose()
    typed = draft.fields["note"]
    assert typed.startswith("word ") and set(typed.split()) == {"word"}

    # The next start reopens on that sample, with the draft, and says so.
    startup = ui_app.start_app(store, demo_if_empty=False)
    window = startup.window
    assert window is not None
    try:
        qtbot.waitUntil(lambda: window.controller.current is not None)
        assert window.controller.current.detail.id == sample_ids[0]
        assert window.review_panel.note_edit.toPlainText() == typed
        assert "draft restored" in window.statusBar().currentMessage()
    finally:
        window.close()
        assert window.runner.shutdown(10_000)
        assert startup.engine is not None
        startup.engine.dispose()
