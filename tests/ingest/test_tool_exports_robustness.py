"""Tool exports: exact text round trips, mixed and unknown files, resume, --explain."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.ingest.helpers import batches, problems, sample_count, samples, write_jsonl
from tests.ingest.tool_exports import (
    LONG_PROMPT,
    TRICKY,
    batch_chat_answer,
    batch_chat_request,
    hh_pair,
    lf_generation,
    lf_trace,
    otel_chat_attributes,
    otel_span,
    otlp_request,
)
from typing_extensions import override

from redline.cli import main
from redline.errors import RedlineError
from redline.ingest import service
from redline.ingest.explain import explain_file
from redline.ingest.service import import_file
from redline.progress import Cancelled, CancelToken
from redline.store.local import open_local_store
from redline.store.models import Batch, ImportProblem, Sample
from redline.store.session import session_scope

PROMPT = LONG_PROMPT + TRICKY


def test_long_prompts_and_tricky_text_survive_every_tool_exactly(
    engine: Engine, tmp_path: Path
) -> None:
    assert len(PROMPT.encode()) > 100_000
    lf = write_jsonl(
        tmp_path / "lf.jsonl",
        [lf_trace("t1", [lf_generation("g1", "t1", user=PROMPT, answer=TRICKY)])],
    )
    otel = write_jsonl(
        tmp_path / "otel.jsonl",
        [otlp_request([otel_span("s1", otel_chat_attributes(user=PROMPT, answer=TRICKY))])],
    )
    inputs = write_jsonl(tmp_path / "in.jsonl", [batch_chat_request("c1", user=PROMPT)])
    outputs = write_jsonl(tmp_path / "out.jsonl", [batch_chat_answer("c1", TRICKY)])
    hh = write_jsonl(tmp_path / "hh.jsonl", [hh_pair(PROMPT, TRICKY, "no")])

    for path, companions in ((lf, []), (otel, []), (outputs, [inputs]), (hh, [])):
        report = import_file(path, engine=engine, companions=companions)
        assert (report.imported, report.bad) != (0, 0) and report.bad == 0, path

    stored = samples(engine)
    assert len(stored) == 5
    for sample in stored:
        assert PROMPT in sample.input_text
        assert sample.output in (TRICKY, "no")
    assert sum(s.output == TRICKY for s in stored) == 4
    chat = next(s for s in stored if s.segments and s.segments.get("source_tool") == "langfuse")
    assert chat.input_text == PROMPT  # a lone user turn is stored as it was sent


def test_a_file_mixing_tools_is_refused_and_nothing_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            lf_trace("t1", [lf_generation("g1", "t1")]),
            otlp_request([otel_span("s1", otel_chat_attributes())]),
        ],
    )

    with pytest.raises(RedlineError) as caught:
        import_file(path, engine=engine)

    assert "mixes a Langfuse export (record 1) and OpenTelemetry GenAI spans (record 2)" in str(
        caught.value
    )
    assert batches(engine) == []


def test_a_stray_record_in_a_tool_export_is_a_bad_row_with_its_line(
    engine: Engine, tmp_path: Path
) -> None:
    lines = [
        lf_trace("t1", [lf_generation("g1", "t1")]),
        {"question": "plain?", "answer": "plain."},
        lf_trace("t2", [lf_generation("g2", "t2")]),
    ]
    report = import_file(write_jsonl(tmp_path / "lf.jsonl", lines), engine=engine)

    assert (report.imported, report.bad) == (2, 1)
    assert problems(engine) == [(2, "not a Langfuse export (its fields do not match)")]


def test_a_malformed_tool_record_costs_only_its_own_line(engine: Engine, tmp_path: Path) -> None:
    broken = lf_trace("t2", [lf_generation("g2", "t2")])
    broken["scores"] = [{"name": "x", "observationId": None, "value": {"odd": 1}, "source": 7}]
    broken["observations"][2]["usageDetails"] = '{"input": 3, "output": 1}'  # CSV-style text
    broken["observations"][2]["costDetails"] = ["not", "an", "object"]
    lines = [lf_trace("t1", [lf_generation("g1", "t1")]), broken]

    report = import_file(write_jsonl(tmp_path / "lf.jsonl", lines), engine=engine)

    assert (report.imported, report.bad) == (1, 1)
    [(line, reason)] = problems(engine)
    assert line == 2
    assert reason.startswith("not a well-formed record of a Langfuse export (AttributeError")


def test_an_unknown_shape_gets_the_mapping_hint(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "odd.jsonl", [{"alpha": 1, "beta": {"gamma": "x"}}])

    with pytest.raises(RedlineError) as caught:
        import_file(path, engine=engine)

    assert "no field could be recognised as the input and the output" in str(caught.value)
    assert "alpha, beta" in str(caught.value)


def test_with_is_refused_for_files_that_are_not_batch_files(engine: Engine, tmp_path: Path) -> None:
    lf = write_jsonl(tmp_path / "lf.jsonl", [lf_trace("t1", [lf_generation("g1", "t1")])])

    with pytest.raises(RedlineError, match="--with is only for OpenAI Batch files"):
        import_file(lf, engine=engine, companions=[lf])


class _CancelAfterFirstChunk(CancelToken):
    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        if text.startswith("importing"):
            self.cancel()


def test_a_cancel_between_two_samples_of_one_trace_loses_nothing_on_resume(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three generations a line and seven records a chunk: chunks end inside traces.
    monkeypatch.setattr(service, "CHUNK_RECORDS", 7)
    monkeypatch.setattr(service, "COMMIT_CHUNKS", 1, raising=False)
    traces = [
        lf_trace(f"t{i}", [lf_generation(f"g{i}-{k}", f"t{i}") for k in range(3)])
        for i in range(12)
    ]
    path = write_jsonl(tmp_path / "lf.jsonl", traces)

    with pytest.raises(Cancelled):
        import_file(path, engine=engine, progress=_CancelAfterFirstChunk())
    assert 0 < sample_count(engine) < 36

    report = import_file(path, engine=engine)

    assert report.resumed
    assert sample_count(engine) == 36
    with session_scope(engine) as session:
        [batch] = session.scalars(select(Batch)).all()
        in_store = session.scalar(select(func.count()).select_from(Sample))
        bad = session.scalar(select(func.count()).select_from(ImportProblem))
    assert batch.rows_imported == in_store == 36
    assert batch.rows_bad == bad == 0
    assert batch.records_read == batch.rows_imported + batch.rows_duplicate


# --------------------------------------------------------------------------- --explain


def test_explain_shows_shape_mapping_and_first_records(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "spans.jsonl",
        [
            otlp_request(
                [
                    otel_span("s1", otel_chat_attributes(answer=TRICKY)),
                    otel_span("e1", {"gen_ai.operation.name": "embeddings"}),
                ]
            )
        ],
    )

    explanation = explain_file(path)

    assert (explanation.format, explanation.shape) == ("jsonl", "otel_genai")
    assert explanation.mapping["input"] == "input"
    assert explanation.skipped == {"embedding span": 1}
    [record] = explanation.preview
    assert record.line == 1 and record.problem is None
    assert record.values["output"] == TRICKY
    assert record.values["model"] == "gpt-4o-2024-08-06"


def test_explain_on_the_command_line_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.sqlite"
    inputs = write_jsonl(tmp_path / "in.jsonl", [batch_chat_request("c1")])
    outputs = write_jsonl(
        tmp_path / "out.jsonl",
        [
            batch_chat_answer("c1", "zero\u200bwidth"),
            {"custom_id": "c9", "error": {"message": "x"}},
        ],
    )

    code = main(["--store", str(store), "import", str(outputs), "--with", str(inputs), "--explain"])

    assert code == 0
    assert not store.exists()
    out = capsys.readouterr().out
    assert "an OpenAI Batch API file (shape openai_batch)" in out
    assert re.search(r"^ +output +<- output$", out, re.MULTILINE)
    assert re.search(r"^ +segments\.openai_batch\.custom_id +c1$", out, re.MULTILINE)
    assert "zero\\u200bwidth" in out  # invisible characters are shown, not hidden
    assert "line 2: problem: custom_id 'c9' has no request in in.jsonl" in out
    assert "nothing was written" in out

    # With a store: it is read for the source's saved mapping, and left as it was.
    engine = open_local_store(store)
    import_file(outputs, engine=engine, companions=[inputs])
    before = (sample_count(engine), len(batches(engine)))
    engine.dispose()
    data = store.read_bytes()
    assert main(["--store", str(store), "import", str(outputs), "--with", str(inputs),
                 "--explain"]) == 0  # fmt: skip
    assert "saved mapping" in capsys.readouterr().out
    assert store.read_bytes() == data
    engine = open_local_store(store)
    assert (sample_count(engine), len(batches(engine))) == before
    engine.dispose()


def test_explain_refuses_what_the_import_would_refuse(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "out.jsonl", [batch_chat_answer("a")])

    with pytest.raises(RedlineError, match="holds only half of each sample"):
        explain_file(path)
    assert json.loads(path.read_text())["custom_id"] == "a"
