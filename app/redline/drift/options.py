"""The drift watch's defaults and the words that describe its options.

Apart from `drift.service` so that `redline --help` and the Drift page can name them without
loading pandas and numpy.
"""

from __future__ import annotations

__all__ = ["DEFAULT_REFERENCE_DAYS", "DEFAULT_SINCE_DAYS", "REFERENCE_HELP", "SINCE_HELP"]

# The period watched: the last two weeks, against the four weeks before them.
DEFAULT_SINCE_DAYS = 14
DEFAULT_REFERENCE_DAYS = 28
SINCE_HELP = "a date (2026-11-01), a date and time, or a span back from now (14d, 2w)"
REFERENCE_HELP = (
    "START..END (dates, END included), or batch ids (prefixes, comma-separated); "
    f"default: the {DEFAULT_REFERENCE_DAYS} days before --since"
)
