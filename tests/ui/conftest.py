"""Fixtures for the GUI tests: a small store made with Core inserts, a reviewer, windows.

Stores are built with SQLAlchemy Core (a Batch and its Samples), not with the import
service, so the GUI tests depend on the schema only. Windows come from `make_window`,
which closes them at teardown and fails the test if a top-level widget leaked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, insert
from tests.builders import add_batch

from redline.settings import Settings, save_settings
from redline.store.base import uuid7
from redline.store.models import Sample
from redline.ui.dialogs.errors import ErrorDialog, describe

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

MARKDOWN_OUTPUT = """To reset your password:

1. Open **Settings → Account**.
2. Choose *Reset password*.

```python
def reset(user):
    return send_link(user.email)
```
"""


def sample_values(i: int, batch_id: uuid.UUID) -> dict[str, Any]:
    """A varied, realistic sample: chat or plain input, markdown output, signals."""
    chat = i % 2 == 0
    question = f"How do I reset my password? (ticket {i})"
    return {
        "id": uuid7(),
        "batch_id": batch_id,
        "source": "support-bot",
        "external_id": f"{batch_id.hex}-{i}",
        "content_hash": f"{i:032x}",
        "captured_at": T0 + timedelta(minutes=i),
        "model": "gpt-4o-mini" if i % 3 else "claude-haiku",
        "prompt_name": "support",
        "prompt_version": "v3" if i % 4 else "v2",
        "system_prompt": "You are a helpful support agent for Acme. Be concise." if chat else None,
        "input_text": question,
        "input_messages": (
            [
                {"role": "system", "content": "You are a helpful support agent for Acme."},
                {"role": "user", "content": question},
            ]
            if chat
            else None
        ),
        "output": MARKDOWN_OUTPUT if i % 5 == 0 else f"Go to Settings and click Reset ({i}).",
        "score": round((i * 37 % 100) / 100, 2),
        "decision": "auto_send" if (i * 37 % 100) >= 50 else "human_review",
        "latency_ms": 800.0 + i,
        "tokens_in": 120 + i,
        "tokens_out": 60 + i,
        "language": "en" if i % 6 else "de",
        "signal_thumbs": -1 if i % 7 == 0 else None,
        "signal_copied": i % 3 == 0,
    }


def add_samples(engine: Engine, count: int, batch_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Insert `count` samples (rowid order = list order); returns their ids."""
    batch_id = batch_id or add_batch(engine)
    values = [sample_values(i, batch_id) for i in range(count)]
    with engine.begin() as conn:
        conn.execute(insert(Sample), values)
    return [v["id"] for v in values]


@pytest.fixture
def reviewer() -> Settings:
    """Settings with a reviewer, saved (so no first-run question)."""
    settings = Settings(reviewer="Ada", device="test-laptop")
    save_settings(settings)
    return settings


@pytest.fixture
def sample_ids(engine: Engine) -> list[uuid.UUID]:
    """A store with 25 samples in one batch."""
    return add_samples(engine, 25)


@pytest.fixture(autouse=True)
def errors_fail_the_test(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """An error dialog would block a test: record the error and fail instead.

    Tests that expect an error patch `ErrorDialog.ask` themselves.
    """
    seen: list[BaseException] = []

    def ask(_parent: QWidget | None, exc: BaseException, *, title: str = "") -> None:
        seen.append(exc)
        what, info, details = describe(exc)
        raise AssertionError(f"error dialog shown: {title} {what} {info} {details}")

    monkeypatch.setattr(ErrorDialog, "ask", classmethod(lambda cls, *a, **k: ask(*a, **k)))
    return seen


@pytest.fixture
def no_leaked_widgets(qapp: QApplication) -> Iterator[None]:
    """Fail if a test leaves a visible top-level widget behind (napari's check)."""
    before = {id(w) for w in qapp.topLevelWidgets()}
    yield
    QApplication.processEvents()
    leaked = [
        w
        for w in qapp.topLevelWidgets()
        if id(w) not in before and w.isVisible() and not w.objectName().startswith("qt_")
    ]
    for widget in leaked:
        widget.close()
    assert not leaked, f"leaked top-level widgets: {leaked}"


MakeWindow = Callable[..., Any]


@pytest.fixture
def make_window(
    qtbot: QtBot, engine: Engine, store_path: Path, reviewer: Settings, no_leaked_widgets: None
) -> Iterator[MakeWindow]:
    """Open MainWindows on the test store; each is closed (and its tasks stopped) at the end."""
    from redline.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(*, wait: bool = True, settings: Settings | None = None) -> MainWindow:
        window = MainWindow(engine, settings=settings or reviewer, store_path=store_path)
        windows.append(window)
        window.show()
        window.activateWindow()
        # Window shortcuts only fire in the active window.
        qtbot.waitUntil(window.isActiveWindow)
        if wait:
            qtbot.waitUntil(lambda: window.controller.current is not None or _queue_empty(window))
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.close()
        assert window.runner.shutdown(10_000)
        window.deleteLater()


def _queue_empty(window: Any) -> bool:
    return bool(window.queue_model.rowCount() == 0 and window.controller.snapshot_generation >= 1)


# Qt messages that say nothing about our code; every other warning fails the test.
QT_LOG_IGNORE = (
    # The offscreen platform cannot resize native windows to hints; dialogs ask anyway.
    "This plugin does not support propagateSizeHints",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            for pattern in QT_LOG_IGNORE:
                item.add_marker(pytest.mark.qt_log_ignore(pattern))
