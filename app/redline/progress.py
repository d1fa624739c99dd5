"""Progress reporting and cancellation for long services, with no Qt.

A service takes a `Progress` and calls `update(done, total, text)` as it goes, and
`check()` between units of work; `check()` raises `Cancelled` once a cancel was asked
for. The UI passes a Qt-backed implementation, the CLI a terminal one, tests a plain one.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Cancelled(Exception):
    """The user cancelled the operation; what was committed before stays consistent."""


class Progress(Protocol):
    """What a long service reports to, and asks whether to stop."""

    def update(self, done: int, total: int, text: str = "") -> None:
        """Report `done` units of `total` (total 0 = unknown)."""

    def cancelled(self) -> bool:
        """True once the user asked to cancel."""


class CancelToken:
    """A thread-safe cancel flag that also records the last progress report."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.done = 0
        self.total = 0
        self.text = ""

    def cancel(self) -> None:
        self._event.set()

    def cancelled(self) -> bool:
        return self._event.is_set()

    def update(self, done: int, total: int, text: str = "") -> None:
        self.done, self.total, self.text = done, total, text


class NullProgress:
    """A progress sink for callers that neither show progress nor cancel."""

    def update(self, done: int, total: int, text: str = "") -> None:
        pass

    def cancelled(self) -> bool:
        return False


NO_PROGRESS: Progress = NullProgress()


def check(progress: Progress) -> None:
    """Raise `Cancelled` if the user asked to stop."""
    if progress.cancelled():
        raise Cancelled()
