"""One unit read from a production log file, and the size limit of one record: what every
reader yields (redline.ingest.readers, redline.ingest.json_document) and the tool-export
shapes and the import service consume."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["MAX_RECORD_BYTES", "RawRecord"]

MAX_RECORD_BYTES = 16 * 1024 * 1024
"""A record larger than this is reported, not loaded: no reviewer reads a 50 MB output,
and one such line must not take the app's memory with it."""


class RawRecord(NamedTuple):
    """One unit of the file: a record, or why it could not be read.

    A NamedTuple rather than a frozen dataclass: one is made per line of a
    million-line import, and a tuple is made in half the time.

    Attributes:
        line: 1-based line (JSONL, CSV: the record's first line), row number (Parquet)
            or element index (a JSON document): the unit an import skips and resumes by.
        value: the record as a dict, or None when rejected.
        raw: the record's bytes as read (for a content hash when it has no id).
        error: why it was rejected, or None.
        file_line: for an element of a JSON document, the file line its text starts on
            (for the bad-row report); 0 when `line` is the line.
    """

    line: int
    value: dict[str, Any] | None
    raw: bytes
    error: str | None = None
    file_line: int = 0
