"""Time spent on the shown sample: active time only, paused when the reviewer is away.

The clock counts while the window is active and at most `IDLE_AFTER_S` after the last key,
click or wheel anywhere in the application. It reads a monotonic source (time spent is a
duration, not a date; wall-clock changes must not move it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from typing_extensions import override

__all__ = ["IDLE_AFTER_S", "TimeSpentClock"]

# Time on a sample stops counting this long after the reviewer's last key or click
# (and whenever the window is not the active one): a coffee break is not review time.
IDLE_AFTER_S = 180.0

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
    }
)


class TimeSpentClock(QObject):
    """Active time on one sample, in milliseconds, plus what its draft carried.

    Attributes:
        source: the monotonic seconds it reads (a test may set its own).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source: Callable[[], float] = time.monotonic
        self._base_ms = 0
        self._active_ms = 0.0
        self._last_tick = self.source()
        self._counting = True
        self._watched: QCoreApplication | None = None

    def watch_input(self) -> None:
        """Keys and clicks anywhere in the app keep the clock running (until `stop`)."""
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)
            self._watched = app

    def stop(self) -> None:
        """Stop watching the app's input (the window closes)."""
        if self._watched is not None:
            self._watched.removeEventFilter(self)
            self._watched = None

    def restart(self, base_ms: int) -> None:
        """A new sample is shown: count from zero on top of `base_ms` (its draft's)."""
        self._base_ms = base_ms
        self._active_ms = 0.0
        self._last_tick = self.source()

    def tick(self) -> None:
        """Add the time since the last tick, up to IDLE_AFTER_S, if the clock counts."""
        now = self.source()
        if self._counting:
            self._active_ms += min(now - self._last_tick, IDLE_AFTER_S) * 1000
        self._last_tick = now

    def set_counting(self, counting: bool) -> None:
        """Pause (the window went inactive) or resume."""
        self.tick()
        self._counting = counting

    def time_spent_ms(self) -> int:
        """Time on the shown sample so far, plus what its draft carried."""
        self.tick()
        return self._base_ms + int(self._active_ms)

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self.tick()  # input: the reviewer is here, the clock counts on
        return False
