"""Start-up: first-run identity, a store that cannot be opened, and the offscreen smoke run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from redline.errors import RedlineError
from redline.settings import load_settings
from redline.ui import app as ui_app
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.dialogs.identity import IdentityDialog
from redline.ui.dialogs.welcome import WelcomeDialog


@pytest.fixture
def asked_name(monkeypatch: pytest.MonkeyPatch) -> list[QWidget | None]:
    calls: list[QWidget | None] = []

    def ask(_cls: type, parent: QWidget | None = None, *, name: str = "") -> str:
        calls.append(parent)
        return "Grace Hopper"

    monkeypatch.setattr(IdentityDialog, "ask", classmethod(ask))
    return calls


def test_first_run_asks_the_reviewer_and_opens_the_window(
    qtbot: QtBot,
    tmp_path: Path,
    asked_name: list[QWidget | None],
    no_leaked_widgets: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    welcomed: list[bool] = []

    def ask(cls: type[WelcomeDialog], /, *args: object, **kwargs: object) -> str:
        welcomed.append(True)
        return "empty"

    monkeypatch.setattr(WelcomeDialog, "ask", classmethod(ask))
    startup = ui_app.start_app(tmp_path / "new.sqlite", demo_if_empty=False)
    try:
        assert startup.exit_code == ui_app.EXIT_OK
        assert len(asked_name) == 1
        assert welcomed == [True]
        settings = load_settings()
        assert settings.reviewer == "Grace Hopper"
        assert settings.device
        window = startup.window
        assert window.isVisible()
        assert window.reviewer_label.text() == "Reviewing as Grace Hopper"
        qtbot.waitUntil(lambda: window.progress_label.text() == "0 of 0 reviewed")
    finally:
        startup.window.close()
        assert startup.engine is not None
        startup.engine.dispose()


def test_a_store_that_is_not_redline_shows_what_where_and_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked_name: list[QWidget | None]
) -> None:
    bad = tmp_path / "notes.sqlite"
    bad.write_bytes(b"this is not an SQLite database at all" * 100)
    shown: list[BaseException] = []
    monkeypatch.setattr(
        ErrorDialog, "ask", classmethod(lambda cls, parent, exc, **kw: shown.append(exc))
    )
    code = ui_app.run_app(bad, demo_if_empty=True, smoke=True)
    assert code == ui_app.EXIT_ERROR
    assert len(shown) == 1
    error = shown[0]
    assert isinstance(error, RedlineError)
    assert error.where == str(bad)
    assert error.hint
    assert asked_name == []  # nothing asked before the store opened


def test_cancelling_the_first_run_question_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(IdentityDialog, "ask", classmethod(lambda cls, *a, **k: None))
    assert ui_app.run_app(tmp_path / "s.sqlite", demo_if_empty=False, smoke=True) == 1


@pytest.mark.slow
def test_smoke_run_fills_the_demo_and_quits_when_the_queue_loaded(
    tmp_path: Path, asked_name: list[QWidget | None], monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:  # fmt: skip
    from redline.ui.main_window import MainWindow

    loaded: list[int] = []
    real_init = MainWindow.__init__

    def record(self: MainWindow, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        self.controller.queue_loaded.connect(loaded.append)

    monkeypatch.setattr(MainWindow, "__init__", record)
    monkeypatch.setenv("REDLINE_SMOKE_TEST", "1")
    code = ui_app.run_app(tmp_path / "demo.sqlite", demo_if_empty=True, demo_count=200)
    assert code == ui_app.EXIT_OK
    assert loaded
    assert loaded[0] > 0
