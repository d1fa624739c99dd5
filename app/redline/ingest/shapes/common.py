"""What every tool's flattener shares: chat messages, text, times, feedback, outcomes.

A flattener turns one record of a tool's export into zero or more *flat records*: dicts
whose keys are Sample field names (``input``, ``output``, ``model``, ``segments``...),
so the import maps them one to one. Text is never trimmed or normalised: what is
stored is exactly what the tool exported (long prompts, right-to-left scripts,
zero-width and control characters included).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from redline.errors import RedlineError
from redline.ingest.mapping import BadRecord, parse_time

Flat = dict[str, Any]
"""A record in Sample terms: keys are Sample field names (see FLAT_FIELDS)."""

FLAT_FIELDS = (
    "external_id", "captured_at", "model", "prompt_name", "prompt_version", "variant",
    "session_id", "system_prompt", "input", "output", "latency_ms", "tokens_in",
    "tokens_out", "language", "signal_edited", "signal_thumbs", "segments",
)  # fmt: skip


@dataclass(frozen=True)
class Skip:
    """A record part that is not a sample and not an error (an embedding span...).

    `kind` names what was skipped, in the singular, for the import report:
    "embedding span", "span observation".
    """

    kind: str


@dataclass(frozen=True)
class Reject:
    """A record part that should have been a sample but cannot be; `reason` says why."""

    reason: str


Item = Flat | Skip | Reject
Items = Iterator[Item]
Flattener = Callable[[dict[str, Any]], Items]
"""One record of a tool's export -> its samples (and what was skipped or rejected)."""


@dataclass(frozen=True)
class ToolShape:
    """One tool's export format.

    Attributes:
        name: stored as the batch's shape ("langfuse").
        label: for messages ("a Langfuse trace export").
        matches: whether a record is of this shape (cheap: runs on every record).
        prepare: (file, companion files) -> a factory of flatteners, one per pass
            over the file (a flattener may keep state, e.g. ids seen). Raises
            RedlineError when the companions do not fit.
        fields: the Sample fields its flat records can fill.
    """

    name: str
    label: str
    matches: Callable[[dict[str, Any]], bool]
    prepare: Callable[[Path, Sequence[Path]], Callable[[], Flattener]]
    fields: tuple[str, ...]


def stateless(flatten: Flattener) -> Callable[[Path, Sequence[Path]], Callable[[], Flattener]]:
    """`prepare` for a shape whose flattener keeps no state and takes no companion file."""

    def prepare(path: Path, companions: Sequence[Path]) -> Callable[[], Flattener]:
        if companions:
            raise RedlineError(
                "--with is only for OpenAI Batch files (the input file with its output file)",
                where=str(path),
            )
        return lambda: flatten

    return prepare


class ExportError(Exception):
    """A whole record is malformed for its tool's format; the message says how."""


# Role names of the tools, mapped to the chat roles the import knows.
_ROLES = {
    "user": "user",
    "human": "user",
    "prompter": "user",
    "humanmessage": "user",
    "humanmessagechunk": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "aimessage": "assistant",
    "aimessagechunk": "assistant",
    "system": "system",
    "developer": "system",
    "systemmessage": "system",
    "tool": "tool",
    "toolmessage": "tool",
    "function": "function",
    "functionmessage": "function",
}


def role_of(name: Any) -> str | None:
    """The chat role for a tool's role name ("human", "ai", "prompter"...), or None."""
    return _ROLES.get(name.lower()) if isinstance(name, str) else None


def dumps(value: Any) -> str:
    """Compact JSON text of a value that is not text (kept readable: no ASCII escapes)."""
    return orjson.dumps(value, default=str).decode("utf-8")


def text_of(content: Any) -> str | None:
    """The text of a message content: a string, or a list of content parts.

    Parts come in each tool's spelling: OpenAI ``{"type": "text", "text"}``, Responses
    ``output_text`` / ``input_text``, OpenTelemetry ``{"type": "text", "content"}``.
    Non-text parts become a short marker, so the reviewer sees that something was there.
    """
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return dumps(content)
    texts: list[str] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            texts.append(dumps(part))
            continue
        kind = part.get("type")
        text = part.get("text", part.get("content"))
        if isinstance(text, str) and kind in (None, "text", "output_text", "input_text"):
            texts.append(text)
        elif kind in ("tool_call", "function_call", "tool_use"):
            texts.append(f"[tool call: {part.get('name') or part.get('function', '')}]")
        elif kind in ("tool_call_response", "tool_result", "function_call_output"):
            texts.append(text_of(part.get("response", part.get("output"))) or "[tool result]")
        elif kind in ("reasoning", "thinking"):
            continue  # the model's scratchpad is not part of the answer under review
        elif kind in ("image_url", "input_image", "image", "blob", "file", "uri", "input_file"):
            texts.append(f"[{kind.removeprefix('input_')}]")
        elif isinstance(text, str):
            texts.append(text)
        else:
            texts.append(dumps(part))
    return "\n".join(texts)


def message_of(value: Any) -> dict[str, str] | None:
    """One chat message as {"role", "content"}, from any tool's spelling, or None.

    Knows plain ``{"role", "content"}``, LangChain's ``{"type": "human", "content"}``
    and its serialised constructor form, OpenTelemetry's ``{"role", "parts"}`` and
    Responses API input items.
    """
    if not isinstance(value, dict):
        return None
    if value.get("lc") == 1 and isinstance(value.get("kwargs"), dict):
        ident = value.get("id")
        name = ident[-1] if isinstance(ident, list) and ident else None
        kwargs = value["kwargs"]
        role = role_of(name) or role_of(kwargs.get("type")) or role_of(kwargs.get("role"))
        content = kwargs.get("content")
    else:
        role = role_of(value.get("role")) or role_of(value.get("type"))
        content = value.get("content", value.get("parts", value.get("text")))
        if content is None and value.get("tool_calls"):
            names = [
                str((call.get("function") or {}).get("name", call.get("name", "")))
                for call in value["tool_calls"]
                if isinstance(call, dict)
            ]
            content = f"[tool call: {', '.join(names)}]"
    if role is None:
        return None
    return {"role": role, "content": text_of(content) or ""}


def messages_of(value: Any) -> list[dict[str, str]] | None:
    """A chat as messages, or None when `value` is not a list of messages."""
    if not isinstance(value, list) or not value:
        return None
    if len(value) == 1 and isinstance(value[0], list):
        value = value[0]  # LangChain chat model runs: one list of messages per prompt
    messages = [message_of(item) for item in value]
    if any(message is None for message in messages):
        return None
    return [message for message in messages if message is not None]


_INPUT_KEYS = ("messages", "input", "prompt", "question", "query", "inputs", "text")


def as_input(value: Any) -> str | list[dict[str, str]] | None:
    """What the model was given, as text or chat messages (None when there is nothing)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    messages = messages_of(value)
    if messages is not None:
        return messages
    if isinstance(value, dict):
        message = message_of(value)
        if message is not None:
            return [message]
        if len(value) == 1 or any(key in value for key in _INPUT_KEYS):
            for key in _INPUT_KEYS:
                if key in value:
                    return as_input(value[key])
    return dumps(value)


_OUTPUT_KEYS = ("content", "text", "output", "completion", "answer", "response", "generation")


def as_output(value: Any) -> str | None:
    """What the model answered, as text (None when there is no answer)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        messages = messages_of(value)
        if messages is not None:
            answers = [m["content"] for m in messages if m["role"] == "assistant"]
            return answers[-1] if answers else messages[-1]["content"]
        return text_of(value)
    if isinstance(value, dict):
        choices = value.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            choice = choices[0]
            return as_output(choice.get("message", choice.get("text")))
        message = message_of(value)
        if message is not None:
            return message["content"]
        for key in _OUTPUT_KEYS:
            if key in value and value[key] is not None:
                return as_output(value[key])
    return dumps(value)


def time_text(value: Any) -> str | None:
    """A tool's timestamp as ISO 8601 text (None when absent or unreadable)."""
    if value is None or value == "":
        return None
    try:
        return parse_time(value).isoformat()
    except BadRecord:
        return None


def nanos_time(value: Any) -> str | None:
    """Unix nanoseconds (OpenTelemetry, sent as a string or a number) as ISO 8601 text."""
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        return None
    if nanos <= 0:
        return None
    # Whole microseconds from integers: a float of 1.7e18 ns would lose them.
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanos // 1000)).isoformat()


def duration_ms(start: Any, end: Any) -> float | None:
    """Milliseconds between two timestamps, or None when either is missing."""
    if start is None or end is None:
        return None
    try:
        delta = (parse_time(end) - parse_time(start)).total_seconds() * 1000.0
    except BadRecord:
        return None
    return delta if delta >= 0 else None


def count(value: Any) -> int | None:
    """A token count (int or numeric string), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def first(*values: Any) -> Any:
    """The first value that is neither None nor empty text."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def dig(record: Any, *path: str | int) -> Any:
    """record[path[0]][path[1]]..., or None where anything is missing."""
    value = record
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return None
            value = value[key]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def label(value: Any) -> str | None:
    """A label field (model, version...) as text: numbers become their digits."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def scalar(value: Any) -> str | int | float | bool | None:
    """A segment value: segments hold scalars; lists are joined, objects kept as JSON."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(str(v) for v in value)
    return dumps(value)


def add_segments(segments: dict[str, Any], prefix: str, values: Mapping[str, Any]) -> None:
    """Put `values` into `segments` under "<prefix>.<key>", leaving out empty ones."""
    for key, raw in values.items():
        value = scalar(raw)
        if value is not None and value != "":
            segments[f"{prefix}.{key}"] = value


# Feedback names that mean an end user's thumbs, in the tools' usual spellings.
_THUMBS_WORDS = ("thumb", "user_feedback", "userfeedback", "user-feedback", "user_score", "like")


def is_thumbs(name: str) -> bool:
    """Whether a feedback/score name is an end user's thumbs up/down."""
    lowered = name.lower()
    return any(word in lowered for word in _THUMBS_WORDS)


def thumbs(value: Any) -> int | None:
    """A thumbs value (+1 up, -1 down): true/false, 1/0, 1/-1, "up"/"down", or an average."""
    if isinstance(value, bool):
        return 1 if value else -1
    if isinstance(value, int | float):
        if value > 0.5:
            return 1
        if value < 0.5:
            return -1
        return None  # an average of exactly one half: no direction
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("up", "+1", "1", "true", "yes", "positive", "good", "👍"):
            return 1
        if text in ("down", "-1", "0", "false", "no", "negative", "bad", "👎"):
            return -1
    return None


def checked(flat: Flat) -> Flat | Reject:
    """The flat record, or a Reject when it lacks what every sample needs.

    Checked here rather than left to the mapping so the reason names the tool's
    terms, and because a record that expands into several samples must not fail in
    the mapping (see RecordExpander on line numbers).
    """
    if flat.get("input") in (None, "", []):
        return Reject("no input: the record carries no prompt or messages")
    output = flat.get("output")
    if output is None:
        return Reject("no output: the record carries no answer")
    if not isinstance(output, str):
        flat["output"] = dumps(output)
    if flat["output"] == "":
        return Reject("the answer is empty")
    inputs = flat["input"]
    if isinstance(inputs, list):
        # What the mapping keeps of a chat: a leading system turn becomes the system
        # prompt and a trailing assistant turn is dropped; something must remain.
        start = 1 if inputs[0]["role"] == "system" else 0
        end = len(inputs) - 1 if inputs[-1]["role"] == "assistant" else len(inputs)
        if start >= end:
            return Reject("the conversation has no user message before the answer")
    return {key: value for key, value in flat.items() if value is not None and value != {}}
