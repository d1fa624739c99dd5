"""The clock tests hold: what the `clock` fixture (tests/conftest.py) gives a test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TICK = timedelta(microseconds=1)


@dataclass
class SetClock:
    """The time every service reads through `redline.clock`, set and moved by the test.

    Tests that plant data at fixed dates and then ask "what happened in the last 30 days"
    set the clock next to their data (`clock.set(T0 + timedelta(days=3))`), so they pass
    whatever today's date is; `make test` checks that under faketime. Each reading is one
    microsecond after the one before, as on a real clock: a batch started "now" is
    before a window that ends at a later "now".
    """

    at: datetime

    def __call__(self) -> datetime:
        self.at += TICK
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.at += delta
