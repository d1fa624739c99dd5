"""Tool exports import with no mapping: recognised by content, fields checked one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import batches, problems, samples, write_jsonl, write_parquet
from tests.ingest.tool_exports import (
    batch_chat_answer,
    batch_chat_request,
    batch_responses_answer,
    batch_responses_request,
    hh_pair,
    lf_blob_observation,
    lf_generation,
    lf_score,
    lf_trace,
    ls_chain_run,
    ls_llm_run,
    ls_tool_run,
    oasst_row,
    otel_chat_attributes,
    otel_span,
    otlp_request,
    ultrafeedback_binarized,
    ultrafeedback_raw,
)

from redline.errors import RedlineError
from redline.ingest.service import import_file
from redline.ingest.types import SamplingRule
from redline.store.models import Sample


def _by_id(engine: Engine) -> dict[str, Sample]:
    return {sample.external_id: sample for sample in samples(engine)}


# --------------------------------------------------------------------------- Langfuse


def test_langfuse_traces_become_one_sample_per_generation_with_scores(
    engine: Engine, tmp_path: Path
) -> None:
    first = lf_generation("gen-1", "t1", user="Where is my parcel?", answer="Checking.")
    second = lf_generation(
        "gen-2",
        "t1",
        start="2026-11-02T10:00:02.000Z",
        end="2026-11-02T10:00:02.500Z",
        answer="It left the depot this morning.",
    )
    scores = [
        lf_score("user-feedback", 0, data_type="BOOLEAN"),  # trace level: the last answer
        lf_score("correctness", 0.5, source="ANNOTATION", observation_id="gen-1", comment="meh"),
        lf_score(
            "correction",
            None,
            source="ANNOTATION",
            data_type="CORRECTION",
            observation_id="gen-2",
            string_value="It left the Leeds depot at 07:10.",
        ),
    ]
    other = lf_generation("gen-3", "t2", usageDetails={"input": 5, "output": 1})
    path = write_jsonl(tmp_path / "langfuse.jsonl", [lf_trace("t1", [first, second], scores=scores),
                                                      lf_trace("t2", [other])])  # fmt: skip

    report = import_file(path, engine=engine)

    assert report.shape == "langfuse"
    assert (report.imported, report.bad) == (3, 0)
    assert "skipped (not samples): 2 event observations, 2 span observations" in report.message
    got = _by_id(engine)
    one, two = got["gen-1"], got["gen-2"]
    assert one.model == "gpt-4o-mini"
    assert (one.prompt_name, one.prompt_version) == ("support-answer", "3")
    assert one.session_id == "sess-77"
    assert one.system_prompt == "You are a support agent."
    assert one.input_text == "Where is my parcel?"
    assert one.output == "Checking."
    assert one.captured_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert one.latency_ms == pytest.approx(1250.0)
    assert (one.tokens_in, one.tokens_out) == (42, 9)
    assert one.segments is not None
    assert one.segments["source_tool"] == "langfuse"
    assert one.segments["langfuse.trace_id"] == "t1"
    assert one.segments["langfuse.tags"] == "prod,eu"
    assert one.segments["langfuse.annotation.correctness"] == 0.5
    assert one.segments["langfuse.annotation.correctness.comment"] == "meh"
    assert one.segments["langfuse.annotation.correctness.author"] == "reviewer-ana"
    assert one.signal_thumbs is None
    # The trace-level user feedback belongs to the answer the user saw last.
    assert two.signal_thumbs == -1
    assert two.segments is not None
    assert two.segments["langfuse.api.user-feedback"] is False
    assert two.segments["langfuse.correction"] == "It left the Leeds depot at 07:10."
    assert two.latency_ms == pytest.approx(500.0)
    assert (got["gen-3"].tokens_in, got["gen-3"].tokens_out) == (5, 1)


def test_langfuse_blob_export_rows_parse_json_text_and_skip_other_types(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        lf_blob_observation("o1"),
        lf_blob_observation("o2", "SPAN"),
        lf_blob_observation("o3", "EMBEDDING"),
        lf_blob_observation("o4", output=None, level="ERROR", status_message="rate limited"),
    ]
    report = import_file(write_jsonl(tmp_path / "observations.jsonl", rows), engine=engine)

    assert report.shape == "langfuse"
    assert (report.imported, report.bad) == (1, 1)
    assert problems(engine) == [(4, "generation o4 failed: rate limited")]
    assert "1 embedding observation, 1 span observation" in report.message
    [sample] = samples(engine)
    assert (sample.input_text, sample.output) == (
        "Summarise: the train was late.",
        "Train delayed.",
    )
    assert (sample.model, sample.prompt_name, sample.prompt_version) == (
        "claude-sonnet-4",
        "summary",
        "7",
    )
    assert sample.session_id == "s-9"
    assert sample.captured_at == datetime(2026, 11, 3, 8, 15, 2, 125000, tzinfo=UTC)
    assert sample.latency_ms == pytest.approx(875.0)


# --------------------------------------------------------------------------- LangSmith


def test_langsmith_llm_runs_are_samples_found_inside_run_trees(
    engine: Engine, tmp_path: Path
) -> None:
    failed = ls_llm_run("run-3") | {"outputs": None, "error": "RateLimitError: 429\nTraceback"}
    runs = [
        ls_chain_run("chain-1", [ls_llm_run("run-1"), ls_tool_run("tool-1")]),
        ls_llm_run("run-2", user="Wie spät ist es?", answer="Es ist zwölf."),
        ls_tool_run("tool-2"),
        failed,
    ]
    report = import_file(write_jsonl(tmp_path / "runs.jsonl", runs), engine=engine)

    assert report.shape == "langsmith"
    assert (report.imported, report.bad) == (2, 1)
    assert problems(engine) == [(4, "run run-3 failed: RateLimitError: 429")]
    assert "1 chain run, 2 tool runs" in report.message
    got = _by_id(engine)
    run = got["run-1"]
    assert run.system_prompt == "You teach maths."
    assert (run.input_text, run.output) == ("What is 2+2?", "4.")
    assert run.model == "gpt-4o"
    assert (run.prompt_name, run.prompt_version) == ("acme/math-tutor", "a1b2c3d4")
    assert run.session_id == "thread-3"
    assert (run.tokens_in, run.tokens_out) == (20, 2)
    assert run.latency_ms == pytest.approx(850.0)
    assert run.captured_at == datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    assert run.segments is not None
    assert run.segments["langsmith.feedback.correctness"] == 1.0
    assert run.segments["langsmith.feedback.correctness.n"] == 2
    assert run.signal_thumbs == -1  # user_score averaged 0
    assert got["run-2"].language == "de"


# --------------------------------------------------------------------------- OpenTelemetry


def test_otel_genai_spans_of_every_convention_and_skipped_spans_are_counted(
    engine: Engine, tmp_path: Path
) -> None:
    legacy_events = otel_span(
        "b000000000000002",
        {"gen_ai.system": "anthropic", "gen_ai.request.model": "claude-3-5-sonnet",
         "gen_ai.operation.name": "chat", "gen_ai.usage.prompt_tokens": 11,
         "gen_ai.usage.completion_tokens": 3},
        events=[
            {"name": "gen_ai.content.prompt", "timeUnixNano": "1",
             "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue":
                 '[{"role": "user", "content": "Bonjour, où est ma commande ?"}]'}}]},
            {"name": "gen_ai.content.completion", "timeUnixNano": "2",
             "attributes": [{"key": "gen_ai.completion", "value": {"stringValue":
                 '[{"role": "assistant", "content": "Elle arrive demain."}]'}}]},
        ],
    )  # fmt: skip
    openllmetry = otel_span(
        "b000000000000003",
        {"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4",
         "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
         "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Hi",
         "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Hello!"},
    )  # fmt: skip
    skipped = [
        otel_span("e1", {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "te-3"}),
        otel_span("h1", {"http.request.method": "GET", "url.full": "https://x"}, name="GET"),
        otel_span("x1", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}),
    ]
    failed = otel_span(
        "f1",
        {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
        status={"code": 2, "message": "timeout"},
    )
    lines = [
        otlp_request([otel_span("b000000000000001", otel_chat_attributes()), *skipped]),
        otlp_request([legacy_events, openllmetry, failed]),
    ]
    report = import_file(write_jsonl(tmp_path / "spans.jsonl", lines), engine=engine)

    assert report.shape == "otel_genai"
    assert (report.imported, report.bad) == (3, 1)
    assert problems(engine) == [(2, "span f1 ended in an error: timeout")]
    assert "1 embedding span, 1 execute_tool span, 1 non-LLM span" in report.message, report.message
    got = _by_id(engine)
    new = got["b000000000000001"]
    assert new.system_prompt == "You are a support agent."
    assert (new.input_text, new.output) == ("Where is my parcel?", "On its way.")
    assert new.model == "gpt-4o-2024-08-06"
    assert (new.tokens_in, new.tokens_out) == (31, 4)
    assert new.session_id == "conv-1"
    # Nanosecond times, to the microsecond; latency from the two ends.
    assert new.captured_at == datetime(2025, 11, 3, 9, 45, 0, 123456, tzinfo=UTC)
    assert new.latency_ms == pytest.approx(912.345678)
    assert new.segments is not None
    assert new.segments["otel.provider"] == "openai"
    assert new.segments["otel.service"] == "support-bot"
    assert new.segments["otel.finish_reasons"] == "stop"
    old = got["b000000000000002"]
    assert (old.input_text, old.output, old.model) == (
        "Bonjour, où est ma commande ?",
        "Elle arrive demain.",
        "claude-3-5-sonnet",
    )
    assert (old.tokens_in, old.tokens_out) == (11, 3)
    indexed = got["b000000000000003"]
    assert (indexed.system_prompt, indexed.input_text, indexed.output) == (
        "Be brief.",
        "Hi",
        "Hello!",
    )


def test_otel_flat_span_json_lines(engine: Engine, tmp_path: Path) -> None:
    span: dict[str, Any] = {
        "name": "chat gpt-4o-mini",
        "context": {"trace_id": "0xabc", "span_id": "0x0001", "trace_state": "[]"},
        "kind": "SpanKind.CLIENT",
        "parent_id": None,
        "start_time": "2026-11-05T10:00:00.000000Z",
        "end_time": "2026-11-05T10:00:00.400000Z",
        "status": {"status_code": "UNSET"},
        "attributes": {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.input.messages": [
                {"role": "user", "parts": [{"type": "text", "content": "Ping"}]}
            ],
            "gen_ai.output.messages": [
                {"role": "assistant", "parts": [{"type": "text", "content": "Pong"}]}
            ],
        },
        "events": [],
        "resource": {"attributes": {"service.name": "bot"}, "schema_url": ""},
    }
    report = import_file(write_jsonl(tmp_path / "console.jsonl", [span]), engine=engine)

    assert report.shape == "otel_genai"
    [sample] = samples(engine)
    assert (sample.external_id, sample.input_text, sample.output) == ("0x0001", "Ping", "Pong")
    assert sample.latency_ms == pytest.approx(400.0)


# --------------------------------------------------------------------------- OpenAI Batch


def test_openai_batch_output_joined_with_its_input_and_every_problem_reported(
    engine: Engine, tmp_path: Path
) -> None:
    inputs = write_jsonl(
        tmp_path / "batch_input.jsonl",
        [
            batch_chat_request("req-1"),
            batch_responses_request("req-2"),
            {"custom_id": "emb-1", "method": "POST", "url": "/v1/embeddings",
             "body": {"model": "text-embedding-3-small", "input": "cat"}},
            batch_chat_request("req-4"),
            batch_chat_request("req-5"),
            batch_chat_request("twice"),
            batch_chat_request("twice"),
        ],
    )  # fmt: skip
    failed = {
        "id": "batch_req_x",
        "custom_id": "req-4",
        "response": None,
        "error": {"code": "batch_expired", "message": "This request could not be executed."},
    }
    refused = batch_chat_answer("req-5") | {
        "response": {
            "status_code": 400,
            "request_id": "r",
            "body": {"error": {"message": "Invalid 'max_tokens'", "code": "invalid_value"}},
        }
    }
    outputs = write_jsonl(
        tmp_path / "batch_output.jsonl",
        [
            batch_chat_answer("req-1", "chat"),
            batch_responses_answer("req-2"),
            batch_chat_answer("emb-1"),
            failed,
            refused,
            batch_chat_answer("req-1", "again", n=2),
            batch_chat_answer("twice"),
            batch_chat_answer("nowhere"),
        ],
    )
    report = import_file(outputs, engine=engine, companions=[inputs])

    assert report.shape == "openai_batch"
    assert (report.imported, report.bad) == (2, 5)
    assert "1 embedding request" in report.message
    assert problems(engine) == [
        (4, "request 'req-4' failed with an error (batch_expired): This request could not "
            "be executed."),
        (5, "request 'req-5' failed with HTTP 400 (invalid_value): Invalid 'max_tokens'"),
        (6, "duplicate custom_id 'req-1': an earlier line of this file has it"),
        (7, "custom_id 'twice' appears on lines 6, 7 of batch_input.jsonl"),
        (8, "custom_id 'nowhere' has no request in batch_input.jsonl"),
    ]  # fmt: skip
    got = _by_id(engine)
    chat = got["batch_req_req-1_1"]
    assert (chat.system_prompt, chat.input_text, chat.output) == (
        "You translate.",
        "Translate 'cat' to French.",
        "chat",
    )
    assert chat.model == "gpt-4o-mini-2024-07-18"
    assert (chat.tokens_in, chat.tokens_out) == (22, 1)
    assert chat.captured_at == datetime.fromtimestamp(1_762_000_000, UTC)
    assert chat.segments is not None
    assert chat.segments["openai_batch.custom_id"] == "req-1"
    assert chat.segments["openai_batch.metadata.team"] == "i18n"
    responses = got["batch_req_req-2"]
    assert (responses.system_prompt, responses.input_text, responses.output) == (
        "Answer in one word.",
        "Capital of France?",
        "Paris",
    )
    assert (responses.tokens_in, responses.tokens_out, responses.model) == (
        14,
        2,
        "gpt-4.1-2025-04-14",
    )


def test_openai_batch_input_as_the_file_and_output_with_it(engine: Engine, tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", [batch_chat_request("a"), batch_chat_request("b")])
    outputs = write_jsonl(tmp_path / "out.jsonl", [batch_chat_answer("a", "un chat")])

    report = import_file(inputs, engine=engine, companions=[outputs])

    assert (report.imported, report.bad) == (1, 1)
    assert problems(engine) == [(2, "custom_id 'b' has no answer in out.jsonl")]


def test_openai_batch_file_alone_is_refused_with_the_fix(engine: Engine, tmp_path: Path) -> None:
    outputs = write_jsonl(tmp_path / "out.jsonl", [batch_chat_answer("a")])

    with pytest.raises(RedlineError) as caught:
        import_file(outputs, engine=engine)

    assert "holds only half of each sample" in str(caught.value)
    assert caught.value.hint is not None and "--with" in caught.value.hint
    assert batches(engine) == []


# --------------------------------------------------------------------------- Hugging Face


def test_hh_rlhf_pairs_become_two_outputs_for_one_input(engine: Engine, tmp_path: Path) -> None:
    pairs = [
        hh_pair("Recommend a jacket.", "The blue rain jacket is light.", "Buy whatever."),
        hh_pair("Another?", "Yes: the green one.", "No."),
    ]
    report = import_file(write_jsonl(tmp_path / "hh.jsonl", pairs), engine=engine)

    assert report.shape == "hf_preference"
    assert report.imported == 4
    first = [s for s in samples(engine) if s.segments and s.segments["hf.pair_id"] ==
             samples(engine)[0].segments["hf.pair_id"]]  # type: ignore[index]  # fmt: skip
    assert sorted(s.segments["hf.preference"] for s in first) == ["chosen", "rejected"]  # type: ignore[index]
    chosen, rejected = sorted(first, key=lambda s: s.segments["hf.preference"])  # type: ignore[index]
    assert chosen.input_text == rejected.input_text
    assert chosen.session_id == rejected.session_id
    assert chosen.input_messages == [
        {"role": "user", "content": chosen.input_messages[0]["content"]},  # type: ignore[index]
        {"role": "assistant", "content": "Sure, which one?"},
        {"role": "user", "content": "The blue one."},
    ]
    assert {chosen.output, rejected.output} <= {
        "The blue rain jacket is light.", "Buy whatever.", "Yes: the green one.", "No."
    }  # fmt: skip


def test_ultrafeedback_binarized_parquet_keeps_the_scores(engine: Engine, tmp_path: Path) -> None:
    rows = [ultrafeedback_binarized("p1", "Name a prime."), ultrafeedback_binarized("p2", "2+2?")]
    report = import_file(write_parquet(tmp_path / "train_prefs.parquet", rows), engine=engine)

    assert report.shape == "hf_preference"
    got = _by_id(engine)
    assert set(got) == {"p1:chosen", "p1:rejected", "p2:chosen", "p2:rejected"}
    chosen = got["p1:chosen"]
    assert (chosen.input_text, chosen.output, chosen.session_id) == (
        "Name a prime.",
        "A good, precise answer.",
        "p1",
    )
    assert chosen.segments is not None and chosen.segments["hf.rating"] == 8.5
    assert got["p1:rejected"].segments["hf.rating"] == 4.0  # type: ignore[index]


def test_ultrafeedback_raw_completions_keep_their_ratings(engine: Engine, tmp_path: Path) -> None:
    report = import_file(write_jsonl(tmp_path / "uf.jsonl", [ultrafeedback_raw()]), engine=engine)

    assert report.shape == "hf_ultrafeedback"
    good, poor = sorted(samples(engine), key=lambda s: s.external_id)
    assert good.model == "gpt-4"
    assert good.system_prompt == "Be helpful and precise."
    assert good.input_text == "Explain photosynthesis in one sentence."
    assert good.segments is not None
    assert good.segments["ultrafeedback.helpfulness"] == 5
    assert good.segments["ultrafeedback.honesty"] == "N/A"
    assert good.segments["ultrafeedback.overall_score"] == 9.0
    assert poor.segments is not None and poor.segments["ultrafeedback.helpfulness"] == 2
    assert good.session_id == poor.session_id


def test_oasst_rows_rebuild_each_conversation_and_keep_ratings(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        oasst_row("m1", None, "prompter", "¿Qué es un agujero negro?"),
        oasst_row("m2", "m1", "assistant", "Una región del espacio...", rank=0),
        oasst_row("m3", "m1", "assistant", "No sé.", rank=1),
        oasst_row("m4", "m2", "prompter", "¿Y si caigo en uno?"),
        oasst_row("m5", "m4", "assistant", "Te estirarías.", rank=0),
        oasst_row("m9", "lost", "assistant", "Huérfano.", tree="tree-2"),
    ]
    report = import_file(write_parquet(tmp_path / "oasst1.parquet", rows), engine=engine)

    assert report.shape == "hf_oasst"
    assert (report.imported, report.bad) == (3, 1)
    assert "2 prompter messages" in report.message
    got = _by_id(engine)
    deep = got["m5"]
    assert deep.input_messages == [
        {"role": "user", "content": "¿Qué es un agujero negro?"},
        {"role": "assistant", "content": "Una región del espacio..."},
        {"role": "user", "content": "¿Y si caigo en uno?"},
    ]
    assert deep.output == "Te estirarías."
    assert deep.language == "es"
    assert deep.session_id == "tree-1"
    assert deep.signal_thumbs == 1  # four +1, one -1
    assert deep.segments is not None
    assert deep.segments["oasst.quality"] == 0.75
    assert deep.segments["oasst.rank"] == 0
    assert got["m3"].segments["oasst.rank"] == 1  # type: ignore[index]
    assert got["m3"].input_text == "¿Qué es un agujero negro?"


def test_oasst_nested_trees(engine: Engine, tmp_path: Path) -> None:
    prompt = oasst_row("m1", None, "prompter", "Hello?") | {
        "replies": [
            oasst_row("m2", "m1", "assistant", "Hi!", rank=0)
            | {"replies": [oasst_row("m3", "m2", "prompter", "Bye.")]},
            oasst_row("m4", "m1", "assistant", "Yes?", rank=1),
        ]
    }
    tree = {"message_tree_id": "tree-1", "tree_state": "ready_for_export", "prompt": prompt}
    report = import_file(write_jsonl(tmp_path / "trees.jsonl", [tree]), engine=engine)

    assert report.shape == "hf_oasst"
    assert sorted(s.external_id for s in samples(engine)) == ["m2", "m4"]


# --------------------------------------------------------------------------- shared behaviour


def test_sampling_runs_through_the_expander(engine: Engine, tmp_path: Path) -> None:
    traces = [
        lf_trace(f"t{i}", [lf_generation(f"g{i}a", f"t{i}"), lf_generation(f"g{i}b", f"t{i}")])
        for i in range(10)
    ]
    path = write_jsonl(tmp_path / "lf.jsonl", traces)

    report = import_file(path, engine=engine, sampling=SamplingRule("random", n=5, seed=3))

    assert (report.imported, report.not_sampled) == (5, 15)


def test_a_mapping_override_still_applies_to_a_tool_shape(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "lf.jsonl", [lf_trace("t1", [lf_generation("g1", "t1")])])

    import_file(path, engine=engine, mapping={"model": "", "variant": "prompt_name"})

    [sample] = samples(engine)
    assert (sample.model, sample.variant) == (None, "support-answer")
