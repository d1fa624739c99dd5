"""Langfuse human corrections (corrected outputs) land in the langfuse.correction segment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from tests.ingest.helpers import samples, write_jsonl
from tests.ingest.tool_exports import lf_blob_observation, lf_generation, lf_trace

from redline.ingest.service import import_file


def _correction(text: str, *, observation_id: str | None, snake: bool = False) -> dict[str, Any]:
    """A correction as Langfuse exports it: a CORRECTION score, its text in longStringValue."""
    correction = {
        "id": f"corr-{observation_id}",
        "traceId": "t1",
        "observationId": observation_id,
        "name": "output",
        "source": "ANNOTATION",
        "dataType": "CORRECTION",
        "value": 0,
        "longStringValue": text,
        "authorUserId": "expert-lea",
        "comment": None,
        "timestamp": "2026-11-02T12:00:00.000Z",
        "createdAt": "2026-11-02T12:00:00.000Z",
    }
    if snake:
        return {
            "id": correction["id"],
            "trace_id": "trace-b1",
            "observation_id": observation_id,
            "name": "output",
            "source": "ANNOTATION",
            "data_type": "CORRECTION",
            "value": 0,
            "long_string_value": text,
            "author_user_id": "expert-lea",
        }
    return correction


def test_trace_and_observation_corrections_are_read(engine: Engine, tmp_path: Path) -> None:
    first = lf_generation("gen-1", "t1", answer="Checking.")
    second = lf_generation(
        "gen-2", "t1", start="2026-11-02T10:00:02.000Z", end="2026-11-02T10:00:02.500Z"
    )
    first["corrections"] = [_correction("Let me check that for you.", observation_id=None)]
    trace = lf_trace("t1", [first, second])
    # A trace-level correction corrects the answer the user saw: the last generation.
    trace["corrections"] = [_correction("It left the Leeds depot at 07:10.", observation_id=None)]
    blob = lf_blob_observation("o1")
    late = _correction("The train was 20 minutes late.", observation_id="o1", snake=True)
    blob["corrections"] = [late]
    # Two lines: a file of one line holding one trace is read as a document (see the report).
    lf = write_jsonl(tmp_path / "lf.jsonl", [trace, lf_trace("t2", [lf_generation("g3", "t2")])])
    rows = write_jsonl(tmp_path / "rows.jsonl", [blob])
    for path in (lf, rows):
        assert import_file(path, engine=engine).bad == 0

    got = {s.external_id: s.segments or {} for s in samples(engine)}
    assert got["gen-1"]["langfuse.correction"] == "Let me check that for you."
    assert got["gen-2"]["langfuse.correction"] == "It left the Leeds depot at 07:10."
    assert got["gen-2"]["langfuse.correction.author"] == "expert-lea"
    assert got["o1"]["langfuse.correction"] == "The train was 20 minutes late."
    # A correction is not a score: no numeric segment is made of its value 0.
    assert not any(key.startswith("langfuse.annotation.output") for s in got.values() for key in s)


def test_a_correction_score_with_its_text_in_long_string_value(
    engine: Engine, tmp_path: Path
) -> None:
    score = _correction("Corrected answer.", observation_id="gen-1")
    trace = lf_trace("t1", [lf_generation("gen-1", "t1")], scores=[score])
    other = lf_trace("t2", [lf_generation("gen-2", "t2", answer="Other.")])
    import_file(write_jsonl(tmp_path / "lf.jsonl", [trace, other]), engine=engine)
    got = {s.external_id: s.segments or {} for s in samples(engine)}
    assert got["gen-1"]["langfuse.correction"] == "Corrected answer."
    assert "langfuse.correction" not in got["gen-2"]
