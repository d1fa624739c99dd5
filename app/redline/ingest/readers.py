"""Read records from production log files, streaming, whatever their size.

A file is recognised by its content, not its name: gzip by its magic bytes, Parquet by
``PAR1``, one JSON document (an array of records, or an object wrapping one; see
redline.ingest.json_document) by a leading ``[`` or an opening ``{`` line, JSON Lines by
a leading ``{``, anything else textual as CSV. Each reader
yields `RawRecord`s: a parsed object, or the reason the unit (line, row) was rejected,
with its 1-based line number, so one bad line never costs the good ones.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import shutil
import tempfile
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import orjson
from typing_extensions import override

from redline.errors import RedlineError
from redline.ingest.json_document import STOPPED, is_json_document, read_json_document
from redline.ingest.records import MAX_RECORD_BYTES, RawRecord

_READ_CHUNK = 1024 * 1024
# The csv module refuses fields over 128 KB by default; production outputs can be longer.
csv.field_size_limit(MAX_RECORD_BYTES)
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class FileKind:
    """What a file turned out to be."""

    format: str  # "jsonl" | "json" (one document) | "csv" | "parquet"
    compressed: bool
    encoding: str  # "utf-8" | "utf-16" | "cp1252" | "latin-1" (the last two: CSV only)


def sniff(path: Path) -> FileKind:
    """Recognise a file by its content; RedlineError if it is empty, binary or unknown."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
            compressed = head.startswith(_GZIP_MAGIC)
            if compressed:
                handle.seek(0)
                head = _gzip_head(handle, path)
            else:
                handle.seek(0)
                head = handle.read(64 * 1024)
    except FileNotFoundError as exc:
        raise RedlineError("no such file", where=str(path)) from exc
    except IsADirectoryError as exc:
        raise RedlineError("this is a folder, not a file", where=str(path)) from exc
    except PermissionError as exc:
        raise RedlineError("no permission to read the file", where=str(path)) from exc
    if head.startswith(_PARQUET_MAGIC):
        return FileKind("parquet", compressed, "utf-8")
    encoding = "utf-8"
    if head.startswith(_UTF16_BOMS):
        encoding = "utf-16"
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    text = head.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")
    if not text:
        raise RedlineError(
            "the file is empty" + (" (after decompression)" if compressed else ""),
            where=str(path),
        )
    if b"\x00" in head:
        raise RedlineError(
            "this is a binary file, not JSON, JSON Lines, CSV or Parquet",
            where=str(path),
            hint="export the production log as JSON, JSONL, CSV or Parquet (gzip is fine)",
        )
    if text.startswith(b"["):
        return FileKind("json", compressed, encoding)
    if text.startswith(b"{"):
        document = is_json_document(text)
        return FileKind("json" if document else "jsonl", compressed, encoding)
    if encoding == "utf-8" and not head.startswith(_UTF8_BOM):
        encoding = _csv_encoding(path, head, compressed)
    return FileKind("csv", compressed, encoding)


LEGACY_ENCODINGS = {
    "cp1252": "Windows-1252 (cp1252, Excel's default on Windows)",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
"""The 8-bit encodings a CSV that is not UTF-8 is read in, as the import report names them."""

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Bytes cp1252 leaves undefined: a file holding them is Latin-1.
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _csv_encoding(path: Path, head: bytes, compressed: bool) -> str:
    """UTF-8, or the 8-bit encoding of a CSV saved by Excel on Windows (cp1252/Latin-1).

    Decided on the first non-ASCII text: in the head, or (a head of plain ASCII, as
    when the accented rows come later) in the first chunk of the file that has some.
    A file that is valid UTF-8 there is UTF-8 (its bad rows stay bad rows).
    """
    sample = head
    if head.isascii() and not compressed:
        sample = b""
        with path.open("rb") as handle:
            handle.seek(len(head))
            while chunk := handle.read(_READ_CHUNK):
                if not chunk.isascii():
                    sample = chunk
                    break
    if sample.isascii():
        return "utf-8"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as bad:
        # A chunk may end inside a character: only a wrong byte before the end counts.
        cut = bad.end >= len(sample) - 3 and bad.reason == "unexpected end of data"
        # A file of UTF-8 text with a broken byte is UTF-8 (the row is a bad row);
        # cp1252 text almost never forms a UTF-8 sequence.
        if not cut and not _UTF8_SEQUENCE.search(sample):
            return "latin-1" if _NOT_CP1252.search(sample) else "cp1252"
    return "utf-8"


def _gzip_head(handle: IO[bytes], path: Path) -> bytes:
    """The first decompressed bytes of a gzip file, tolerating a truncated stream."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = b""
    while len(out) < 64 * 1024:
        chunk = handle.read(_READ_CHUNK)
        if not chunk:
            break
        try:
            out += inflater.decompress(chunk, 64 * 1024 - len(out))
        except zlib.error as exc:
            raise RedlineError(f"the gzip data is damaged ({exc})", where=str(path)) from exc
        if inflater.unconsumed_tail or inflater.eof:
            break
    return out


class PositionedStream:
    """The file as bytes, plus how far into the file on disk we are (for progress)."""

    def __init__(self, path: Path, kind: FileKind) -> None:
        # A big buffer: fewer reads for the line-by-line readers of a big file.
        self._raw = path.open("rb", buffering=_READ_CHUNK)
        self.size = path.stat().st_size
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=self._raw)) if kind.compressed else self._raw
        if kind.encoding != "utf-8":
            # Re-encode to UTF-8 so every reader below deals with one encoding; buffered,
            # because a raw stream's readline() reads byte by byte.
            recoded = _ToUtf8(stream, kind.encoding)
            stream = cast(IO[bytes], io.BufferedReader(recoded, _READ_CHUNK))
        self.stream = stream

    def position(self) -> int:
        """Bytes of the file on disk consumed so far (compressed bytes for gzip)."""
        return self._raw.tell()

    def close(self) -> None:
        self.stream.close()
        self._raw.close()


_ESTIMATE_BYTES = 4 * 1024 * 1024


def estimate_records(path: Path, kind: FileKind) -> int:
    """About how many records the file holds, from its first megabytes.

    For choosing how to import (a big file pays for a worker process), never for
    counting: CSV cells may span lines, and a gzip's ratio varies along the file.
    0 when the file cannot tell (a gzipped Parquet, a damaged stream).
    """
    if kind.format == "parquet":
        if kind.compressed:
            return 0
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # pyarrow raises several types; the import reports it
            return 0
    stream = PositionedStream(path, kind)
    try:
        head = stream.stream.read(_ESTIMATE_BYTES)
        consumed = stream.position()
    except (EOFError, OSError, zlib.error):
        return 0
    finally:
        stream.close()
    if kind.format == "json":  # a record spans many lines: count the head's elements
        # The head ends inside an element: that "truncated" record is not one.
        records = read_json_document(io.BytesIO(head))
        elements = sum(1 for r in records if not (r.error or "").endswith(STOPPED))
        if len(head) < _ESTIMATE_BYTES:
            return elements
        return int(elements * stream.size / max(consumed, 1))
    lines = head.count(b"\n")
    if len(head) < _ESTIMATE_BYTES:
        return lines + (1 if head.rstrip(b"\r\n") and not head.endswith(b"\n") else 0)
    return int(lines * stream.size / max(consumed, 1))


class _ToUtf8(io.RawIOBase):
    """A UTF-16 or 8-bit (cp1252, Latin-1) byte stream presented as UTF-8 bytes (rare,
    but Excel on Windows writes both)."""

    def __init__(self, inner: IO[bytes], encoding: str) -> None:
        self._text = io.TextIOWrapper(inner, encoding=encoding, errors="replace", newline="")
        self._pending = b""

    @override
    def readable(self) -> bool:
        return True

    @override
    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            text = self._text.read(_READ_CHUNK // 4)
            if not text:
                return 0
            self._pending = text.encode("utf-8")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class TruncatedFileError(Exception):
    """The compressed stream ended early; records up to `line` were read."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(detail)
        self.line = line
        self.detail = detail


@contextmanager
def _truncation_guard(state: list[int]) -> Iterator[None]:
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise TruncatedFileError(state[0], str(exc)) from exc


def read_jsonl(stream: IO[bytes], *, skip: int = 0) -> Generator[RawRecord]:
    """Yield one RawRecord per non-blank line; `skip` lines are passed over unparsed.

    Raises TruncatedFileError (after yielding everything before it) when a gzip stream
    ends early.
    """
    state = [0]
    loads, json_error = orjson.loads, orjson.JSONDecodeError
    readline = stream.readline
    with _truncation_guard(state):
        line_no = 0
        while True:
            line = readline(MAX_RECORD_BYTES + 1)
            if not line:
                return
            line_no += 1
            state[0] = line_no
            if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
                size = len(line) + _skip_rest_of_line(stream)
                if line_no > skip:
                    yield RawRecord(
                        line_no,
                        None,
                        line[:200],
                        f"the record is {size / 1e6:.1f} MB, over the "
                        f"{MAX_RECORD_BYTES // (1024 * 1024)} MB limit for one record",
                    )
                continue
            if line_no <= skip:
                continue
            if line_no == 1:
                line = line.removeprefix(_UTF8_BOM)
            line = line.strip()
            if not line:
                continue
            # The common case inline (this loop runs once per record of a big import).
            try:
                value = loads(line)
            except json_error:
                value = None
            if type(value) is dict:
                yield RawRecord(line_no, value, line)
            else:
                yield _parse_json_line(line_no, line)


def _skip_rest_of_line(stream: IO[bytes]) -> int:
    skipped = 0
    while True:
        chunk = stream.readline(_READ_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _parse_json_line(line_no: int, line: bytes) -> RawRecord:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return RawRecord(line_no, None, line, _json_error(line, exc))
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("NoneType", "null").replace("dict", "object")
        return RawRecord(line_no, None, line, f"not a JSON object (a {kind})")
    return RawRecord(line_no, value, line)


def _json_error(line: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return (
            f"not valid UTF-8 (byte 0x{line[bad.start]:02x} at column {bad.start + 1}); "
            "save the file as UTF-8"
        )
    return f"malformed JSON: {exc.msg} (column {exc.colno})"


def read_csv(stream: IO[bytes], *, skip: int = 0) -> Generator[RawRecord]:
    """Yield one RawRecord per CSV row, keyed by the header row.

    The delimiter is sniffed from the header (comma, semicolon, tab or pipe). Cells
    are strings; the mapping decides their types. A row with more cells than the header
    is rejected; missing trailing cells are empty.
    """
    state = [0]
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        with _truncation_guard(state):
            yield from _csv_rows(text, state, skip)
    finally:
        # The caller owns (and closes) the byte stream; let go of it without closing.
        text.detach()


def _csv_rows(text: IO[str], state: list[int], skip: int) -> Iterator[RawRecord]:
    header_line = text.readline()
    header_text = header_line.removeprefix("\ufeff")
    delimiter = _sniff_delimiter(header_text)
    header = next(csv.reader([header_text], delimiter=delimiter), [])
    header = [name.strip() for name in header]
    if not any(header):
        return
    reader = csv.reader(_count_lines(text, state), delimiter=delimiter, strict=True)
    next_start = 2
    row_index = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, next_start = next_start, state[0] + 1
            row_index += 1
            if row_index > skip:
                yield RawRecord(start, None, b"", f"malformed CSV: {exc}")
            continue
        start, next_start = next_start, state[0] + 1
        row_index += 1
        if row_index <= skip or not any(cell.strip() for cell in row):
            continue
        raw = "\x1f".join(row).encode("utf-8", errors="surrogateescape")
        if any("\udc80" <= ch <= "\udcff" for cell in row for ch in cell):
            yield RawRecord(start, None, raw, "not valid UTF-8; save the file as UTF-8")
            continue
        if len(row) > len(header):
            yield RawRecord(start, None, raw, f"{len(row)} cells but the header has {len(header)}")
            continue
        yield RawRecord(start, dict(zip(header, row, strict=False)), raw)


def _count_lines(text: IO[str], state: list[int]) -> Iterator[str]:
    line_no = 1
    for line in text:
        line_no += 1
        state[0] = line_no
        yield line


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_parquet(path: Path, kind: FileKind, *, skip: int = 0) -> Iterator[RawRecord]:
    """Yield one RawRecord per Parquet row (row numbers count from 1)."""
    import pyarrow.parquet as pq

    with _maybe_decompressed(path, kind) as plain:
        try:
            parquet = pq.ParquetFile(plain)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise RedlineError(f"not a readable Parquet file ({exc})", where=str(path)) from exc
        row = 0
        for batch in parquet.iter_batches(batch_size=4096):
            if row + batch.num_rows <= skip:
                row += batch.num_rows
                continue
            for value in batch.to_pylist():
                row += 1
                if row <= skip:
                    continue
                raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
                yield RawRecord(row, value, raw)


@contextmanager
def _maybe_decompressed(path: Path, kind: FileKind) -> Iterator[Path]:
    """Parquet needs random access: a gzipped one is inflated to a temporary file first."""
    if not kind.compressed:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="redline-import-") as tmp:
        plain = Path(tmp) / "data.parquet"
        try:
            with gzip.open(path, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst, _READ_CHUNK)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise RedlineError(
                f"the gzip file is truncated or damaged ({exc}); a Parquet file cannot be "
                "read in part",
                where=str(path),
            ) from exc
        yield plain
