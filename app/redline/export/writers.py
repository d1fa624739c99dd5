"""Record sinks (JSONL, CSV, Parquet) and all-or-nothing placement of the files.

Every file is written under a temporary name in the target's directory and renamed
onto its target name only when the whole export succeeded (`Staging.commit`); a
cancel, an error or a crash leaves no partial file under a target name. The manifest
is renamed last, so a manifest on disk always describes complete files.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from redline.csvcells import csv_writer, open_csv, safe_cell
from redline.errors import RedlineError

__all__ = ["CsvSink", "JsonlSink", "ParquetSink", "Sink", "Staging"]


class Sink(Protocol):
    """Writes records (plain dicts) to one file."""

    rows: int

    def write(self, record: dict[str, Any]) -> None: ...

    def close(self) -> str | None:
        """Finish the file; its sha256 (hex) when computed while writing, else None."""
        ...


class Staging:
    """Temporary files that become their target files together, or not at all."""

    def __init__(self, *, overwrite: bool) -> None:
        self._overwrite = overwrite
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, target: Path) -> Path:
        """A fresh temporary path that `commit` will rename to `target`."""
        if target.exists() and not self._overwrite:
            raise RedlineError(
                "the file exists already",
                where=str(target),
                hint="choose another name, or allow overwriting (--force)",
            )
        if not target.parent.is_dir():
            raise RedlineError(
                "the folder does not exist", where=str(target.parent), hint="create it first"
            )
        # A new file with an unguessable name (not mkstemp: its 0600 mode would stay on
        # the export, which others usually need to read; this one follows the umask).
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            temp.open("xb").close()
        except OSError as exc:
            raise RedlineError(
                f"cannot write here ({exc.strerror})", where=str(target.parent)
            ) from exc
        self._staged.append((temp, target))
        return temp

    def discard(self, temp: Path) -> None:
        """Delete one staged file and drop it from the commit (a file not to write)."""
        temp.unlink(missing_ok=True)
        self._staged = [(t, target) for t, target in self._staged if t != temp]

    def commit(self) -> None:
        """Rename every staged file onto its target (in staging order)."""
        for temp, target in self._staged:
            temp.replace(target)
        self._staged.clear()

    def abort(self) -> None:
        """Delete every staged file (after a cancel or an error)."""
        for temp, _target in self._staged:
            temp.unlink(missing_ok=True)
        self._staged.clear()


def _sync_close(handle: IO[Any]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


class JsonlSink:
    """One JSON object per line, UTF-8, non-ASCII kept as is.

    Lines go out in blocks and are hashed on the way, so the manifest's sha256 costs
    no second read of a file that can be gigabytes.
    """

    _BLOCK_LINES = 512

    def __init__(self, path: Path) -> None:
        self.rows = 0
        self._handle = path.open("wb")
        self._pending: list[bytes] = []
        self._sha256 = hashlib.sha256()

    def write(self, record: dict[str, Any]) -> None:
        self._pending.append(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        self.rows += 1
        if len(self._pending) >= self._BLOCK_LINES:
            self._flush()

    def _flush(self) -> None:
        block = b"".join(self._pending)
        self._pending.clear()
        self._sha256.update(block)
        self._handle.write(block)

    def close(self) -> str:
        self._flush()
        _sync_close(self._handle)
        return self._sha256.hexdigest()


class CsvSink:
    """CSV with a header; lists and objects are written as JSON text, and text a
    spreadsheet would run as a formula is neutralised (`redline.csvcells`)."""

    def __init__(self, path: Path, columns: list[str], *, excel: bool = False) -> None:
        self.rows = 0
        self._columns = columns
        self._handle = open_csv(path, excel=excel)
        # A plain writer over the columns in order: `csv.DictWriter` checks every row
        # for unknown keys, which costs more than writing it. Records come from one
        # builder per format, so their keys are the columns.
        self._writer = csv_writer(self._handle, excel=excel)
        self._writer.writerow(columns)

    def write(self, record: dict[str, Any]) -> None:
        self._writer.writerow([_csv_value(record.get(column)) for column in self._columns])
        self.rows += 1

    def close(self) -> None:
        _sync_close(self._handle)


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            # Input turns and reviews: compact JSON, times in ISO 8601.
            return orjson.dumps(value).decode()
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return safe_cell(value)


class ParquetSink:
    """Parquet in row groups of `batch_rows`, with a fixed schema (readable by `datasets`)."""

    def __init__(self, path: Path, schema: Any, *, batch_rows: int = 5000) -> None:
        import pyarrow.parquet as pq

        self.rows = 0
        self._schema = schema
        self._batch_rows = batch_rows
        self._pending: list[dict[str, Any]] = []
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def write(self, record: dict[str, Any]) -> None:
        self._pending.append(record)
        self.rows += 1
        if len(self._pending) >= self._batch_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            table = pa.Table.from_pylist(self._pending, schema=self._schema)
            self._writer.write_table(table)
            self._pending = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
