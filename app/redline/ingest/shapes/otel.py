"""OpenTelemetry GenAI spans: OTLP/JSON lines, or one span per line as a flat object.

An OTLP/JSON line (what the Collector's file exporter writes, or an
``ExportTraceServiceRequest`` body) holds ``resourceSpans`` → ``scopeSpans`` →
``spans`` with typed attribute lists; a flat span (``ConsoleSpanExporter``-style JSON
on one line) holds ``attributes`` as an object. Inference spans (``chat``,
``text_completion``, ``generate_content``) become samples; embedding spans, tool and
agent spans, and spans with no ``gen_ai.*`` attribute at all are skipped and counted.

The semantic conventions changed over time; all of these are read:

- ``gen_ai.input.messages`` / ``gen_ai.output.messages`` / ``gen_ai.system_instructions``
  (v1.37+, messages with ``parts``), on the span or on a
  ``gen_ai.client.inference.operation.details`` event;
- ``gen_ai.prompt`` / ``gen_ai.completion`` on ``gen_ai.content.prompt`` /
  ``gen_ai.content.completion`` span events (v1.26-v1.27);
- indexed ``gen_ai.prompt.N.role`` / ``.content`` and ``gen_ai.completion.N.*``
  attributes (OpenLLMetry);
- ``gen_ai.provider.name`` or the older ``gen_ai.system``; ``gen_ai.usage.input_tokens``
  or the older ``gen_ai.usage.prompt_tokens``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from redline.ingest.shapes.common import (
    ExportError,
    Flat,
    Items,
    Reject,
    Skip,
    ToolShape,
    add_segments,
    as_input,
    as_output,
    checked,
    count,
    duration_ms,
    first,
    label,
    messages_of,
    nanos_time,
    stateless,
    text_of,
    time_text,
)

_INFERENCE = frozenset({"chat", "text_completion", "generate_content", "completion"})
_EMBEDDING = frozenset({"embeddings", "embedding"})
_INDEXED = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(role|content)$")
_ERROR = 2  # OTLP status code ERROR


def _is_flat_span(record: dict[str, Any]) -> bool:
    ids = isinstance(record.get("context"), dict) or any(
        key in record for key in ("span_id", "spanId")
    )
    return ids and "name" in record and isinstance(record.get("attributes"), dict | list)


def matches(record: dict[str, Any]) -> bool:
    return isinstance(record.get("resourceSpans"), list) or _is_flat_span(record)


def flatten(record: dict[str, Any]) -> Items:
    if _is_flat_span(record):
        resource = record.get("resource") or {}
        yield _span(record, _attributes(resource.get("attributes")))
        return
    for resource_spans in record["resourceSpans"]:
        if not isinstance(resource_spans, dict):
            raise ExportError("resourceSpans holds something that is not an object")
        resource = _attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope in resource_spans.get("scopeSpans") or resource_spans.get(
            "instrumentationLibrarySpans", []
        ):
            for span in (scope or {}).get("spans") or ():
                if isinstance(span, dict):
                    yield _span(span, resource)


def _attributes(value: Any) -> dict[str, Any]:
    """OTLP's [{"key", "value": {"stringValue": ...}}] (or a plain object) as a dict."""
    if isinstance(value, dict):
        return value
    found: dict[str, Any] = {}
    for item in value or ():
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            found[item["key"]] = _any_value(item.get("value"))
    return found


def _any_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])  # int64 travels as a JSON string in OTLP/JSON
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [_any_value(v) for v in (value["arrayValue"] or {}).get("values") or ()]
    if "kvlistValue" in value:
        return _attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _span(span: dict[str, Any], resource: dict[str, Any]) -> Flat | Skip | Reject:
    attrs = _attributes(span.get("attributes"))
    events = [
        (event.get("name"), _attributes(event.get("attributes")))
        for event in span.get("events") or ()
        if isinstance(event, dict)
    ]
    for name, event_attrs in events:
        if name == "gen_ai.client.inference.operation.details":
            attrs = {**event_attrs, **attrs}
    operation = first(attrs.get("gen_ai.operation.name"), attrs.get("llm.request.type"))
    if not any(key.startswith("gen_ai.") for key in attrs):
        return Skip("non-LLM span")
    if operation in _EMBEDDING:
        return Skip("embedding span")
    if operation is not None and operation not in _INFERENCE:
        return Skip(f"{operation} span")
    system, messages = _input(attrs, events)
    output = _output(attrs, events)
    status = span.get("status") or {}
    if output is None and status.get("code") in (_ERROR, "STATUS_CODE_ERROR", "ERROR"):
        return Reject(f"span {_span_id(span)} ended in an error: {status.get('message') or '?'}")
    context = span.get("context") or {}
    trace_id = first(span.get("traceId"), span.get("trace_id"), context.get("trace_id"))
    start = first(span.get("startTimeUnixNano"), span.get("start_time"))
    end = first(span.get("endTimeUnixNano"), span.get("end_time"))
    timed = "startTimeUnixNano" in span
    segments: dict[str, Any] = {"source_tool": "otel"}
    add_segments(
        segments,
        "otel",
        {
            "provider": first(attrs.get("gen_ai.provider.name"), attrs.get("gen_ai.system")),
            "operation": operation,
            "trace_id": trace_id,
            "span_name": span.get("name"),
            "service": resource.get("service.name"),
            "finish_reasons": attrs.get("gen_ai.response.finish_reasons"),
            "agent": attrs.get("gen_ai.agent.name"),
            "response_id": attrs.get("gen_ai.response.id"),
        },
    )
    return checked(
        {
            "external_id": _span_id(span),
            "captured_at": nanos_time(start) if timed else time_text(start),
            "model": label(
                first(attrs.get("gen_ai.response.model"), attrs.get("gen_ai.request.model"))
            ),
            "session_id": label(
                first(attrs.get("gen_ai.conversation.id"), attrs.get("session.id"))
            ),
            "system_prompt": system,
            "input": messages,
            "output": output,
            "latency_ms": _latency(start, end, timed),
            "tokens_in": count(
                first(
                    attrs.get("gen_ai.usage.input_tokens"), attrs.get("gen_ai.usage.prompt_tokens")
                )
            ),
            "tokens_out": count(
                first(
                    attrs.get("gen_ai.usage.output_tokens"),
                    attrs.get("gen_ai.usage.completion_tokens"),
                )
            ),
            "segments": segments,
        }
    )


def _span_id(span: dict[str, Any]) -> str | None:
    context = span.get("context") or {}
    return label(first(span.get("spanId"), span.get("span_id"), context.get("span_id")))


def _latency(start: Any, end: Any, nanos: bool) -> float | None:
    if not nanos:
        return duration_ms(start, end)
    try:
        delta = int(end) - int(start)
    except (TypeError, ValueError):
        return None
    return delta / 1e6 if delta >= 0 else None


def _json(value: Any) -> Any:
    """Structured attributes may be recorded as JSON strings (the spec allows both)."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _indexed(attrs: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """OpenLLMetry's gen_ai.prompt.0.role / gen_ai.prompt.0.content ... as messages."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        match = _INDEXED.match(key)
        if match and match.group(1) == kind:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = value
    return [found[i] for i in sorted(found)]


def _input(
    attrs: dict[str, Any], events: list[tuple[Any, dict[str, Any]]]
) -> tuple[str | None, str | list[dict[str, str]] | None]:
    system = text_of(_json(attrs.get("gen_ai.system_instructions")))
    raw = _json(attrs.get("gen_ai.input.messages"))
    if raw is None:
        for name, event_attrs in events:
            if name == "gen_ai.content.prompt":
                raw = _json(event_attrs.get("gen_ai.prompt"))
    if raw is None:
        raw = _indexed(attrs, "prompt") or _json(attrs.get("gen_ai.prompt"))
    messages = messages_of(raw) if isinstance(raw, list) else None
    return system, messages if messages is not None else as_input(raw)


def _output(attrs: dict[str, Any], events: list[tuple[Any, dict[str, Any]]]) -> str | None:
    raw = _json(attrs.get("gen_ai.output.messages"))
    if raw is None:
        for name, event_attrs in events:
            if name == "gen_ai.content.completion":
                raw = _json(event_attrs.get("gen_ai.completion"))
    if raw is None:
        raw = _indexed(attrs, "completion") or _json(attrs.get("gen_ai.completion"))
    if isinstance(raw, list) and raw:
        # One message per choice: the first choice is the answer under review.
        return as_output(raw[0]) if isinstance(raw[0], dict) else as_output(raw)
    return as_output(raw) if raw not in (None, []) else None


SHAPE = ToolShape(
    name="otel_genai",
    label="OpenTelemetry GenAI spans",
    matches=matches,
    prepare=stateless(flatten),
    fields=(
        "external_id", "captured_at", "model", "session_id", "system_prompt", "input",
        "output", "latency_ms", "tokens_in", "tokens_out", "segments",
    ),
)  # fmt: skip
