"""Langfuse exports: traces with their observations, and observation rows.

Two shapes of one data model, camelCase (public API, SDK ``fetch_traces``, the UI's
"Download JSON" and table exports) or snake_case (blob storage exports):

- a **trace** with ``observations`` (and ``scores``): every generation becomes a
  sample, with the trace's session, user and tags;
- an **observation** row (``type``, ``traceId``, ``startTime``...): a generation
  becomes a sample.

Other observation types (spans, events, tools, embeddings...) are skipped and counted.
Scores come along as segment fields named for their source, ``langfuse.<source>.<name>``
(``langfuse.annotation.correctness``, ``langfuse.eval.hallucination``); a user-feedback
score becomes the thumbs signal, and a corrected output (a CORRECTION score, or an entry of
the trace's or an observation's ``corrections``, its text in ``longStringValue``) lands in
``langfuse.correction``. Observation-level scores go to their generation; trace-level
scores to the trace's last generation, the one whose answer the user saw.
"""

from __future__ import annotations

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
    is_thumbs,
    label,
    scalar,
    stateless,
    thumbs,
    time_text,
)

_TYPES = frozenset(
    {"GENERATION", "SPAN", "EVENT", "AGENT", "TOOL", "CHAIN", "RETRIEVER", "EVALUATOR"}
    | {"EMBEDDING", "GUARDRAIL"}
)


def _get(record: dict[str, Any], camel: str, snake: str | None = None) -> Any:
    """A field in either spelling: the API's camelCase or the blob export's snake_case."""
    value = record.get(camel)
    if value is None and snake is not None:
        value = record.get(snake)
    return value


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


def _field(record: dict[str, Any], camel: str) -> Any:
    return _get(record, camel, _snake(camel))


def _is_trace(record: dict[str, Any]) -> bool:
    if isinstance(record.get("trace"), dict) and isinstance(record.get("observations"), list):
        return True  # the UI's single-trace download: {"trace": ..., "observations": ...}
    return (
        isinstance(record.get("observations"), list)
        and "id" in record
        and ("timestamp" in record or "htmlPath" in record)
    )


def _is_observation(record: dict[str, Any]) -> bool:
    return (
        record.get("type") in _TYPES
        and _field(record, "traceId") is not None
        and _field(record, "startTime") is not None
    )


def matches(record: dict[str, Any]) -> bool:
    return _is_trace(record) or _is_observation(record)


def flatten(record: dict[str, Any]) -> Items:
    if _is_observation(record):
        yield from _observation(record, {}, _corrections(record))
        return
    trace = record["trace"] if isinstance(record.get("trace"), dict) else record
    observations = record.get("observations") or trace.get("observations") or []
    if not all(isinstance(o, dict) for o in observations):
        raise ExportError(
            "the trace's observations are ids, not objects: export the trace with its "
            "observations (the API's GET /traces/{id}, or the UI's Download JSON)"
        )
    scores = [s for s in (record.get("scores") or trace.get("scores") or []) if isinstance(s, dict)]
    scores += _corrections(record) + (_corrections(trace) if trace is not record else [])
    for observation in observations:
        scores += [
            {**correction, "observationId": observation.get("id")}
            for correction in _corrections(observation)
        ]
    generations = sorted(
        (o for o in observations if o.get("type") == "GENERATION"),
        key=lambda o: str(_field(o, "startTime") or ""),
    )
    last_id = generations[-1].get("id") if generations else None
    for observation in observations:
        own = [s for s in scores if _field(s, "observationId") == observation.get("id")]
        if observation.get("id") == last_id:
            own += [s for s in scores if not _field(s, "observationId")]
        yield from _observation(observation, trace, own)


def _corrections(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A trace's or observation's ``corrections``: CORRECTION scores kept apart by Langfuse.

    Langfuse stores a corrected output as a score of data type CORRECTION whose text
    is in ``longStringValue`` (``long_string_value`` in blob exports; the scores API
    returns it as ``stringValue``), and lists them beside the scores, not among them.
    """
    found = record.get("corrections")
    if not isinstance(found, list):
        return []
    return [{**c, "dataType": "CORRECTION"} for c in found if isinstance(c, dict)]


def _observation(obs: dict[str, Any], trace: dict[str, Any], scores: list[dict[str, Any]]) -> Items:
    kind = obs.get("type")
    if kind != "GENERATION":
        yield Skip(f"{str(kind).lower()} observation")
        return
    output = _parsed(_field(obs, "output"))
    if output is None and _field(obs, "level") == "ERROR":
        message = _field(obs, "statusMessage") or "no message"
        yield Reject(f"generation {obs.get('id')} failed: {message}")
        return
    usage = _parsed(_field(obs, "usageDetails") or obs.get("usage")) or {}
    if not isinstance(usage, dict):
        usage = {}
    start, end = _field(obs, "startTime"), _field(obs, "endTime")
    latency = duration_ms(start, end)
    if latency is None and isinstance(obs.get("latency"), int | float):
        latency = float(obs["latency"]) * 1000.0  # the API's latency is in seconds
    segments: dict[str, Any] = {"source_tool": "langfuse"}
    add_segments(
        segments,
        "langfuse",
        {
            "trace_id": first(_field(obs, "traceId"), trace.get("id")),
            "trace_name": first(_field(obs, "traceName"), trace.get("name")),
            "observation_name": obs.get("name"),
            "environment": first(obs.get("environment"), trace.get("environment")),
            "user_id": first(_field(obs, "userId"), _field(trace, "userId")),
            "release": first(obs.get("release"), trace.get("release")),
            "tags": first(obs.get("tags"), trace.get("tags")) or None,
            "level": None if _field(obs, "level") in (None, "DEFAULT") else obs.get("level"),
            "cost_usd": _field(obs, "totalCost") or _get(_field(obs, "costDetails") or {}, "total"),
        },
    )
    flat: Flat = {
        "external_id": label(obs.get("id")),
        "captured_at": time_text(start),
        "model": label(first(obs.get("model"), _field(obs, "providedModelName"))),
        "prompt_name": label(_field(obs, "promptName")),
        "prompt_version": label(_field(obs, "promptVersion")),
        "session_id": label(first(_field(obs, "sessionId"), _field(trace, "sessionId"))),
        "input": as_input(_parsed(_field(obs, "input"))),
        "output": as_output(output),
        "latency_ms": latency,
        "tokens_in": count(
            first(_get(usage, "input"), _get(usage, "promptTokens", "prompt_tokens"))
        ),
        "tokens_out": count(
            first(_get(usage, "output"), _get(usage, "completionTokens", "completion_tokens"))
        ),
        "segments": segments,
    }
    _apply_scores(flat, segments, scores)
    yield checked(flat)


def _parsed(value: Any) -> Any:
    """Blob and CSV exports hold input/output as JSON text; parse it when it is JSON."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _apply_scores(flat: Flat, segments: dict[str, Any], scores: list[dict[str, Any]]) -> None:
    for score in scores:
        name = str(score.get("name") or "score")
        source = str(score.get("source") or "api").lower()
        data_type = _field(score, "dataType")
        value = score.get("value")
        text = _field(score, "stringValue")
        if data_type == "CORRECTION":
            correction = first(
                _field(score, "longStringValue"), text, value if isinstance(value, str) else None
            )
            if isinstance(correction, str) and correction:
                segments["langfuse.correction"] = correction
                author = _field(score, "authorUserId")
                if author:
                    segments["langfuse.correction.author"] = author
            continue
        if data_type == "BOOLEAN" and isinstance(value, int | float):
            value = bool(value)
        elif data_type == "CATEGORICAL" and text is not None:
            value = text
        key = f"langfuse.{source}.{name}"
        segments[key] = scalar(value)
        if score.get("comment"):
            segments[f"{key}.comment"] = score["comment"]
        author = _field(score, "authorUserId")
        if author:
            segments[f"{key}.author"] = author
        if is_thumbs(name) and flat.get("signal_thumbs") is None:
            flat["signal_thumbs"] = thumbs(value)


SHAPE = ToolShape(
    name="langfuse",
    label="a Langfuse export",
    matches=matches,
    prepare=stateless(flatten),
    fields=(
        "external_id", "captured_at", "model", "prompt_name", "prompt_version", "session_id",
        "input", "output", "latency_ms", "tokens_in", "tokens_out", "signal_thumbs", "segments",
    ),
)  # fmt: skip
