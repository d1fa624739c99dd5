"""Outputs are the model's answer text, for every provider object wherever a trace puts it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import problems, samples, write_jsonl
from tests.ingest.provider_objects import (
    OUTPUTS,
    TIME_ARGS,
    WEATHER_ARGS,
    anthropic_request,
    gemini_request,
    openai_response,
    openai_response_function_calls,
    openai_tool_conversation,
    otel_tool_conversation,
    responses_request,
    vertex_request,
)
from tests.ingest.tool_exports import (
    batch_responses_request,
    lf_blob_observation,
    lf_generation,
    lf_trace,
    otel_chat_attributes,
    otel_span,
    otlp_request,
)

from redline.ingest.service import import_file
from redline.store.models import Sample


def _by_id(engine: Engine) -> dict[str, Sample]:
    return {sample.external_id: sample for sample in samples(engine)}


def _is_json_container(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict | list)
    except ValueError:
        return False


def _import_every_place(engine: Engine, tmp_path: Path) -> dict[str, tuple[str, bool]]:
    """Each provider object as a Langfuse generation output (API trace and blob row, as
    JSON text) and as an OpenTelemetry completion attribute; id -> (answer, is JSON)."""
    expected: dict[str, tuple[str, bool]] = {}
    generations, rows, spans = [], [], []
    for name, output, answer, is_json in OUTPUTS:
        generations.append(lf_generation(f"lf-{name}", "t1", output=output))
        rows.append(lf_blob_observation(f"blob-{name}", output=json.dumps(output)))
        attributes = otel_chat_attributes()
        del attributes["gen_ai.output.messages"]
        attributes["gen_ai.completion"] = json.dumps(output)
        spans.append(otel_span(f"otel-{name}", attributes))
        for place in ("lf", "blob", "otel"):
            expected[f"{place}-{name}"] = (answer, is_json)
    for path in (
        write_jsonl(tmp_path / "lf.jsonl", [lf_trace("t1", generations)]),
        write_jsonl(tmp_path / "blob.jsonl", rows),
        write_jsonl(tmp_path / "otel.jsonl", [otlp_request(spans)]),
    ):
        report = import_file(path, engine=engine)
        assert report.bad == 0, problems(engine)
    return expected


def test_every_provider_object_is_stored_as_its_answer_text(engine: Engine, tmp_path: Path) -> None:
    expected = _import_every_place(engine, tmp_path)
    got = _by_id(engine)
    assert sorted(got) == sorted(expected)
    assert {key: sample.output for key, sample in got.items()} == {
        key: answer for key, (answer, _) in expected.items()
    }


def test_no_stored_output_is_a_json_object_unless_the_answer_was_json(
    engine: Engine, tmp_path: Path
) -> None:
    expected = _import_every_place(engine, tmp_path)
    for sample in samples(engine):
        _, answer_is_json = expected[sample.external_id]
        assert _is_json_container(sample.output) == answer_is_json, sample.external_id
        # Neither envelopes nor scratchpads leak into the answer.
        for leak in ("sdk_http_response", "HTTPHeaders", "verbosity", "thought", "Easy."):
            assert leak not in sample.output, (sample.external_id, leak)


def test_responses_output_wins_over_the_text_settings_object(
    engine: Engine, tmp_path: Path
) -> None:
    body = openai_response("Paris.")
    assert body["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    path = write_jsonl(
        tmp_path / "lf.jsonl", [lf_trace("t1", [lf_generation("g", "t1", output=body)])]
    )
    import_file(path, engine=engine)
    [sample] = samples(engine)
    assert sample.output == "Paris."


def test_request_objects_become_messages_and_the_system_instruction_the_system_prompt(
    engine: Engine, tmp_path: Path
) -> None:
    generations = [
        lf_generation("gemini", "t1", input=gemini_request()),
        lf_generation("vertex", "t1", input=vertex_request()),
        lf_generation("anthropic", "t1", input=anthropic_request()),
        lf_generation("openai", "t1", input=openai_tool_conversation()),
        lf_generation("responses", "t1", input=responses_request()),
    ]
    attributes = otel_chat_attributes()
    attributes["gen_ai.input.messages"] = otel_tool_conversation()
    del attributes["gen_ai.system_instructions"]
    lf = write_jsonl(tmp_path / "lf.jsonl", [lf_trace("t1", generations)])
    otel = write_jsonl(tmp_path / "otel.jsonl", [otlp_request([otel_span("otel", attributes)])])
    for path in (lf, otel):
        assert import_file(path, engine=engine).bad == 0

    got = _by_id(engine)
    assert got["gemini"].system_prompt == "You are a terse geography tutor."
    assert got["gemini"].input_text == "What is the capital of France?"
    assert got["vertex"].system_prompt == "Réponds en français."
    assert got["vertex"].input_text == (
        "user: Salut !\n\nassistant: Bonjour !\n\nuser: Tu peux m'aider ?"
    )
    assert got["vertex"].input_messages == [
        {"role": "user", "content": "Salut !"},
        {"role": "assistant", "content": "Bonjour !"},
        {"role": "user", "content": "Tu peux m'aider ?"},
    ]
    # Tool calls keep their arguments, tool results their text.
    assert got["anthropic"].system_prompt == "You are a weather bot."
    assert got["anthropic"].input_text == (
        "user: Weather in Paris?\n\n"
        'assistant: [tool call: get_weather] {"city":"Paris"}\n\n'
        "user: 18°C, sunny"
    )
    assert got["openai"].system_prompt == "You are a weather bot."
    assert got["openai"].input_text == (
        "user: Weather in Paris?\n\n"
        f"assistant: [tool call: get_weather] {WEATHER_ARGS}\n\n"
        "tool: 18°C, sunny"
    )
    assert got["responses"].system_prompt == "You are a weather bot."
    assert got["responses"].input_text == (
        "user: Weather in Paris?\n\n"
        f"assistant: [tool call: get_weather] {WEATHER_ARGS}\n\n"
        "tool: 18°C, sunny"
    )
    assert got["otel"].input_text == (
        "user: Weather in Paris?\n\n"
        'assistant: [tool call: get_weather] {"city":"Paris"}\n\n'
        "tool: 18°C, sunny"
    )


def test_a_tool_call_only_batch_answer_is_a_sample_showing_both_calls(
    engine: Engine, tmp_path: Path
) -> None:
    answer = {
        "id": "batch_req_1",
        "custom_id": "c1",
        "response": {
            "status_code": 200,
            "request_id": "req_1",
            "body": openai_response_function_calls(),
        },
        "error": None,
    }
    requests = write_jsonl(tmp_path / "in.jsonl", [batch_responses_request("c1")])
    outputs = write_jsonl(tmp_path / "out.jsonl", [answer])
    report = import_file(outputs, engine=engine, companions=[requests])
    assert (report.imported, report.bad) == (1, 0)
    [sample] = samples(engine)
    assert sample.output == (
        f"[tool call: get_weather] {WEATHER_ARGS}\n[tool call: get_time] {TIME_ARGS}"
    )


@pytest.mark.parametrize("output", ["None", "null"])
def test_a_literal_none_output_is_not_an_answer(
    engine: Engine, tmp_path: Path, output: str
) -> None:
    path = write_jsonl(
        tmp_path / "lf.jsonl", [lf_trace("t1", [lf_generation("g", "t1", output=output)])]
    )
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (0, 1)
    assert problems(engine)[0][1].endswith("no output: the record carries no answer")


@pytest.mark.parametrize(
    "output",
    [
        "",
        {"role": "assistant", "content": ""},
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": ""}}]},
        {"candidates": [{"finishReason": "SAFETY", "index": 0}]},
    ],
)
def test_an_empty_answer_is_a_reviewable_sample_marked_empty_output(
    engine: Engine, tmp_path: Path, output: Any
) -> None:
    path = write_jsonl(
        tmp_path / "lf.jsonl", [lf_trace("t1", [lf_generation("g", "t1", output=output)])]
    )
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (1, 0)
    [sample] = samples(engine)
    assert sample.output == ""
    assert sample.input_text == "Where is my parcel?"
    assert sample.segments is not None
    assert sample.segments["empty_output"] is True
