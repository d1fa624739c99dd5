"""The one clock: every "now" and "today" in Redline is read here.

Services, the CLI and the GUI call `now()` / `today()` instead of `datetime.now()` or
`date.today()`, so one place decides what time it is: the system clock in the app, a time
the test sets in the suite (`set_source`), which is how no test depends on the date it was
written on.

Days and weeks are UTC days and ISO weeks of UTC dates. Samples carry UTC capture times, so
"last 7 days", weekly windows and report ranges give the same answer on every machine,
whatever its time zone (a reviewer in UTC+14 and a lead in UTC-10 see the same week).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Source = Callable[[], datetime]


def system_now() -> datetime:
    """The system clock, timezone-aware UTC."""
    return datetime.now(UTC)


_source: Source = system_now


def now() -> datetime:
    """Now, timezone-aware UTC."""
    return _source().astimezone(UTC)


def today() -> date:
    """Today's UTC date."""
    return now().date()


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def set_source(source: Source) -> Source:
    """Read the time from `source` from now on; returns the source it replaces.

    For tests (and tools that replay history): `set_source(lambda: fixed)` freezes time.
    """
    global _source
    previous, _source = _source, source
    return previous
