"""Opening a production log file's records and recognising what they are, once, for the
import (redline.ingest.service) and its preview (`redline import --explain`,
redline.ingest.explain), so the preview shows exactly what an import would do.

`open_records` reads any file `sniff` recognised (JSON Lines, one JSON document, CSV,
Parquet, gzip of any), through a tool export's expander when there is one; `detect`
reads the first records for their shape and field mapping; `require_fields` refuses a
mapping without an input and an output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.errors import RedlineError
from redline.ingest.json_document import read_json_document
from redline.ingest.mapping import detect_mapping
from redline.ingest.readers import (
    FileKind,
    PositionedStream,
    TruncatedFileError,
    read_csv,
    read_jsonl,
    read_parquet,
)
from redline.ingest.records import RawRecord
from redline.ingest.shapes import ToolImport, recognise

__all__ = [
    "DETECT_GOOD_RECORDS",
    "DETECT_MAX_UNITS",
    "Detection",
    "OpenedRecords",
    "detect",
    "open_records",
    "require_fields",
]

DETECT_GOOD_RECORDS = 200
DETECT_MAX_UNITS = 10_000


@dataclass
class OpenedRecords:
    """An open file's records and how far into the file we are."""

    records: Iterator[RawRecord]
    position: Callable[[], int]
    total: int


@contextmanager
def open_records(
    path: Path, kind: FileKind, *, skip: int = 0, expand: ToolImport | None = None
) -> Iterator[OpenedRecords]:
    """The file's records from unit `skip` on, closed (reader, then file) on exit."""
    # A tool export (see redline.ingest.shapes) is read through its expander.
    if kind.format == "parquet":
        rows = _ParquetRows(path, kind, skip)
        records = iter(rows) if expand is None else expand(iter(rows))
        yield OpenedRecords(records, rows.position, rows.total)
        return
    stream = PositionedStream(path, kind)
    readers = {"jsonl": read_jsonl, "json": read_json_document}
    reader = readers.get(kind.format, read_csv)
    records = reader(stream.stream, skip=skip)
    try:
        yield OpenedRecords(
            records if expand is None else expand(records), stream.position, stream.size
        )
    finally:
        records.close()  # before the stream: a reader's cleanup may still touch it
        stream.close()


class _ParquetRows:
    """Parquet rows with row-count progress."""

    def __init__(self, path: Path, kind: FileKind, skip: int) -> None:
        import pyarrow.parquet as pq

        self._path, self._kind, self._skip = path, kind, skip
        self.row = 0
        try:
            self.total = pq.ParquetFile(path).metadata.num_rows if not kind.compressed else 0
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise RedlineError(f"not a readable Parquet file ({exc})", where=str(path)) from exc

    def __iter__(self) -> Iterator[RawRecord]:
        for record in read_parquet(self._path, self._kind, skip=self._skip):
            self.row = record.line
            yield record

    def position(self) -> int:
        return self.row


@dataclass(frozen=True)
class Detection:
    """What the first records of a file are: their shape and the mapping that fits."""

    shape: str
    mapping: dict[str, str]
    fields: list[str]
    """The first readable record's field names (for a message when no mapping fits)."""
    problems: list[str]
    """The first problems, when no record could be read at all."""
    tool: ToolImport | None = None
    """A recognised tool export (Langfuse, OpenTelemetry...), read through its expander."""


def detect(path: Path, kind: FileKind, companions: Sequence[Path] = ()) -> Detection:
    """Shape and mapping from the first records, read once."""
    good: list[dict[str, Any]] = []
    problems: list[str] = []
    with open_records(path, kind) as opened:
        try:
            for units, record in enumerate(opened.records, start=1):
                if record.value is not None:
                    good.append(record.value)
                elif len(problems) < 3:
                    problems.append(f"line {record.line}: {record.error}")
                if len(good) >= DETECT_GOOD_RECORDS or units >= DETECT_MAX_UNITS:
                    break
        except TruncatedFileError as exc:
            problems.append(f"line {exc.line + 1}: the file is truncated ({exc.detail})")
    tool = recognise(good, path=path, companions=companions)
    if tool is not None:
        shape, mapping = tool.shape.name, tool.mapping
    else:
        detected = detect_mapping(good)
        shape, mapping = detected.shape, detected.mapping
    fields = list(good[0]) if good else []
    return Detection(shape, mapping, fields, problems if not good else [], tool)


def require_fields(mapping: dict[str, str], shape: str, path: Path, fields: list[str]) -> None:
    """RedlineError unless `mapping` finds an input (and, for flat records, an output)."""
    have_input = "input" in mapping or "messages" in mapping
    missing = [
        name
        for name, ok in (("input", have_input), ("output", "output" in mapping or shape != "flat"))
        if not ok
    ]
    if missing:
        names = ", ".join(fields[:20]) or "none"
        raise RedlineError(
            f"no field could be recognised as the {' and the '.join(missing)} "
            f"(the records have: {names})",
            where=str(path),
            hint=" ".join(f"--map {name}=FIELD" for name in missing),
        )
