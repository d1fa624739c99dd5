"""Builders of realistic export files of the tools teams run, from their documented formats.

- Langfuse: the public API's trace with observations and scores (camelCase, as
  ``GET /api/public/traces/{id}`` and the UI's JSON export), and the blob storage
  export's observation rows (snake_case, input/output as JSON text).
- LangSmith: ``Run`` objects as ``client.list_runs`` returns them (LangChain-serialised
  messages, ``generations``, ``feedback_stats``, ``child_runs``).
- OpenTelemetry: OTLP/JSON ``ExportTraceServiceRequest`` lines (typed attribute values,
  int64 as strings, times in Unix nanoseconds) with GenAI semantic-convention attributes
  of several generations (v1.37 messages with parts, v1.27 content events, OpenLLMetry's
  indexed attributes).
- OpenAI Batch: input lines ``{custom_id, method, url, body}`` and output lines
  ``{id, custom_id, response: {status_code, request_id, body}, error}`` for Chat
  Completions and Responses bodies.
- Hugging Face: Anthropic HH-RLHF, UltraFeedback (raw and binarized), OpenAssistant
  oasst1 message rows and oasst trees.
"""

from __future__ import annotations

import json
from typing import Any

# Text that must survive the round trip exactly: right-to-left scripts with bidi marks,
# CJK, zero-width characters, a BOM inside the text, control characters, emoji.
TRICKY = (
    "مرحبا، أين طلبي؟ \u200f(رقم 42)\u200f "
    "שלום עולם "
    "注文はどこですか "
    "zero\u200bwidth\u200djoiner\u2060 "
    "bom\ufeffinside "
    "bell\x07 escape\x1b[0m tab\tcr\r "
    "👍🏽"
)
LONG_PROMPT = ("Résumé of the incident: " + "x" * 97 + "\n") * 820  # ~100 KB


def lf_generation(
    obs_id: str,
    trace_id: str,
    *,
    start: str = "2026-11-02T10:00:00.000Z",
    end: str = "2026-11-02T10:00:01.250Z",
    user: str = "Where is my parcel?",
    answer: str = "It left the depot this morning.",
    **extra: Any,
) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "id": obs_id,
        "traceId": trace_id,
        "type": "GENERATION",
        "name": "answer",
        "startTime": start,
        "endTime": end,
        "completionStartTime": start,
        "model": "gpt-4o-mini",
        "modelParameters": {"temperature": 0.2, "max_tokens": 500},
        "input": [
            {"role": "system", "content": "You are a support agent."},
            {"role": "user", "content": user},
        ],
        "output": {"role": "assistant", "content": answer},
        "usageDetails": {"input": 42, "output": 9, "total": 51},
        "costDetails": {"input": 0.0000063, "output": 0.0000054, "total": 0.0000117},
        "level": "DEFAULT",
        "statusMessage": None,
        "parentObservationId": "span-root",
        "promptId": "prm-1",
        "promptName": "support-answer",
        "promptVersion": 3,
        "metadata": {},
        "version": None,
        "latency": 1.25,
        "timeToFirstToken": 0.4,
    }
    observation.update(extra)
    return observation


def lf_trace(
    trace_id: str,
    generations: list[dict[str, Any]],
    *,
    scores: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A trace as the public API returns it: observations and scores as objects."""
    span = {
        "id": "span-root",
        "traceId": trace_id,
        "type": "SPAN",
        "name": "handle-request",
        "startTime": "2026-11-02T09:59:59.900Z",
        "endTime": "2026-11-02T10:00:03.000Z",
        "input": {"query": "Where is my parcel?"},
        "output": {"ok": True},
        "level": "DEFAULT",
        "parentObservationId": None,
    }
    event = {
        "id": f"event-{trace_id}",
        "traceId": trace_id,
        "type": "EVENT",
        "name": "cache-miss",
        "startTime": "2026-11-02T09:59:59.950Z",
        "level": "DEFAULT",
    }
    return {
        "id": trace_id,
        "timestamp": "2026-11-02T09:59:59.900Z",
        "name": "support-chat",
        "input": {"query": "Where is my parcel?"},
        "output": "It left the depot this morning.",
        "sessionId": "sess-77",
        "release": "2026.11.1",
        "version": None,
        "userId": "user-5",
        "metadata": {"plan": "pro"},
        "tags": ["prod", "eu"],
        "public": False,
        "environment": "production",
        "htmlPath": f"/project/p1/traces/{trace_id}",
        "latency": 3.1,
        "totalCost": 0.0000117,
        "observations": [span, event, *generations],
        "scores": scores or [],
    }


def lf_score(
    name: str,
    value: Any,
    *,
    source: str = "API",
    data_type: str = "NUMERIC",
    observation_id: str | None = None,
    string_value: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"score-{name}-{observation_id}",
        "traceId": "t",
        "observationId": observation_id,
        "name": name,
        "value": value,
        "stringValue": string_value,
        "dataType": data_type,
        "source": source,
        "comment": comment,
        "authorUserId": "reviewer-ana" if source == "ANNOTATION" else None,
        "timestamp": "2026-11-02T11:00:00.000Z",
    }


def lf_blob_observation(obs_id: str, kind: str = "GENERATION", **extra: Any) -> dict[str, Any]:
    """One row of the blob storage export (enriched observations): snake_case, JSON text."""
    row: dict[str, Any] = {
        "id": obs_id,
        "trace_id": "trace-b1",
        "project_id": "p1",
        "environment": "production",
        "type": kind,
        "parent_observation_id": None,
        "start_time": "2026-11-03 08:15:02.125000",
        "end_time": "2026-11-03 08:15:03.000000",
        "name": "summarise",
        "metadata": {},
        "level": "DEFAULT",
        "status_message": None,
        "version": None,
        "input": json.dumps([{"role": "user", "content": "Summarise: the train was late."}]),
        "output": json.dumps({"role": "assistant", "content": "Train delayed."}),
        "provided_model_name": "claude-sonnet-4",
        "model_parameters": json.dumps({"temperature": 0}),
        "usage_details": {"input": 12, "output": 3, "total": 15},
        "cost_details": {"total": 0.0001},
        "completion_start_time": "2026-11-03 08:15:02.500000",
        "prompt_name": "summary",
        "prompt_version": 7,
        "user_id": "u-9",
        "session_id": "s-9",
        "trace_name": "summaries",
        "tags": ["batch"],
        "release": None,
    }
    row.update(extra)
    return row


def _lc_message(kind: str, content: Any, **kwargs: Any) -> dict[str, Any]:
    return {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain", "schema", "messages", kind],
        "kwargs": {"content": content, "type": kind.removesuffix("Message").lower(), **kwargs},
    }


def ls_llm_run(run_id: str, *, user: str = "What is 2+2?", answer: str = "4.") -> dict[str, Any]:
    """A ChatOpenAI run as client.list_runs returns it."""
    return {
        "id": run_id,
        "name": "ChatOpenAI",
        "run_type": "llm",
        "start_time": "2026-11-04T12:00:00.000000",
        "end_time": "2026-11-04T12:00:00.850000",
        "extra": {
            "invocation_params": {"model": "gpt-4o", "model_name": "gpt-4o", "temperature": 0},
            "metadata": {
                "ls_provider": "openai",
                "ls_model_name": "gpt-4o",
                "ls_model_type": "chat",
                "thread_id": "thread-3",
                "lc_hub_repo": "acme/math-tutor",
                "lc_hub_commit_hash": "a1b2c3d4",
            },
        },
        "error": None,
        "serialized": None,
        "events": [{"name": "start", "time": "2026-11-04T12:00:00.000000"}],
        "inputs": {
            "messages": [
                [
                    _lc_message("SystemMessage", "You teach maths."),
                    _lc_message("HumanMessage", user),
                ]
            ]
        },
        "outputs": {
            "generations": [
                [
                    {
                        "text": answer,
                        "generation_info": {"finish_reason": "stop"},
                        "type": "ChatGeneration",
                        "message": _lc_message(
                            "AIMessage",
                            answer,
                            usage_metadata={"input_tokens": 20, "output_tokens": 2},
                        ),
                    }
                ]
            ],
            "llm_output": {
                "token_usage": {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22},
                "model_name": "gpt-4o-2024-08-06",
            },
            "run": None,
            "type": "LLMResult",
        },
        "reference_example_id": None,
        "parent_run_id": "chain-1",
        "tags": ["prod"],
        "session_id": "proj-1",
        "trace_id": "chain-1",
        "dotted_order": f"20261104T120000000000Zchain-1.20261104T120000000000Z{run_id}",
        "status": "success",
        "prompt_tokens": 20,
        "completion_tokens": 2,
        "total_tokens": 22,
        "first_token_time": None,
        "feedback_stats": {
            "correctness": {"n": 2, "avg": 1.0, "stdev": 0.0},
            "user_score": {"n": 1, "avg": 0.0},
        },
    }


def ls_chain_run(run_id: str, children: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": "RunnableSequence",
        "run_type": "chain",
        "start_time": "2026-11-04T12:00:00.000000",
        "end_time": "2026-11-04T12:00:01.000000",
        "inputs": {"question": "What is 2+2?"},
        "outputs": {"output": "4."},
        "trace_id": run_id,
        "child_runs": children,
    }


def ls_tool_run(run_id: str) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": "calculator",
        "run_type": "tool",
        "inputs": {"input": "2+2"},
        "outputs": {"output": "4"},
        "trace_id": "chain-1",
    }


def otel_value(value: Any) -> dict[str, Any]:
    """An OTLP/JSON AnyValue (int64 as a string, as the protobuf JSON mapping says)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [otel_value(v) for v in value]}}
    return {"stringValue": value}


def otel_attrs(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": otel_value(value)} for key, value in values.items()]


def otel_span(
    span_id: str,
    attributes: dict[str, Any],
    *,
    name: str = "chat gpt-4o",
    start_ns: int = 1_762_163_100_123_456_789,
    duration_ns: int = 912_345_678,
    events: list[dict[str, Any]] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "parentSpanId": "eee19b7ec3c1b173",
        "name": name,
        "kind": 3,  # SPAN_KIND_CLIENT
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + duration_ns),
        "attributes": otel_attrs(attributes),
        "events": events or [],
        "status": status or {},
    }


def otel_chat_attributes(
    user: str = "Where is my parcel?", answer: str = "On its way."
) -> dict[str, Any]:
    """The v1.37+ conventions: messages with parts, as JSON strings on the span."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.id": "chatcmpl-123",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 31,
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.conversation.id": "conv-1",
        "gen_ai.system_instructions": json.dumps(
            [{"type": "text", "content": "You are a support agent."}]
        ),
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": user}]}], ensure_ascii=False
        ),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": answer}],
                    "finish_reason": "stop",
                }
            ],
            ensure_ascii=False,
        ),
    }


def otlp_request(spans: list[dict[str, Any]], service: str = "support-bot") -> dict[str, Any]:
    """One ExportTraceServiceRequest, as the Collector's file exporter writes per line."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": otel_attrs({"service.name": service})},
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.openai_v2"},
                        "spans": spans,
                    }
                ],
            }
        ]
    }


def batch_chat_request(custom_id: str, user: str = "Translate 'cat' to French.") -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You translate."},
                {"role": "user", "content": user},
            ],
            "max_tokens": 100,
            "metadata": {"team": "i18n"},
        },
    }


def batch_chat_answer(custom_id: str, answer: str = "chat", *, n: int = 1) -> dict[str, Any]:
    return {
        "id": f"batch_req_{custom_id}_{n}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "request_id": f"req_{custom_id}",
            "body": {
                "id": "chatcmpl-abc",
                "object": "chat.completion",
                "created": 1_762_000_000,
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 22, "completion_tokens": 1, "total_tokens": 23},
                "system_fingerprint": "fp_1",
            },
        },
        "error": None,
    }


def batch_responses_request(custom_id: str) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/responses",
        "body": {
            "model": "gpt-4.1",
            "instructions": "Answer in one word.",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Capital of France?"}],
                }
            ],
        },
    }


def batch_responses_answer(custom_id: str) -> dict[str, Any]:
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "request_id": f"req_{custom_id}",
            "body": {
                "id": "resp_1",
                "object": "response",
                "created_at": 1_762_000_100,
                "status": "completed",
                "model": "gpt-4.1-2025-04-14",
                "output": [
                    {"type": "reasoning", "id": "rs_1", "summary": []},
                    {
                        "type": "message",
                        "id": "msg_1",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "Paris", "annotations": []}],
                    },
                ],
                "usage": {"input_tokens": 14, "output_tokens": 2, "total_tokens": 16},
            },
        },
        "error": None,
    }


def hh_pair(human: str, chosen: str, rejected: str) -> dict[str, str]:
    """Anthropic HH-RLHF: two transcripts sharing the conversation, differing in the end."""
    prefix = f"\n\nHuman: {human}\n\nAssistant: Sure, which one?\n\nHuman: The blue one."
    return {
        "chosen": f"{prefix}\n\nAssistant: {chosen}",
        "rejected": f"{prefix}\n\nAssistant: {rejected}",
    }


def ultrafeedback_binarized(prompt_id: str, prompt: str) -> dict[str, Any]:
    """HuggingFaceH4/ultrafeedback_binarized: message lists and scores."""
    return {
        "prompt": prompt,
        "prompt_id": prompt_id,
        "chosen": [
            {"content": prompt, "role": "user"},
            {"content": "A good, precise answer.", "role": "assistant"},
        ],
        "rejected": [
            {"content": prompt, "role": "user"},
            {"content": "A vague answer.", "role": "assistant"},
        ],
        "messages": [
            {"content": prompt, "role": "user"},
            {"content": "A good, precise answer.", "role": "assistant"},
        ],
        "score_chosen": 8.5,
        "score_rejected": 4.0,
    }


def ultrafeedback_raw() -> dict[str, Any]:
    """openbmb/UltraFeedback: one instruction, completions rated per aspect."""

    def completion(model: str, response: str, rating: str, overall: float) -> dict[str, Any]:
        return {
            "model": model,
            "principle": "helpfulness",
            "custom_system_prompt": "Be helpful and precise.",
            "response": response,
            "annotations": {
                "helpfulness": {"Rating": rating, "Rationale": "ok", "Type": ["1"]},
                "honesty": {"Rating": "N/A", "Rationale": "n/a"},
            },
            "critique": "Fine.",
            "overall_score": overall,
            "fine-grained_score": float(rating),
        }

    return {
        "source": "evol_instruct",
        "instruction": "Explain photosynthesis in one sentence.",
        "models": ["gpt-4", "llama-2-13b-chat"],
        "completions": [
            completion(
                "gpt-4", "Plants turn light, water and CO2 into sugar and oxygen.", "5", 9.0
            ),
            completion("llama-2-13b-chat", "It is a plant thing.", "2", 3.5),
        ],
        "correct_answers": ["None"],
        "incorrect_answers": ["None"],
    }


def oasst_row(
    message_id: str,
    parent_id: str | None,
    role: str,
    text: str,
    *,
    tree: str = "tree-1",
    rank: int | None = None,
    lang: str = "es",
) -> dict[str, Any]:
    """One oasst1 message row (the published Parquet/JSONL columns)."""
    return {
        "message_id": message_id,
        "parent_id": parent_id,
        "user_id": "u-" + message_id,
        "created_date": "2023-02-05T14:23:50.983374+00:00",
        "text": text,
        "role": role,
        "lang": lang,
        "review_count": 3,
        "review_result": True,
        "deleted": False,
        "rank": rank,
        "synthetic": False,
        "model_name": None,
        "detoxify": None,
        "message_tree_id": tree,
        "tree_state": "ready_for_export",
        "emojis": {"name": ["+1", "-1", "_skip_labeling"], "count": [4, 1, 2]},
        "labels": {
            "name": ["spam", "quality", "helpfulness"],
            "value": [0.0, 0.75, 0.8],
            "count": [3, 3, 3],
        },
    }
