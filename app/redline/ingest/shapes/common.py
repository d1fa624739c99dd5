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
from redline.ingest.mapping import EMPTY_OUTPUT, BadRecord, parse_time, render_tool_call

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


def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one (a field of the wrong type)."""
    return value if isinstance(value, dict) else {}


def _arguments(value: Any) -> str:
    """Tool-call arguments as text: the JSON text a provider sent, or its object as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else dumps(value)


def _tool_result(value: Any) -> str:
    """A tool's result as text: text kept as is, anything else as JSON."""
    text = text_of(value) if isinstance(value, list | str) else None
    if text is not None:
        return text
    return "" if value is None else dumps(value)


# Part types (each provider's spelling) that are the model's scratchpad, not its answer.
_THINKING = frozenset({"reasoning", "thinking", "redacted_thinking"})
_TEXT_TYPES = frozenset({None, "text", "output_text", "input_text"})
_MEDIA = frozenset({"image_url", "input_image", "image", "blob", "file", "uri", "input_file"})
_MEDIA_KEYS = (
    ("inlineData", "blob"), ("inline_data", "blob"), ("fileData", "file"),
    ("file_data", "file"), ("image", "image"), ("document", "file"),
)  # fmt: skip


def _part_text(part: dict[str, Any]) -> str | None:
    """One content part as text, or None when it is left out (thinking, reasoning).

    Parts come in each provider's spelling: OpenAI ``{"type": "text", "text"}``,
    Responses ``output_text`` / ``function_call`` items, Anthropic ``tool_use`` /
    ``tool_result`` / ``thinking`` blocks, Gemini ``{"text"}`` / ``{"functionCall"}`` /
    ``{"thought": true}`` parts, Bedrock Converse ``{"toolUse"}`` / ``{"reasoningContent"}``
    blocks, OpenTelemetry ``{"type": "tool_call" | "tool_call_response"}`` parts.
    """
    kind = part.get("type")
    if kind in _THINKING or part.get("thought") is True or "reasoningContent" in part:
        return None
    text = part.get("text", part.get("content"))
    if isinstance(text, str) and kind in _TEXT_TYPES:
        return text
    call = part.get("functionCall") or part.get("function_call") or part.get("toolUse")
    if isinstance(call, dict):  # Gemini, Bedrock
        return render_tool_call(
            call.get("name"), _arguments(first(call.get("args"), call.get("input")))
        )
    if kind in ("tool_call", "function_call", "tool_use"):
        function = _obj(part.get("function"))
        name = first(part.get("name"), function.get("name"))
        arguments = first(part.get("arguments"), part.get("input"), part.get("args"),
                          function.get("arguments"))  # fmt: skip
        return render_tool_call(name, _arguments(arguments))
    response = part.get("functionResponse") or part.get("function_response")
    if isinstance(response, dict):  # Gemini
        return _tool_result(response.get("response"))
    if isinstance(part.get("toolResult"), dict):  # Bedrock
        return _tool_result(part["toolResult"].get("content"))
    if kind in ("tool_call_response", "tool_result", "function_call_output"):
        for key in ("response", "result", "output", "content"):
            if part.get(key) is not None:
                return _tool_result(part[key])
        return "[tool result]"
    if kind == "message" and part.get("content") is not None:  # a Responses output item
        return text_of(part["content"])
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return str(part["refusal"])
    if kind in _MEDIA:
        return f"[{kind.removeprefix('input_')}]"
    for key, marker in _MEDIA_KEYS:
        if key in part:
            return f"[{marker}]"
    if isinstance(part.get("parts"), list):  # a Gemini Content used as a part list
        return text_of(part["parts"])
    if isinstance(text, str):
        return text
    return dumps(part)


def text_of(content: Any) -> str | None:
    """The text of a message content: a string, or a list of content parts.

    Non-text parts become a short marker, so the reviewer sees that something was
    there; tool calls show their name and arguments, tool results their text; the
    model's thinking is left out (it is not the answer under review).
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
        elif isinstance(part, dict):
            text = _part_text(part)
            if text is not None:
                texts.append(text)
        else:
            texts.append(dumps(part))
    return "\n".join(texts)


def _calls_text(calls: Any) -> str:
    """OpenAI / LangChain ``tool_calls`` (every one of them) as text."""
    if not isinstance(calls, list):
        return ""
    texts = []
    for call in calls:
        if not isinstance(call, dict):
            continue
        function = _obj(call.get("function"))
        name = first(function.get("name"), call.get("name"))
        arguments = first(function.get("arguments"), call.get("args"), call.get("arguments"))
        texts.append(render_tool_call(name, _arguments(arguments)))
    return "\n".join(texts)


_RESPONSES_TOOL_ITEMS = {"function_call": "assistant", "function_call_output": "tool"}


def message_of(value: Any) -> dict[str, str] | None:
    """One chat message as {"role", "content"}, from any tool's spelling, or None.

    Knows plain ``{"role", "content"}``, LangChain's ``{"type": "human", "content"}``
    and its serialised constructor form, OpenTelemetry's and Gemini's ``{"role",
    "parts"}`` and Responses API input items. Tool calls are kept in the content, with
    their arguments.
    """
    if not isinstance(value, dict):
        return None
    if value.get("lc") == 1 and isinstance(value.get("kwargs"), dict):
        ident = value.get("id")
        name = ident[-1] if isinstance(ident, list) and ident else None
        fields = value["kwargs"]
        role = role_of(name) or role_of(fields.get("type")) or role_of(fields.get("role"))
        content = fields.get("content")
    else:
        fields = value
        role = role_of(value.get("role")) or role_of(value.get("type"))
        content = value.get("content", value.get("parts", value.get("text")))
    if role is None and value.get("type") in _RESPONSES_TOOL_ITEMS:
        # Responses input items of a tool loop: the call, then its output.
        text = _part_text(value) or ""
        return {"role": _RESPONSES_TOOL_ITEMS[value["type"]], "content": text}
    if role is None:
        return None
    calls = fields.get("tool_calls") or dig(fields, "additional_kwargs", "tool_calls")
    text = text_of(content) or ""
    if not text and isinstance(fields.get("refusal"), str):
        text = fields["refusal"]
    called = _calls_text(calls)
    if called and called not in text:  # LangChain repeats tool_use blocks as tool_calls
        text = f"{text}\n{called}" if text else called
    return {"role": role, "content": text}


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


def _system_of(request: dict[str, Any]) -> str | None:
    """The system instruction of a provider request, in any provider's spelling."""
    config = _obj(request.get("config"))
    system = first(
        request.get("system"),  # Anthropic Messages, Bedrock Converse
        request.get("instructions"),  # OpenAI Responses
        request.get("system_instruction"),  # Gemini / Vertex (REST and SDK spellings)
        request.get("systemInstruction"),
        config.get("system_instruction"),  # the google-genai SDK (and ADK) config
        config.get("systemInstruction"),
    )
    text = text_of(system)
    return text or None


def _request_input(request: dict[str, Any]) -> list[dict[str, str]] | None:
    """A provider request (``{model, messages}``, ``{model, contents}``, ``{model, input}``)
    as chat messages, its system instruction first; None when it is not a request."""
    conversation = first(request.get("messages"), request.get("contents"))
    if conversation is None and ("model" in request or "instructions" in request):
        conversation = request.get("input")
    if conversation is None:
        return None
    if isinstance(conversation, str | dict):
        conversation = [conversation]
    if not isinstance(conversation, list):
        return None
    messages = messages_of(conversation)
    if messages is None:
        # Gemini takes plain strings and parts as contents: they are the user's turn.
        text = text_of(conversation)
        if not text:
            return None
        messages = [{"role": "user", "content": text}]
    system = _system_of(request)
    if system and not (messages and messages[0]["role"] == "system"):
        messages = [{"role": "system", "content": system}, *messages]
    return messages


def as_input(value: Any) -> str | list[dict[str, str]] | None:
    """What the model was given, as text or chat messages (None when there is nothing).

    A provider request object becomes its messages, with its system instruction as a
    leading system message (which the mapping makes the system prompt).
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    messages = messages_of(value)
    if messages is not None:
        return messages
    if isinstance(value, dict):
        request = _request_input(value)
        if request is not None:
            return request
        message = message_of(value)
        if message is not None:
            return [message]
        if len(value) == 1 or any(key in value for key in _INPUT_KEYS):
            for key in _INPUT_KEYS:
                if key in value:
                    return as_input(value[key])
    return dumps(value)


_OUTPUT_KEYS = ("content", "text", "output", "completion", "answer", "response", "generation")

NO_OUTPUT = frozenset({"None", "null", "undefined"})
"""What frameworks write for an answer they did not have: not an answer."""


def _is_response_output(value: dict[str, Any], output: Any) -> bool:
    """Whether `output` is an OpenAI Responses ``output`` list of typed items."""
    if not isinstance(output, list) or not all(isinstance(item, dict) for item in output):
        return False
    return value.get("object") == "response" or any("type" in item for item in output)


def _provider_answer(value: dict[str, Any]) -> str | None:
    """The answer text of a provider's response object, or None when it is not one.

    OpenAI Chat Completions (``choices``) and a lone choice (``{index, message}``);
    OpenAI Responses (``output`` items, tried before the ``text`` settings object);
    Gemini / Vertex (``candidates[0].content.parts``, never the HTTP envelope around
    it); Bedrock Converse (``output.message``); Anthropic Messages (``content`` blocks,
    read by message_of) and Message Batches results (``result.message``).
    """
    choices = value.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = choices[0]
        return as_output(first(choice.get("message"), choice.get("text"), choice.get("delta")))
    if isinstance(value.get("message"), dict) and role_of(value.get("role")) is None:
        return as_output(value["message"])  # a choice, a batch result, a gen_ai.choice body
    candidates = value.get("candidates")
    if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
        content = candidates[0].get("content")
        parts = content.get("parts") if isinstance(content, dict) else content
        return text_of(parts) or ""  # no content: blocked (finishReason SAFETY...)
    output = value.get("output")
    if _is_response_output(value, output):
        answer = text_of(output)
        if not answer and isinstance(value.get("output_text"), str):
            answer = value["output_text"]
        return answer or ""
    if isinstance(output, dict) and isinstance(output.get("message"), dict):
        return as_output(output["message"])  # Bedrock Converse
    if isinstance(value.get("result"), dict) and isinstance(value["result"].get("message"), dict):
        return as_output(value["result"]["message"])  # Anthropic Message Batches
    return None


def as_output(value: Any) -> str | None:
    """What the model answered, as text (None when there is no answer).

    Provider response objects give their answer text, tool calls shown with their
    arguments; the model's thinking is left out.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return None if value in NO_OUTPUT else value
    if isinstance(value, list):
        messages = messages_of(value)
        if messages is not None:
            answers = [m["content"] for m in messages if m["role"] == "assistant"]
            return answers[-1] if answers else messages[-1]["content"]
        return text_of(value)
    if isinstance(value, dict):
        answer = _provider_answer(value)
        if answer is not None:
            return answer
        message = message_of(value)
        if message is not None:
            return message["content"]
        for key in _OUTPUT_KEYS:
            inner = value.get(key)
            # Responses' ``text`` is a settings object ({format, verbosity}), not an answer.
            if inner is None or (key == "text" and not isinstance(inner, str)):
                continue
            return as_output(inner)
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
    if flat["output"].strip() == "":
        # An empty answer in production is a failure worth reviewing: it is kept,
        # marked so a queue or a filter can find it (see mapping.EMPTY_OUTPUT).
        flat["segments"] = {**(flat.get("segments") or {}), EMPTY_OUTPUT: True}
    inputs = flat["input"]
    if isinstance(inputs, list):
        # What the mapping keeps of a chat: a leading system turn becomes the system
        # prompt and a trailing assistant turn is dropped; something must remain.
        start = 1 if inputs[0]["role"] == "system" else 0
        end = len(inputs) - 1 if inputs[-1]["role"] == "assistant" else len(inputs)
        if start >= end:
            return Reject("the conversation has no user message before the answer")
    return {key: value for key, value in flat.items() if value is not None and value != {}}
