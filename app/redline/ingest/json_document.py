"""Read a file that is ONE JSON document: an array of records, or an object wrapping one.

Langfuse's "Download JSON", API dumps (``{"data": [...], "meta": {...}}``) and many tools
write a single pretty-printed document rather than JSON Lines. Its elements are read one
at a time, in constant memory whatever the file's size: the C scanner of the standard
``json`` module (``raw_decode``) parses each element from a sliding text buffer, which is
refilled (and its consumed part dropped) as the parse reaches its end.

Each element becomes a `RawRecord` whose ``line`` is its 1-based index in the array (the
unit an import skips and resumes by: several elements may share a line of the file) and
whose ``file_line`` is the line its text starts on (for the bad-row report). A syntax
error or a truncated document ends the reading with one rejected record saying where;
the elements before it are kept.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import zlib
from collections.abc import Generator, Iterator
from typing import IO, Any

import orjson

from redline.ingest.records import MAX_RECORD_BYTES, RawRecord

_READ_CHUNK = 1024 * 1024

WRAPPER_KEYS = frozenset(
    {
        "data",
        "items",
        "traces",
        "records",
        "rows",
        "results",
        "observations",
        "generations",
        "spans",
        "runs",
        "examples",
        "samples",
        "entries",
        "logs",
    }
)
"""Keys of a top-level object whose array holds the records (``{"data": [...]}``)."""

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_OPENING_LINE = re.compile(rb'\{\s*(?:"(?:[^"\\]|\\.)*"\s*:\s*[\[{]?\s*)?')
"""The first line of a pretty-printed object: ``{`` alone, or ``{"data": [``."""
_EXCERPT_CHARS = 200
_LITERAL_TAIL = 8


def is_json_document(head: bytes) -> bool:
    """Whether a file whose first text is ``{`` is one JSON document rather than JSON Lines.

    `head` is the file's start without BOM and leading whitespace. A first line that is
    a complete JSON value is a JSON Lines record, unless it is the file's only line and
    an object wrapping an array of records; a first line that is only the opening of an
    object (``{`` or ``{"data": [``) starts a document. Anything else (a malformed first
    line) stays JSON Lines, whose reader reports the bad line and keeps the rest.
    """
    first, newline, rest = head.partition(b"\n")
    first = first.strip()
    try:
        value = orjson.loads(first)
    except orjson.JSONDecodeError:
        if not newline:  # one long line, longer than the head: a compact document?
            return bool(re.match(rb'\{\s*"(\w+)"\s*:\s*\[', first)) and _wraps(first)
        return _OPENING_LINE.fullmatch(first) is not None
    if isinstance(value, dict) and not rest.strip():
        return any(key in WRAPPER_KEYS and isinstance(item, list) for key, item in value.items())
    return False


def _wraps(first: bytes) -> bool:
    match = re.match(rb'\{\s*"(\w+)"', first)
    return match is not None and match.group(1).decode() in WRAPPER_KEYS


class _Buffer:
    """The document's text around the parse position, refilled from the byte stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        # read1: one decompression step at a time, so a truncated gzip loses only the
        # step that hits its end, not the megabyte being read.
        self._read = getattr(stream, "read1", stream.read)
        # surrogateescape: a bad byte fails only its own record (orjson refuses the
        # surrogate when the record's text is re-encoded), not the whole read.
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text = ""
        self.pos = 0
        self.line = 1
        """The file line at `pos`."""
        self.eof = False
        self.broken: str | None = None
        """Why the stream ended early (a truncated gzip), or None."""

    def fill(self) -> bool:
        """Read more text; False at the end of the file."""
        if self.eof:
            return False
        try:
            chunk = self._read(_READ_CHUNK)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            self.broken = str(exc) or type(exc).__name__
            chunk = b""
        # Drop what was parsed: memory stays one chunk plus the record being read.
        self.text = self.text[self.pos :] + self._decoder.decode(chunk, final=not chunk)
        self.pos = 0
        if not chunk:
            self.eof = True
        return bool(chunk)

    def advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def peek(self) -> str | None:
        """The next non-blank character (not consumed), or None at the end of the file."""
        while True:
            blank = _WHITESPACE.match(self.text, self.pos)
            self.advance(blank.end() if blank else self.pos)
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return None

    def value(self) -> tuple[Any, str]:
        """Parse the JSON value at `pos` and move past it; its value and its text.

        Raises:
            json.JSONDecodeError: malformed, or cut short by the end of the file.
            _TooLarge: the value is larger than MAX_RECORD_BYTES.
        """
        decode = _DECODER.raw_decode
        while True:
            try:
                value, end = decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if not self.cut_short(exc):
                    raise  # a syntax error inside the text read: reading on cannot help
                if len(self.text) - self.pos > MAX_RECORD_BYTES:
                    raise _TooLarge() from None
                if self.fill():
                    continue
                raise
            if end == len(self.text) and not self.eof and self.fill():
                continue  # a number at the buffer's end may go on in the next chunk
            text = self.text[self.pos : end]
            self.advance(end)
            return value, text

    def cut_short(self, exc: json.JSONDecodeError) -> bool:
        """Whether a parse failed only because the text ends (the value runs past it).

        An unterminated string, or an error within a few characters of the end (a
        literal or number cut in the middle: ``fals``, ``-1.5e``, ``\\u12``).
        """
        return exc.msg.startswith("Unterminated") or exc.pos >= len(self.text) - _LITERAL_TAIL

    def excerpt(self) -> bytes:
        return self.text[self.pos : self.pos + _EXCERPT_CHARS].encode("utf-8", "replace")

    def error_line(self, exc: json.JSONDecodeError) -> int:
        return self.line + self.text.count("\n", self.pos, exc.pos)


class _TooLarge(Exception):
    """A record over MAX_RECORD_BYTES: the document cannot be read past it."""


_DECODER = json.JSONDecoder()


def read_json_document(stream: IO[bytes], *, skip: int = 0) -> Generator[RawRecord]:
    """Yield one RawRecord per element of the document's array; `skip` elements are
    parsed but not yielded (an import resuming after them).

    A top-level array is read element by element. A top-level object is read key by
    key: the array under the first of WRAPPER_KEYS holds the records; an object with
    no such array is one record. A syntax error or the end of a truncated document
    yields one rejected record that says where, and ends the reading.
    """
    buffer = _Buffer(stream)
    first = buffer.peek()
    if first == "\ufeff":
        buffer.advance(buffer.pos + 1)
        first = buffer.peek()
    if first is None:
        return
    if first == "[":
        yield from _elements(buffer, skip)
    elif first == "{":
        yield from _object(buffer, skip)
    else:
        yield _stop(buffer, 1, "not a JSON array or object of records")


def _elements(buffer: _Buffer, skip: int) -> Iterator[RawRecord]:
    buffer.advance(buffer.pos + 1)  # the "["
    index = 0
    if buffer.peek() == "]":
        return
    while True:
        index += 1
        head = buffer.peek()
        if head is None:
            yield _truncated(buffer, index, "the document ends before this record")
            return
        if head == "]":
            yield _stop(buffer, index, "malformed JSON: a ',' with no record after it")
            return
        line = buffer.line
        try:
            value, text = buffer.value()
        except json.JSONDecodeError as exc:
            yield _malformed(buffer, index, exc)
            return
        except _TooLarge:
            yield _stop(buffer, index, _too_large())
            return
        if index > skip:
            yield _record(index, line, value, text)
        after = buffer.peek()
        if after == ",":
            buffer.advance(buffer.pos + 1)
        elif after == "]":
            return
        elif after is None:
            yield _truncated(buffer, index + 1, "the document ends without its closing ']'")
            return
        else:
            yield _stop(buffer, index + 1, f"malformed JSON: expected ',' or ']', found {after!r}")
            return


def _object(buffer: _Buffer, skip: int) -> Iterator[RawRecord]:
    """A top-level object: the array under a wrapper key, or the object as one record."""
    start_line = buffer.line
    buffer.advance(buffer.pos + 1)  # the "{"
    fields: dict[str, Any] = {}
    while True:
        head = buffer.peek()
        if head == "}":
            buffer.advance(buffer.pos + 1)
            if skip < 1:
                text = orjson.dumps(fields, default=str).decode()
                yield _record(1, start_line, fields, text)
            return
        if head is None:
            yield _truncated(buffer, 1, "the document ends inside its top-level object")
            return
        try:
            if head != '"':
                raise json.JSONDecodeError("expected a key", buffer.text, buffer.pos)
            key, _ = buffer.value()
            if buffer.peek() != ":":
                raise json.JSONDecodeError("expected a key and ':'", buffer.text, buffer.pos)
            buffer.advance(buffer.pos + 1)
            if buffer.peek() == "[" and key in WRAPPER_KEYS:
                # The records; whatever follows the array (paging "meta") is not read.
                yield from _elements(buffer, skip)
                return
            fields[key], _ = buffer.value()
        except json.JSONDecodeError as exc:
            yield _malformed(buffer, 1, exc)
            return
        except _TooLarge:
            yield _stop(buffer, 1, _too_large())
            return
        if buffer.peek() == ",":
            buffer.advance(buffer.pos + 1)


def _record(index: int, line: int, value: Any, text: str) -> RawRecord:
    if type(value) is not dict:
        kind = type(value).__name__.replace("NoneType", "null")
        raw = text[: _EXCERPT_CHARS * 2].encode("utf-8", "replace")
        return RawRecord(index, None, raw, f"not a JSON object (a {kind})", line)
    try:
        # The compact form, as a JSON Lines file (jq -c) holds the same record: a
        # record without an id gets the same content key from either file.
        raw = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: a surrogate from a bad byte, a huge int
        if any("\udc80" <= ch <= "\udcff" for ch in text):
            raw = text[: _EXCERPT_CHARS * 2].encode("utf-8", "replace")
            return RawRecord(index, None, raw, "not valid UTF-8; save the file as UTF-8", line)
        raw = text.encode("utf-8")
    return RawRecord(index, value, raw, None, line)


def _malformed(buffer: _Buffer, index: int, exc: json.JSONDecodeError) -> RawRecord:
    if buffer.eof and buffer.cut_short(exc):
        return _truncated(buffer, index, "the document ends inside this record")
    line = buffer.error_line(exc)
    return _stop(buffer, index, f"malformed JSON at line {line:,}: {exc.msg}")


def _truncated(buffer: _Buffer, index: int, what: str) -> RawRecord:
    detail = f" ({buffer.broken})" if buffer.broken else ""
    return _stop(buffer, index, f"{what}: the file is truncated{detail}")


STOPPED = "; the records before it were read, the rest of the file cannot be"
"""The end of the reason of the record that ends the reading (a break in the document)."""


def _stop(buffer: _Buffer, index: int, reason: str) -> RawRecord:
    return RawRecord(index, None, buffer.excerpt(), reason + STOPPED, buffer.line)


def _too_large() -> str:
    return f"the record is over the {MAX_RECORD_BYTES // (1024 * 1024)} MB limit for one record"
