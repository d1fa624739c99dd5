"""LangSmith run exports (``client.list_runs`` / the runs API, one run per line).

Runs of type ``llm`` become samples; chain, tool, retriever, prompt, parser and
embedding runs are skipped and counted. A run exported with its ``child_runs`` (a run
tree) is walked, so the llm runs inside a chain are found. Inputs and outputs come in
LangChain's shapes (serialised messages, ``generations``) or the OpenAI wrapper's
(``messages`` / ``choices``). Feedback comes along as segment fields named for it,
``langsmith.feedback.<key>`` (the average of ``feedback_stats``, or the score of an
inline ``feedback`` list); a user-feedback key becomes the thumbs signal, a feedback
correction lands in ``langsmith.correction``.
"""

from __future__ import annotations

from typing import Any

from redline.ingest.shapes.common import (
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
    dig,
    duration_ms,
    first,
    is_thumbs,
    label,
    scalar,
    stateless,
    thumbs,
    time_text,
)

_RUN_TYPES = frozenset({"llm", "chain", "tool", "retriever", "embedding", "prompt", "parser"})


def matches(record: dict[str, Any]) -> bool:
    return record.get("run_type") in _RUN_TYPES and ("inputs" in record or "outputs" in record)


def flatten(run: dict[str, Any]) -> Items:
    if run.get("run_type") != "llm":
        yield Skip(f"{run.get('run_type')} run")
    else:
        yield _llm_run(run)
    for child in run.get("child_runs") or ():
        if isinstance(child, dict) and matches(child):
            yield from flatten(child)


def _llm_run(run: dict[str, Any]) -> Flat | Reject:
    inputs = run.get("inputs") or {}
    outputs = run.get("outputs")
    if not outputs and run.get("error"):
        return Reject(f"run {run.get('id')} failed: {str(run['error']).splitlines()[0]}")
    extra = run.get("extra") or {}
    metadata = extra.get("metadata") or {}
    params = extra.get("invocation_params") or {}
    usage = dig(outputs, "llm_output", "token_usage") or dig(outputs, "usage") or {}
    message = dig(outputs, "generations", 0, 0, "message")
    usage_metadata = dig(message, "kwargs", "usage_metadata") or {}
    segments: dict[str, Any] = {"source_tool": "langsmith"}
    add_segments(
        segments,
        "langsmith",
        {
            "trace_id": run.get("trace_id"),
            "run_name": run.get("name"),
            "project": first(run.get("session_name"), run.get("session_id")),
            "provider": metadata.get("ls_provider"),
            "tags": run.get("tags") or None,
        },
    )
    flat: Flat = {
        "external_id": label(run.get("id")),
        "captured_at": time_text(run.get("start_time")),
        "model": label(
            first(
                metadata.get("ls_model_name"),
                params.get("model"),
                params.get("model_name"),
                dig(outputs, "llm_output", "model_name"),
                dig(outputs, "model"),
                inputs.get("model") if isinstance(inputs, dict) else None,
            )
        ),
        "prompt_name": label(metadata.get("lc_hub_repo")),
        "prompt_version": label(metadata.get("lc_hub_commit_hash")),
        "session_id": label(
            first(
                metadata.get("thread_id"),
                metadata.get("session_id"),
                metadata.get("conversation_id"),
            )
        ),
        "input": _input(inputs),
        "output": _output(outputs),
        "latency_ms": duration_ms(run.get("start_time"), run.get("end_time")),
        "tokens_in": count(
            first(
                run.get("prompt_tokens"),
                usage.get("prompt_tokens"),
                usage.get("input_tokens"),
                usage_metadata.get("input_tokens"),
            )
        ),
        "tokens_out": count(
            first(
                run.get("completion_tokens"),
                usage.get("completion_tokens"),
                usage.get("output_tokens"),
                usage_metadata.get("output_tokens"),
            )
        ),
        "segments": segments,
    }
    _apply_feedback(flat, segments, run)
    return checked(flat)


def _input(inputs: Any) -> Any:
    if isinstance(inputs, dict):
        prompts = inputs.get("prompts")
        if isinstance(prompts, list) and prompts and isinstance(prompts[0], str):
            return prompts[0]  # a completion model's run: one prompt per generation
    return as_input(inputs)


def _output(outputs: Any) -> str | None:
    if not isinstance(outputs, dict):
        return as_output(outputs)
    generation = dig(outputs, "generations", 0, 0)
    if isinstance(generation, dict):
        message = as_output(generation.get("message")) if generation.get("message") else None
        text: str | None = first(message, generation.get("text"))
        return text
    return as_output(outputs)


def _apply_feedback(flat: Flat, segments: dict[str, Any], run: dict[str, Any]) -> None:
    for key, stats in (run.get("feedback_stats") or {}).items():
        value = stats.get("avg") if isinstance(stats, dict) else stats
        if value is None and isinstance(stats, dict):
            value = next(iter(stats.get("values") or {}), None)  # categorical feedback
        segments[f"langsmith.feedback.{key}"] = scalar(value)
        if isinstance(stats, dict) and stats.get("n"):
            segments[f"langsmith.feedback.{key}.n"] = stats["n"]
        if is_thumbs(str(key)) and flat.get("signal_thumbs") is None:
            flat["signal_thumbs"] = thumbs(value)
    for feedback in run.get("feedback") or ():
        if not isinstance(feedback, dict):
            continue
        key = str(feedback.get("key") or "feedback")
        value = first(feedback.get("score"), feedback.get("value"))
        segments[f"langsmith.feedback.{key}"] = scalar(value)
        if feedback.get("comment"):
            segments[f"langsmith.feedback.{key}.comment"] = feedback["comment"]
        source = dig(feedback, "feedback_source", "type")
        if source:
            segments[f"langsmith.feedback.{key}.source"] = source
        correction = feedback.get("correction")
        if correction is not None:
            segments["langsmith.correction"] = as_output(correction)
        if is_thumbs(key) and flat.get("signal_thumbs") is None:
            flat["signal_thumbs"] = thumbs(value)


SHAPE = ToolShape(
    name="langsmith",
    label="a LangSmith run export",
    matches=matches,
    prepare=stateless(flatten),
    fields=(
        "external_id", "captured_at", "model", "prompt_name", "prompt_version", "session_id",
        "input", "output", "latency_ms", "tokens_in", "tokens_out", "signal_thumbs", "segments",
    ),
)  # fmt: skip
