"""OpenAI Batch API files: the input (requests) and output (answers) files, joined.

An input line is ``{"custom_id", "method", "url", "body"}``; an output line is
``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}``.
Neither alone makes a sample (the output does not repeat the request), so both are
given, either one as the file and the other with ``--with``; they are joined by
``custom_id``. Chat Completions (``/v1/chat/completions``), Responses (``/v1/responses``)
and legacy Completions bodies are read; embedding requests are skipped and counted.

Reported as problems, with their line: failed requests (an ``error``, or a status
other than 200), a ``custom_id`` repeated in the file or in the other file, and one
with no partner in the other file. The sample's id is the output line's ``id``
(``batch_req_...``, unique across batches), so a ``custom_id`` like "request-1" reused
by every batch never makes two batches' samples collide.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from redline.errors import RedlineError
from redline.ingest.shapes.common import (
    Flat,
    Flattener,
    Items,
    Reject,
    Skip,
    ToolShape,
    add_segments,
    as_input,
    as_output,
    checked,
    count,
    dig,
    first,
    label,
    time_text,
)


def is_request(record: dict[str, Any]) -> bool:
    return (
        "custom_id" in record
        and isinstance(record.get("body"), dict)
        and ("url" in record or "method" in record)
    )


def is_answer(record: dict[str, Any]) -> bool:
    return "custom_id" in record and ("response" in record or "error" in record)


def matches(record: dict[str, Any]) -> bool:
    return is_request(record) or is_answer(record)


@dataclass(frozen=True)
class _Entry:
    line: int
    data: bytes


class _Companion:
    """The other file, indexed by custom_id (byte offsets: the file may be 200 MB)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.by_id: dict[str, list[tuple[int, int]]] = {}
        self.requests = 0
        self.answers = 0
        self._data: bytes | None = None
        try:
            with path.open("rb") as handle:
                compressed = handle.read(2) == b"\x1f\x8b"
        except OSError as exc:
            raise RedlineError(f"cannot read the file ({exc.strerror})", where=str(path)) from exc
        if compressed:
            # Random access into gzip is slow; a companion is at most a few hundred MB.
            self._data = gzip.decompress(path.read_bytes())
        self._index()

    def _lines(self) -> Sequence[bytes] | Any:
        if self._data is not None:
            return self._data.splitlines(keepends=True)
        return self.path.open("rb")

    def _index(self) -> None:
        offset = 0
        lines = self._lines()
        try:
            for number, line in enumerate(lines, start=1):
                start, offset = offset, offset + len(line)
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a broken line only matters if an id points at it: none can
                if not isinstance(value, dict) or not isinstance(value.get("custom_id"), str):
                    continue
                if is_request(value):
                    self.requests += 1
                elif is_answer(value):
                    self.answers += 1
                self.by_id.setdefault(value["custom_id"], []).append((number, start))
        finally:
            if hasattr(lines, "close"):
                lines.close()

    def get(self, custom_id: str) -> list[_Entry]:
        entries = []
        for number, start in self.by_id.get(custom_id, ()):
            if self._data is not None:
                end = self._data.find(b"\n", start)
                data = self._data[start : end if end >= 0 else None]
            else:
                with self.path.open("rb") as handle:
                    handle.seek(start)
                    data = handle.readline()
            entries.append(_Entry(number, data))
        return entries


def prepare(path: Path, companions: Sequence[Path]) -> Callable[[], Flattener]:
    if len(companions) != 1:
        raise RedlineError(
            "an OpenAI Batch file holds only half of each sample: the input file has the "
            "requests, the output file the answers"
            + ("" if not companions else f"; give one other file, not {len(companions)}"),
            where=str(path),
            hint="give both: redline import OUTPUT.jsonl --with INPUT.jsonl",
        )
    companion = _Companion(companions[0])
    if not companion.by_id:
        raise RedlineError(
            "this is not an OpenAI Batch file (no line with a custom_id)",
            where=str(companion.path),
            hint="--with takes the input file of the batch whose output is imported, or "
            "the other way round",
        )
    return lambda: _Join(companion)


class _Join:
    """One pass over the imported file, joining each line with its partner."""

    def __init__(self, companion: _Companion) -> None:
        self.companion = companion
        self.seen: dict[str, int] = {}

    def __call__(self, record: dict[str, Any]) -> Items:
        custom_id = record.get("custom_id")
        if not isinstance(custom_id, str):
            yield Reject("custom_id is missing or not text")
            return
        # The line number is not known here: the n-th occurrence is what matters.
        if custom_id in self.seen:
            self.seen[custom_id] += 1
            yield Reject(f"duplicate custom_id {custom_id!r}: an earlier line of this file has it")
            return
        self.seen[custom_id] = 1
        partners = self.companion.get(custom_id)
        other = self.companion.path.name
        if not partners:
            missing = "no answer in" if is_request(record) else "no request in"
            yield Reject(f"custom_id {custom_id!r} has {missing} {other}")
            return
        if len(partners) > 1:
            lines = ", ".join(str(p.line) for p in partners)
            yield Reject(f"custom_id {custom_id!r} appears on lines {lines} of {other}")
            return
        try:
            partner = orjson.loads(partners[0].data)
        except orjson.JSONDecodeError:
            yield Reject(f"line {partners[0].line} of {other} is not valid JSON")
            return
        request, answer = (record, partner) if is_request(record) else (partner, record)
        if not is_request(request) or not is_answer(answer):
            yield Reject(
                f"custom_id {custom_id!r}: the two files must be a batch's input and its output"
            )
            return
        yield _sample(request, answer)


def _sample(request: dict[str, Any], answer: dict[str, Any]) -> Flat | Skip | Reject:
    url = str(request.get("url") or "")
    if "embeddings" in url:
        return Skip("embedding request")
    custom_id = request["custom_id"]
    error = answer.get("error")
    response = answer.get("response") or {}
    status = response.get("status_code")
    body = response.get("body") or {}
    if error or (status is not None and status != 200):
        detail = error or body.get("error") or {}
        message = detail.get("message") if isinstance(detail, dict) else str(detail)
        code = detail.get("code") if isinstance(detail, dict) else None
        what = f"HTTP {status}" if status not in (None, 200) else "an error"
        return Reject(
            f"request {custom_id!r} failed with {what}"
            + (f" ({code})" if code else "")
            + f": {message or 'no message'}"
        )
    params = request["body"]
    system, inputs, output, finish = _exchange(params, body, url)
    usage = body.get("usage") or {}
    segments: dict[str, Any] = {"source_tool": "openai_batch"}
    add_segments(
        segments,
        "openai_batch",
        {
            "custom_id": custom_id,
            "endpoint": url,
            "finish_reason": finish,
            "request_id": response.get("request_id"),
            **{f"metadata.{k}": v for k, v in (params.get("metadata") or {}).items()},
        },
    )
    return checked(
        {
            "external_id": label(first(answer.get("id"), custom_id)),
            "captured_at": time_text(first(body.get("created"), body.get("created_at"))),
            "model": label(first(body.get("model"), params.get("model"))),
            "system_prompt": system,
            "input": inputs,
            "output": output,
            "tokens_in": count(first(usage.get("prompt_tokens"), usage.get("input_tokens"))),
            "tokens_out": count(first(usage.get("completion_tokens"), usage.get("output_tokens"))),
            "segments": segments,
        }
    )


def _exchange(
    params: dict[str, Any], body: dict[str, Any], url: str
) -> tuple[str | None, Any, str | None, Any]:
    """(system prompt, input, output, finish reason) of one request and its answer."""
    if "responses" in url or body.get("object") == "response":
        system = params.get("instructions")
        inputs = as_input(params.get("input"))
        return (
            (system if isinstance(system, str) else None),
            inputs,
            as_output(body),
            body.get("status"),
        )
    choice = dig(body, "choices", 0) or {}
    if "messages" in params:
        message = choice.get("message")
        output = as_output(message) if isinstance(message, dict) else None
        return None, as_input(params["messages"]), output, choice.get("finish_reason")
    prompt = params.get("prompt")
    inputs = prompt[0] if isinstance(prompt, list) and prompt else prompt
    return None, as_input(inputs), choice.get("text"), choice.get("finish_reason")


SHAPE = ToolShape(
    name="openai_batch",
    label="an OpenAI Batch API file",
    matches=matches,
    prepare=prepare,
    fields=(
        "external_id", "captured_at", "model", "system_prompt", "input", "output",
        "tokens_in", "tokens_out", "segments",
    ),
)  # fmt: skip
