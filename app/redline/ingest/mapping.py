"""Map a production record's fields onto a Sample's fields.

A mapping is `{sample field: record path}`; a path is a top-level key or a dotted path
into nested objects (``usage.prompt_tokens``). Segment fields are mapped as
``segment.<name>``. The mapping is detected from the first records for the common
shapes (flat records, OpenAI chat records, chat-completion request/response logs) and
any entry can be overridden by the user.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.errors import RedlineError

# Sample fields a mapping can fill, with the record names we recognise for each, most
# specific first. Names are compared case-insensitively with "_", "-", " " removed.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external_id",
        "id",
        "request_id",
        "record_id",
        "trace_id",
        "log_id",
        "custom_id",
        "uuid",
        "event_id",
        "message_id",
    ),
    "captured_at": (
        "captured_at",
        "timestamp",
        "created_at",
        "created",
        "time",
        "ts",
        "datetime",
        "date",
        "request_time",
        "logged_at",
    ),
    "model": (
        "model",
        "model_name",
        "llm",
        "engine",
        "response.model",
        "request.model",
        "metadata.model",
    ),
    "prompt_name": (
        "prompt_name",
        "prompt_id",
        "template_name",
        "prompt_template",
        "metadata.prompt_name",
    ),
    "prompt_version": ("prompt_version", "template_version", "version", "metadata.prompt_version"),
    "variant": ("variant", "ab_variant", "experiment_variant", "arm", "bucket", "metadata.variant"),
    "session_id": (
        "session_id",
        "conversation_id",
        "thread_id",
        "session",
        "chat_id",
        "metadata.session_id",
    ),
    "system_prompt": ("system_prompt", "system", "instructions", "system_message"),
    "input": (
        "input",
        "user_input",
        "question",
        "query",
        "prompt",
        "prompt_text",
        "request",
        "user_message",
        "inputs",
        "text",
    ),
    "output": (
        "output",
        "response",
        "completion",
        "answer",
        "generation",
        "reply",
        "assistant",
        "outputs",
        "result",
    ),
    "messages": ("messages", "request.messages", "conversation", "chat"),
    "score": (
        "score",
        "confidence",
        "quality_score",
        "probability",
        "prob",
        "guardrail_score",
        "metadata.score",
    ),
    "decision": ("decision", "production_decision", "action", "outcome", "routing"),
    "latency_ms": ("latency_ms", "duration_ms", "response_time_ms", "elapsed_ms", "latency"),
    "tokens_in": (
        "tokens_in",
        "prompt_tokens",
        "input_tokens",
        "usage.prompt_tokens",
        "usage.input_tokens",
        "response.usage.prompt_tokens",
    ),
    "tokens_out": (
        "tokens_out",
        "completion_tokens",
        "output_tokens",
        "usage.completion_tokens",
        "usage.output_tokens",
        "response.usage.completion_tokens",
    ),
    "language": ("language", "lang", "locale", "language_code", "metadata.language"),
    "signal_copied": ("copied", "signal_copied", "was_copied", "signals.copied"),
    "signal_edited": ("edited", "signal_edited", "was_edited", "signals.edited"),
    "signal_follow_up": (
        "follow_up",
        "followup",
        "signal_follow_up",
        "had_follow_up",
        "signals.follow_up",
    ),
    "signal_thumbs": (
        "thumbs",
        "signal_thumbs",
        "user_feedback",
        "feedback",
        "thumb",
        "signals.thumbs",
    ),
    "segments": ("segments", "segment"),
}
SAMPLE_FIELDS = frozenset(CANDIDATES)
"""Fields a user may map (plus segment.<name>)."""

# Chat-completion logs keep the answer in the response's first choice.
_RESPONSE_CONTENT = "response.choices.0.message.content"


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def get_path(record: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (list items by index), or None where it is missing."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _paths(record: dict[str, Any], prefix: str = "", depth: int = 3) -> dict[str, str]:
    """Normalised name -> path, for keys up to `depth` levels into nested objects."""
    found: dict[str, str] = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        found.setdefault(_norm(path), path)
        if isinstance(value, dict) and depth > 1:
            for name, inner in _paths(value, f"{path}.", depth - 1).items():
                found.setdefault(name, inner)
    return found


@dataclass(frozen=True)
class Detected:
    """A detected shape and mapping."""

    shape: str  # "flat" | "openai_chat" | "chat_log"
    mapping: dict[str, str]


def detect_mapping(records: Iterable[dict[str, Any]]) -> Detected:
    """Detect the shape and mapping from the first records of a file."""
    seen: dict[str, str] = {}
    for record in records:
        for name, path in _paths(record).items():
            seen.setdefault(name, path)
        if isinstance(record.get("response"), dict):
            choices = record["response"].get("choices")
            if isinstance(choices, list) and choices:
                seen.setdefault(_norm(_RESPONSE_CONTENT), _RESPONSE_CONTENT)
    mapping: dict[str, str] = {}
    for field, names in CANDIDATES.items():
        for name in names:
            found = seen.get(_norm(name))
            if found is not None and found not in mapping.values():
                mapping[field] = found
                break
    shape = "flat"
    if "messages" in mapping:
        shape = "openai_chat"
        if _norm(_RESPONSE_CONTENT) in seen:
            shape = "chat_log"
            mapping["output"] = _RESPONSE_CONTENT
        # In a chat record the conversation is the input, and the last assistant turn the
        # output: a separate "prompt"/"input" key would be a duplicate view of it.
        if mapping.get("input") not in (None, "input"):
            mapping.pop("input", None)
    return Detected(shape, mapping)


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """Parse ``FIELD=PATH`` items from the command line; an empty PATH unmaps a field."""
    overrides: dict[str, str] = {}
    for item in items:
        field, sep, path = item.partition("=")
        field = field.strip()
        if not sep or not field:
            raise RedlineError(f"bad mapping {item!r}", hint="write FIELD=PATH, e.g. output=reply")
        check_field(field)
        overrides[field] = path.strip()
    return overrides


def check_field(field: str) -> None:
    if field not in SAMPLE_FIELDS and not (field.startswith("segment.") and len(field) > 8):
        known = ", ".join(sorted(SAMPLE_FIELDS))
        raise RedlineError(
            f"unknown sample field {field!r}", hint=f"map one of {known} or segment.NAME"
        )


def merge(detected: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """The detected mapping with the user's overrides applied (empty path = unmapped)."""
    mapping = dict(detected)
    for field, path in overrides.items():
        if path:
            mapping[field] = path
        else:
            mapping.pop(field, None)
    return mapping


EMPTY_OUTPUT = "empty_output"
"""The segment marking a sample whose answer was empty: kept for review, not dropped.

A record can only be marked so by a tool's flattener (shapes.common.checked): a
plain record's empty output cell stays a missing field, as it always was.
"""


class BadRecord(Exception):
    """The record cannot become a Sample; the message says which field and why."""


@dataclass(slots=True)
class MappedRecord:
    """A record's values in Sample terms (before hashing and sampling).

    The first fields are in `_OPTIONAL_FIELDS` order: the compiled mapper fills them
    positionally.
    """

    external_id: str | None
    captured_at: datetime | None
    model: str | None
    prompt_name: str | None
    prompt_version: str | None
    variant: str | None
    session_id: str | None
    score: float | None
    decision: str | None
    latency_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    language: str | None
    signal_copied: bool | None
    signal_edited: bool | None
    signal_follow_up: bool | None
    signal_thumbs: int | None
    system_prompt: str | None
    input_text: str
    input_messages: list[dict[str, Any]] | None
    output: str
    segments: dict[str, Any] | None

    def content_hash(self) -> str:
        """A hash of what the model saw and said, for de-duplication."""
        text = f"{self.system_prompt or ''}\x00{self.input_text}\x00{self.output}"
        data = text.encode("utf-8", errors="surrogatepass")
        return hashlib.blake2b(data, digest_size=16).hexdigest()


Getter = Callable[[dict[str, Any]], Any]


def _getter(path: str | None) -> Getter | None:
    """A fast accessor for one mapped path (the common case, a top-level key, is a dict.get)."""
    if not path:
        return None
    if "." not in path:
        return lambda record: record.get(path)
    return lambda record: get_path(record, path)


class Mapper:
    """Applies one mapping to many records (the per-record hot path of an import).

    Accessors and converters are resolved once here, so mapping a record is a handful
    of dict lookups and type checks.
    """

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self._paths = {field: mapping.get(field) for field in CANDIDATES}
        self._get = {field: _getter(path) for field, path in self._paths.items()}
        self._scalars = _compile_scalars(self._paths)
        self._segment_getters = [
            (field.removeprefix("segment."), _getter(path))
            for field, path in mapping.items()
            if field.startswith("segment.")
        ]
        self._has_segments = bool(self._segment_getters) or self._get["segments"] is not None
        # Flat records whose input and output are plain text (most production logs)
        # skip the chat handling below: same result, a third of the calls.
        self._flat = self._get["messages"] is None
        self._input, self._output = self._get["input"], self._get["output"]
        self._system = self._get["system_prompt"]

    def always_none(self) -> frozenset[str]:
        """The MappedRecord fields this mapping leaves None in every record: the
        unmapped optional fields (the compiled reader returns a literal None for them)
        and the segments when none are mapped."""
        unmapped = {field for field in _OPTIONAL_FIELDS if not self._paths.get(field)}
        if not self._has_segments:
            unmapped.add("segments")
        return frozenset(unmapped)

    def map(self, record: dict[str, Any]) -> MappedRecord:
        """Map one record; raises BadRecord naming the field and the problem."""
        if self._flat and self._input is not None and self._output is not None:
            input_value, output = self._input(record), self._output(record)
            system = self._system(record) if self._system is not None else None
            if (
                type(input_value) is str
                and input_value
                and type(output) is str
                and output
                and (system is None or type(system) is str)
            ):
                return MappedRecord(  # type: ignore[call-arg]  # see below
                    *self._scalars(record),
                    system or None,
                    input_value,
                    None,
                    output,
                    self._segments(record) if self._has_segments else None,
                )
        get, paths = self._get, self._paths
        system_prompt = _text_or_none(
            _value(get["system_prompt"], record), paths["system_prompt"], "system_prompt"
        )
        messages: list[dict[str, Any]] | None = None
        output_value = _value(get["output"], record)
        input_value = _value(get["input"], record)
        raw_messages = _value(get["messages"], record)
        if raw_messages is not None:
            system_prompt, messages, last_answer = _split_chat(raw_messages, system_prompt)
            if output_value is None:
                output_value = last_answer
        elif isinstance(input_value, list):
            system_prompt, messages, _ = _split_chat(input_value, system_prompt)
        if messages is not None:
            input_text = render_messages(messages)
        else:
            if input_value is None:
                raise BadRecord(_missing("input", paths["input"]))
            input_text = _as_text(input_value, "input", paths["input"])
        segments = self._segments(record) if self._has_segments else None
        if output_value is None:
            if not (segments and segments.get(EMPTY_OUTPUT) is True):
                raise BadRecord(_missing("output", paths["output"]))
            output_value = ""
        output = (
            output_value
            if type(output_value) is str
            else _as_text(output_value, "output", paths["output"])
        )
        # The compiled tuple fills the leading fields (checked against _OPTIONAL_FIELDS
        # at import time); mypy cannot count a tuple built at run time.
        return MappedRecord(  # type: ignore[call-arg]
            *self._scalars(record),
            system_prompt,
            input_text,
            messages,
            output,
            segments,
        )

    def _segments(self, record: dict[str, Any]) -> dict[str, Any] | None:
        segments: dict[str, Any] = {}
        getter = self._get["segments"]
        if getter is not None:
            base = getter(record)
            if isinstance(base, dict):
                segments.update(base)
            elif base is not None:
                raise BadRecord(f"field 'segments' ({self._paths['segments']}) is not an object")
        for name, get in self._segment_getters:
            value = get(record) if get is not None else None
            if value is not None and value != "":
                segments[name] = value
        return segments or None


_LABEL_FIELDS = frozenset(
    {"model", "prompt_name", "prompt_version", "variant", "session_id", "decision"}
)


# Exact-type fast paths the compiled mapper tries before calling a field's converter:
# each gives the converter's own result for the values it accepts (a float score, an int
# token count...), and anything else goes through the converter, errors included.
_FAST_PATHS: dict[str, str] = {
    "external_id": "v if type(v) is str and 0 < len(v) <= 200 else {slow}",
    "captured_at": "(fast_time(v) or {slow}) if type(v) is str else {slow}",
    "score": "v if type(v) is float and isfinite(v) else {slow}",
    "latency_ms": "v if type(v) is float and isfinite(v) else "
    "(float(v) if type(v) is int else {slow})",
    "tokens_in": "v if type(v) is int and v >= 0 else {slow}",
    "tokens_out": "v if type(v) is int and v >= 0 else {slow}",
    "language": "v if type(v) is str and len(v) == 2 and v.isalpha() and v.islower() else {slow}",
    "signal_copied": "v if type(v) is bool else {slow}",
    "signal_edited": "v if type(v) is bool else {slow}",
    "signal_follow_up": "v if type(v) is bool else {slow}",
    "signal_thumbs": "thumbs[v] if type(v) is str and v in thumbs else {slow}",
}


def _compile_scalars(paths: dict[str, str | None]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function reading every optional field of a record, specialised to one mapping.

    Generated once per import, it is a straight run of dict lookups and exact-type fast
    paths (a str label, a float score) that fall back to the converters above for
    everything else: the same results as calling them in a loop, at a fraction of the
    cost on the import's hot path. Paths enter the code only as repr() string literals.
    """
    lines = ["def scalars(record):"]
    names = []
    for field in _OPTIONAL_FIELDS:
        path = paths.get(field)
        if not path:
            names.append("None")
            continue
        names.append(field)
        read = f"record.get({path!r})" if "." not in path else f"get_path(record, {path!r})"
        lines.append(f"    v = {read}")
        if field in _LABEL_FIELDS:
            lines.append(
                f"    {field} = v if type(v) is str and v else "
                f"(None if v is None or v == '' else as_label(v, {field!r}, {path!r}))"
            )
            continue
        slow = f"(None if v is None or v == '' else convert_{field}(v, {field!r}, {path!r}))"
        fast = _FAST_PATHS.get(field, "{slow}")
        if field == "latency_ms" and _in_seconds(path):
            fast = "{slow}"  # the converter scales seconds to milliseconds
        lines.append(f"    {field} = {fast.format(slow=slow)}")
    lines.append(f"    return ({', '.join(names)},)")
    namespace: dict[str, Any] = {
        "get_path": get_path,
        "as_label": _as_label,
        "isfinite": math.isfinite,
        "fast_time": _fast_time,
        "thumbs": _THUMBS_EXACT,
    }
    namespace.update({f"convert_{field}": convert for field, convert in _CONVERTERS.items()})
    exec("\n".join(lines), namespace)
    function: Callable[[dict[str, Any]], tuple[Any, ...]] = namespace["scalars"]
    return function


def _value(getter: Getter | None, record: dict[str, Any]) -> Any:
    if getter is None:
        return None
    value = getter(record)
    return None if value == "" else value


def _missing(field: str, path: str | None) -> str:
    if path is None:
        return f"no field is mapped to '{field}' (required); map one with --map {field}=NAME"
    return f"missing required field '{field}' (mapped from '{path}')"


def _where(field: str, path: str | None) -> str:
    return f"'{field}'" if path in (None, field) else f"'{field}' (from '{path}')"


def _describe(value: Any) -> str:
    kind = {dict: "an object", list: "a list", bool: "true/false"}.get(type(value))
    if kind:
        return kind
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_text(value: Any, field: str, path: str | None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = _content_parts(value)
        if parts is not None:
            return parts
    raise BadRecord(f"field {_where(field, path)} is not text: {_describe(value)}")


def _content_parts(value: list[Any]) -> str | None:
    """Join OpenAI-style content parts ([{"type": "text", "text": ...}]) into text."""
    texts: list[str] = []
    for part in value:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part, dict) and part.get("type") in ("image_url", "input_image"):
            texts.append("[image]")
        else:
            return None
    return "\n".join(texts)


def _as_label(value: Any, field: str, path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRecord(f"field {_where(field, path)} is not text: {_describe(value)}")


def _text_or_none(value: Any, path: str | None, field: str) -> str | None:
    return None if value is None else _as_text(value, field, path)


def _to_id(value: Any, field: str, path: str) -> str:
    if type(value) is str and len(value) <= 200:
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRecord(f"field {_where('external_id', path)} is not an id: {_describe(value)}")
    text = str(value)
    if len(text) > 200:
        raise BadRecord(f"field {_where('external_id', path)} is longer than 200 characters")
    return text


def _number(value: Any, field: str, path: str) -> float:
    if type(value) is float:
        if not math.isfinite(value):
            raise BadRecord(f"field {_where(field, path)} is not a finite number: {value!r}")
        return value
    if isinstance(value, bool):
        raise BadRecord(f"field {_where(field, path)} is not a number: {_describe(value)}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise BadRecord(
                f"field {_where(field, path)} is not a number: {_describe(value)}"
            ) from None
    else:
        raise BadRecord(f"field {_where(field, path)} is not a number: {_describe(value)}")
    if not math.isfinite(number):
        raise BadRecord(f"field {_where(field, path)} is not a finite number: {value!r}")
    return number


def _in_seconds(path: str) -> bool:
    """ "latency_s", "duration_seconds": seconds; everything else is taken as milliseconds."""
    return re.search(r"(_s|_sec|_secs|_seconds)$", path.lower()) is not None


def _to_latency(value: Any, field: str, path: str) -> float:
    number = _number(value, field, path)
    return number * 1000.0 if _in_seconds(path) else number


def _to_int(value: Any, field: str, path: str) -> int:
    if type(value) is int and value >= 0:
        return value
    number = _number(value, field, path)
    if not number.is_integer() or number < 0:
        raise BadRecord(f"field {_where(field, path)} is not a whole number: {_describe(value)}")
    return int(number)


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


def _to_bool(value: Any, field: str, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise BadRecord(f"field {_where(field, path)} is not true/false: {_describe(value)}")


_THUMBS_UP = frozenset({"up", "+1", "1", "👍", "positive", "like", "good", "true", "yes"})
_THUMBS_DOWN = frozenset({"down", "-1", "👎", "negative", "dislike", "bad", "false", "no"})


# The thumbs strings as written (already stripped, lower case) -> what _to_thumbs says.
_THUMBS_EXACT: dict[str, int | None] = {
    **{text: 1 for text in _THUMBS_UP},
    **{text: -1 for text in _THUMBS_DOWN},
    "none": None,
    "0": None,
}


def _to_thumbs(value: Any, field: str, path: str) -> int | None:
    if value == 0:
        return None
    if isinstance(value, bool):
        return 1 if value else -1
    if isinstance(value, int | float):
        return 1 if value > 0 else -1
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _THUMBS_UP:
            return 1
        if text in _THUMBS_DOWN:
            return -1
        if text in ("", "none", "0"):
            return None
    raise BadRecord(f"field {_where(field, path)} is not a thumbs up/down: {_describe(value)}")


def _to_language(value: Any, field: str, path: str) -> str:
    if type(value) is str and len(value) == 2 and value.isalpha() and value.islower():
        return value
    if not isinstance(value, str):
        raise BadRecord(
            f"field {_where('language', path)} is not a language code: {_describe(value)}"
        )
    # Keep the primary subtag: "en-US", "en_GB" -> "en"; segments carry finer detail.
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    if not primary.isalpha() or len(primary) > 8:
        raise BadRecord(f"field {_where('language', path)} is not a language code: {value!r}")
    return primary


def _to_time(value: Any, field: str, path: str) -> datetime:
    return parse_time(value, path)


def _fast_time(text: str) -> datetime | None:
    """parse_time's result for the usual log shapes, "...T12:00:00+00:00" and
    "...T12:00:00Z" (None for anything else: parse_time then decides)."""
    if len(text) < 20 or text[10] != "T" or not (text[-1] == "Z" or text.endswith("+00:00")):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is UTC else None


def parse_time(value: Any, path: str = "captured_at") -> datetime:
    """An ISO 8601 string or Unix time (s or ms) as an aware UTC datetime.

    A time without a zone is taken as UTC: production logs are written in UTC far more
    often than in local time.
    """
    where = _where("captured_at", path)
    if isinstance(value, bool):
        raise BadRecord(f"field {where} is not a time: {_describe(value)}")
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds (1e11 s is the year 5138)
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRecord(f"field {where} is not a valid Unix time: {value!r}") from None
    if not isinstance(value, str):
        raise BadRecord(f"field {where} is not a time: {_describe(value)}")
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return parse_time(float(text), path)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRecord(f"field {where} is not an ISO 8601 time: {_describe(value)}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_CONVERTERS: dict[str, Callable[[Any, str, str], Any]] = {
    "external_id": _to_id,
    "captured_at": _to_time,
    "score": _number,
    "latency_ms": _to_latency,
    "tokens_in": _to_int,
    "tokens_out": _to_int,
    "language": _to_language,
    "signal_copied": _to_bool,
    "signal_edited": _to_bool,
    "signal_follow_up": _to_bool,
    "signal_thumbs": _to_thumbs,
}
_OPTIONAL_FIELDS = (
    "external_id", "captured_at", "model", "prompt_name", "prompt_version", "variant",
    "session_id", "score", "decision", "latency_ms", "tokens_in", "tokens_out", "language",
    "signal_copied", "signal_edited", "signal_follow_up", "signal_thumbs",
)  # fmt: skip
assert tuple(MappedRecord.__dataclass_fields__)[: len(_OPTIONAL_FIELDS)] == _OPTIONAL_FIELDS

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def _split_chat(
    raw: Any, system_prompt: str | None
) -> tuple[str | None, list[dict[str, Any]], str | None]:
    """Split chat messages into (system prompt, the conversation before the answer, answer).

    The answer is the last message when it is the assistant's; otherwise None (the
    output then has to come from its own field).
    """
    if not isinstance(raw, list) or not raw:
        raise BadRecord("field 'messages' is not a non-empty list of messages")
    messages: list[dict[str, Any]] = []
    for index, message in enumerate(raw):
        if not isinstance(message, dict):
            raise BadRecord(f"message {index + 1} is not an object")
        role = message.get("role")
        if role not in _ROLES:
            raise BadRecord(f"message {index + 1} has an unknown role {role!r}")
        content = message.get("content")
        text = _as_text(content, f"messages[{index + 1}].content", None) if content else ""
        calls = _tool_calls(message.get("tool_calls"))
        if calls:
            text = f"{text}\n{calls}" if text else calls
        messages.append({"role": role, "content": text})
    if messages[0]["role"] in ("system", "developer"):
        first = messages.pop(0)
        system_prompt = system_prompt or first["content"]
    answer = None
    if messages and messages[-1]["role"] == "assistant":
        answer = messages.pop()["content"]
    if not messages:
        raise BadRecord("the conversation has no user message before the answer")
    return system_prompt, messages, answer


def _tool_calls(calls: Any) -> str:
    """An OpenAI message's ``tool_calls``, every one with its arguments, as text."""
    if not isinstance(calls, list):
        return ""
    texts = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            arguments = function.get("arguments")
            if arguments is not None and not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            texts.append(render_tool_call(function.get("name"), arguments or ""))
    return "\n".join(texts)


def render_tool_call(name: Any, arguments: str) -> str:
    """A tool call as the reviewer reads it: ``[tool call: NAME] ARGUMENTS``.

    Never a JSON object on its own: the stored output stays the model's answer text.
    """
    head = f"[tool call: {name or '?'}]"
    return f"{head} {arguments}" if arguments else head


def render_messages(messages: list[dict[str, Any]]) -> str:
    """The conversation as display and search text: a lone user turn is just its content."""
    if len(messages) == 1 and messages[0]["role"] == "user":
        return str(messages[0]["content"])
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)
