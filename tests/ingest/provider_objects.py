"""Providers' own response and request objects, as their APIs and SDKs publish them.

Written from each provider's documented format, the way a tracing tool stores them
(a Langfuse generation's ``output``, an OpenTelemetry attribute, a batch output line):

- OpenAI Chat Completions: ``chat.completion`` objects (``choices[].message`` with
  ``content`` or ``tool_calls``) and a lone choice ``{index, message, finish_reason}``;
- OpenAI Responses: ``response`` objects whose ``output`` holds typed items
  (``reasoning``, ``message`` with ``output_text`` parts, ``function_call``), beside
  the ``text: {format, verbosity}`` settings object;
- Anthropic Messages: ``message`` objects with ``thinking``, ``text`` and ``tool_use``
  content blocks;
- Gemini (google-genai SDK ``model_dump``, snake_case, with ``sdk_http_response``
  headers) and Vertex AI REST (camelCase): ``candidates[].content.parts[]`` with
  ``text``, ``thought`` and ``functionCall`` parts; requests ``{model, contents,
  config.system_instruction}`` / ``{contents, systemInstruction}``;
- Bedrock Converse: ``output.message.content[]`` blocks (``text``, ``toolUse``,
  ``reasoningContent``) under the boto3 ``ResponseMetadata`` envelope.

Each builder returns (object, answer text the reviewer must see).
"""

from __future__ import annotations

import json
from typing import Any

WEATHER_ARGS = '{"city": "Paris", "unit": "celsius"}'
TIME_ARGS = '{"timezone": "Europe/Paris"}'


def openai_chat(answer: str = "It is sunny in Paris.") -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4.1-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": answer,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29},
        "service_tier": "default",
    }


def openai_chat_tool_calls() -> dict[str, Any]:
    """A tool-call-only answer with two parallel calls (content is null)."""
    body = openai_chat()
    body["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": WEATHER_ARGS},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "get_time", "arguments": TIME_ARGS},
            },
        ],
    }
    body["choices"][0]["finish_reason"] = "tool_calls"
    return body


def openai_choice(answer: str = "Bonjour !") -> dict[str, Any]:
    """One choice on its own (what some integrations log as the output)."""
    return {
        "index": 0,
        "message": {"role": "assistant", "content": answer},
        "finish_reason": "stop",
    }


def openai_response(answer: str = "The capital of France is Paris.") -> dict[str, Any]:
    return {
        "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
        "object": "response",
        "created_at": 1_741_476_542,
        "status": "completed",
        "error": None,
        "instructions": None,
        "model": "gpt-5-2025-08-07",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [], "content": None},
            {
                "type": "message",
                "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e6",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer, "annotations": []}],
            },
        ],
        "parallel_tool_calls": True,
        "reasoning": {"effort": "medium", "summary": None},
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 36,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 87,
            "output_tokens_details": {"reasoning_tokens": 64},
            "total_tokens": 123,
        },
    }


def openai_response_function_calls() -> dict[str, Any]:
    body = openai_response()
    body["output"] = [
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_a",
            "name": "get_weather",
            "arguments": WEATHER_ARGS,
            "status": "completed",
        },
        {
            "type": "function_call",
            "id": "fc_2",
            "call_id": "call_b",
            "name": "get_time",
            "arguments": TIME_ARGS,
            "status": "completed",
        },
    ]
    return body


def anthropic_message(answer: str = "Paris is the capital of France.") -> dict[str, Any]:
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {
                "type": "thinking",
                "thinking": "The user asks for the capital; that is Paris.",
                "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
            },
            {"type": "text", "text": answer},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 21, "output_tokens": 305},
    }


def anthropic_tool_use() -> dict[str, Any]:
    message = anthropic_message()
    message["content"] = [
        {"type": "text", "text": "Let me check the weather."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"city": "Paris", "unit": "celsius"},
        },
    ]
    message["stop_reason"] = "tool_use"
    return message


def gemini_sdk_response(answer: str = "Paris.") -> dict[str, Any]:
    """google-genai's GenerateContentResponse.model_dump(mode="json")."""
    return {
        "sdk_http_response": {
            "headers": {
                "content-type": "application/json; charset=UTF-8",
                "vary": "Origin, X-Origin, Referer",
                "server": "scaffolding on HTTPServer2",
                "x-xss-protection": "0",
            },
            "body": None,
        },
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "The question is about geography.", "thought": True},
                        {"text": answer},
                    ],
                    "role": "model",
                },
                "finish_reason": "STOP",
                "index": 0,
                "avg_logprobs": None,
            }
        ],
        "create_time": None,
        "response_id": "8kE9aKfJBqWz",
        "model_version": "gemini-2.5-flash",
        "prompt_feedback": None,
        "usage_metadata": {
            "prompt_token_count": 8,
            "candidates_token_count": 2,
            "thoughts_token_count": 24,
            "total_token_count": 34,
        },
        "automatic_function_calling_history": [],
        "parsed": None,
    }


def gemini_sdk_function_call() -> dict[str, Any]:
    body = gemini_sdk_response()
    body["candidates"][0]["content"]["parts"] = [
        {"function_call": {"id": None, "name": "get_weather", "args": {"city": "Paris"}}}
    ]
    return body


def vertex_response(answer: str = "Bonjour, comment puis-je vous aider ?") -> dict[str, Any]:
    """Vertex AI generateContent REST response (camelCase)."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": answer}]},
                "finishReason": "STOP",
                "safetyRatings": [
                    {
                        "category": "HARM_CATEGORY_HATE_SPEECH",
                        "probability": "NEGLIGIBLE",
                        "probabilityScore": 0.06,
                    }
                ],
                "avgLogprobs": -0.12,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 9,
            "totalTokenCount": 21,
        },
        "modelVersion": "gemini-2.0-flash-001",
        "createTime": "2026-11-02T10:00:00.123456Z",
        "responseId": "abc123",
    }


def bedrock_converse(answer: str = "Lisbon is the capital of Portugal.") -> dict[str, Any]:
    return {
        "ResponseMetadata": {
            "RequestId": "5d7d8e1c-0b8b-4c4e-9a52-0f3b2f0ab0a1",
            "HTTPStatusCode": 200,
            "HTTPHeaders": {
                "date": "Mon, 02 Nov 2026 10:00:00 GMT",
                "content-type": "application/json",
                "x-amzn-requestid": "5d7d8e1c-0b8b-4c4e-9a52-0f3b2f0ab0a1",
            },
            "RetryAttempts": 0,
        },
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Easy.", "signature": "s"}}},
                    {"text": answer},
                ],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 15, "outputTokens": 9, "totalTokens": 24},
        "metrics": {"latencyMs": 412},
    }


def bedrock_tool_use() -> dict[str, Any]:
    body = bedrock_converse()
    body["output"]["message"]["content"] = [
        {
            "toolUse": {
                "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                "name": "top_song",
                "input": {"sign": "WZPZ"},
            }
        }
    ]
    body["stopReason"] = "tool_use"
    return body


def json_answer() -> dict[str, Any]:
    """A chat completion whose answer is itself JSON (structured output)."""
    return openai_chat('{"sentiment": "positive", "confidence": 0.93}')


# (name, output object, the answer text the sample must hold, whether it is JSON)
OUTPUTS: list[tuple[str, Any, str, bool]] = [
    ("openai-chat", openai_chat(), "It is sunny in Paris.", False),
    (
        "openai-chat-tools",
        openai_chat_tool_calls(),
        f"[tool call: get_weather] {WEATHER_ARGS}\n[tool call: get_time] {TIME_ARGS}",
        False,
    ),
    ("openai-choice", openai_choice(), "Bonjour !", False),
    ("openai-responses", openai_response(), "The capital of France is Paris.", False),
    (
        "openai-responses-tools",
        openai_response_function_calls(),
        f"[tool call: get_weather] {WEATHER_ARGS}\n[tool call: get_time] {TIME_ARGS}",
        False,
    ),
    ("anthropic", anthropic_message(), "Paris is the capital of France.", False),
    (
        "anthropic-tools",
        anthropic_tool_use(),
        'Let me check the weather.\n[tool call: get_weather] {"city":"Paris","unit":"celsius"}',
        False,
    ),
    ("gemini-sdk", gemini_sdk_response(), "Paris.", False),
    (
        "gemini-sdk-call",
        gemini_sdk_function_call(),
        '[tool call: get_weather] {"city":"Paris"}',
        False,
    ),
    ("vertex", vertex_response(), "Bonjour, comment puis-je vous aider ?", False),
    ("bedrock", bedrock_converse(), "Lisbon is the capital of Portugal.", False),
    ("bedrock-tools", bedrock_tool_use(), '[tool call: top_song] {"sign":"WZPZ"}', False),
    ("json-answer", json_answer(), '{"sentiment": "positive", "confidence": 0.93}', True),
]


def gemini_request() -> dict[str, Any]:
    """What the google-genai SDK (and ADK) is called with, as tracers record it."""
    return {
        "model": "gemini-2.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "What is the capital of France?"}]}],
        "config": {
            "system_instruction": "You are a terse geography tutor.",
            "temperature": 0.1,
            "tools": [],
        },
    }


def vertex_request() -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "Salut !"}]},
            {"role": "model", "parts": [{"text": "Bonjour !"}]},
            {"role": "user", "parts": [{"text": "Tu peux m'aider ?"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Réponds en français."}]},
        "generationConfig": {"temperature": 0.2},
    }


def anthropic_request() -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "You are a weather bot."}],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18°C, sunny"}
                ],
            },
        ],
    }


def openai_tool_conversation() -> list[dict[str, Any]]:
    """Chat Completions messages with a tool call and its result (a ``tool`` message)."""
    return [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": WEATHER_ARGS},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18°C, sunny"},
    ]


def otel_tool_conversation() -> str:
    """gen_ai.input.messages (v1.37) with a tool call and a tool_call_response part."""
    return json.dumps(
        [
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool_call",
                        "id": "call_1",
                        "name": "get_weather",
                        "arguments": {"city": "Paris"},
                    },
                ],
            },
            {
                "role": "tool",
                "parts": [{"type": "tool_call_response", "id": "call_1", "result": "18°C, sunny"}],
            },
        ]
    )


def responses_request() -> dict[str, Any]:
    """A Responses API request in a tool loop: the call and its output as input items."""
    return {
        "model": "gpt-5",
        "instructions": "You are a weather bot.",
        "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "type": "function_call",
                "call_id": "call_a",
                "name": "get_weather",
                "arguments": WEATHER_ARGS,
            },
            {"type": "function_call_output", "call_id": "call_a", "output": "18°C, sunny"},
        ],
        "text": {"format": {"type": "text"}, "verbosity": "low"},
    }
