"""Store counts, batch lookup by id prefix, and the bad-row report."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from redline.errors import RedlineError
from redline.store.models import Batch, ImportProblem, Review, Sample
from redline.store.queries import (
    CountRow,
    ProblemRow,
    batch_problems,
    find_batch,
    list_batches,
    store_stats,
    write_problems_csv,
)
from redline.store.session import session_scope


def _batch(session: Any, batch_id: uuid.UUID | None = None, **values: Any) -> Batch:
    batch = Batch(
        id=batch_id or uuid.uuid4(),
        source=values.pop("source", "prod"),
        file_name=values.pop("file_name", "/data/prod.jsonl"),
        file_sha256="0" * 64,
        format="jsonl",
        shape="flat",
        status="complete",
        **values,
    )
    session.add(batch)
    session.flush()
    return batch


def _sample(session: Any, batch: Batch, n: int, **values: Any) -> Sample:
    sample = Sample(
        batch_id=batch.id,
        source=batch.source,
        external_id=f"r{n}",
        content_hash=f"{n:032x}",
        input_text=f"question {n}",
        output=f"answer {n}",
        **values,
    )
    session.add(sample)
    session.flush()
    return sample


def _review(session: Any, sample: Sample, reviewer: str, verdict: str = "good") -> None:
    session.add(Review(sample_id=sample.id, reviewer=reviewer, verdict=verdict))


@pytest.fixture
def small_store(engine: Engine) -> Engine:
    """7 samples in 2 batches; samples 0, 2, 5 reviewed (sample 0 by two people)."""
    spec = [
        # prompt, version, model, language, variant
        ("support", "v1", "gpt-4o-mini", "en", None),
        ("support", "v1", "gpt-4o-mini", "de", None),
        ("support", "v2", "claude-3-5-haiku", "en", "A"),
        ("support", "v2", "claude-3-5-haiku", "en", "B"),
        ("support", "v2", "gpt-4o-mini", "en", "B"),
        ("sql", "v1", "llama-3.1-70b", "ja", None),
        (None, None, None, None, None),
    ]
    with session_scope(engine) as session:
        first = _batch(session)
        second = _batch(session, source="other")
        samples = [
            _sample(
                session,
                first if n < 5 else second,
                n,
                prompt_name=p,
                prompt_version=v,
                model=m,
                language=lang,
                variant=var,
            )
            for n, (p, v, m, lang, var) in enumerate(spec)
        ]
        _review(session, samples[0], "ana")
        _review(session, samples[0], "ben", "bad")
        _review(session, samples[2], "ana")
        _review(session, samples[5], "ben", "unsure")
    return engine


def test_stats_equal_hand_counts(small_store: Engine) -> None:
    stats = store_stats(small_store)

    assert (stats.samples, stats.batches, stats.reviewed, stats.unreviewed) == (7, 2, 3, 4)
    assert stats.by_prompt == (
        CountRow(("support", "v2"), total=3, reviewed=1),
        CountRow(("support", "v1"), total=2, reviewed=1),
        CountRow(("sql", "v1"), total=1, reviewed=1),
        CountRow((None, None), total=1, reviewed=0),
    )
    assert stats.by_model == (
        CountRow(("gpt-4o-mini",), total=3, reviewed=1),
        CountRow(("claude-3-5-haiku",), total=2, reviewed=1),
        CountRow(("llama-3.1-70b",), total=1, reviewed=1),
        CountRow((None,), total=1, reviewed=0),
    )
    assert stats.by_language == (
        CountRow(("en",), total=4, reviewed=2),
        CountRow(("de",), total=1, reviewed=0),
        CountRow(("ja",), total=1, reviewed=1),
        CountRow((None,), total=1, reviewed=0),
    )
    assert stats.by_variant == (
        CountRow((None,), total=4, reviewed=2),
        CountRow(("B",), total=2, reviewed=0),
        CountRow(("A",), total=1, reviewed=1),
    )
    assert [row.label for row in stats.by_prompt] == [
        "support v2",
        "support v1",
        "sql v1",
        "(none)",
    ]
    assert stats.by_variant[1].unreviewed == 2
    assert stats.as_dict()["by_prompt"][0] == {
        "prompt_name": "support",
        "prompt_version": "v2",
        "total": 3,
        "reviewed": 1,
        "unreviewed": 2,
    }


def test_stats_of_an_empty_store(engine: Engine) -> None:
    stats = store_stats(engine)

    assert (stats.samples, stats.batches, stats.reviewed, stats.unreviewed) == (0, 0, 0, 0)
    assert stats.by_prompt == stats.by_model == stats.by_language == stats.by_variant == ()


def test_stats_never_scan_the_sample_table(small_store: Engine) -> None:
    """Every read of `sample` is an index-only scan or a primary-key probe, so the
    counts stay fast at a million wide rows (the plans are SQLite's own answer)."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, params))

    event.listen(small_store, "before_cursor_execute", capture)
    try:
        store_stats(small_store)
    finally:
        event.remove(small_store, "before_cursor_execute", capture)
    assert len(statements) >= 5

    # No ANALYZE: statistics of a 7-row table would plan for 7 rows. Without them
    # SQLite plans as it does for a large table (checked at a million samples).
    with small_store.connect() as conn:
        for statement, params in statements:
            plan = [
                row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            ]
            for step in plan:
                if step.startswith(("SCAN sample", "SEARCH sample")):
                    assert "COVERING INDEX" in step or "(id=?)" in step, (statement, plan)
                if "review" in step and step.startswith("SCAN"):
                    assert "COVERING INDEX" in step, (statement, plan)


# --------------------------------------------------------------------------- batches

IDS = [
    uuid.UUID("01a20484-aa7b-7000-8000-000000000001"),
    uuid.UUID("01a20484-ab00-7000-8000-000000000002"),
    uuid.UUID("01a29999-0000-7000-8000-000000000003"),
]


@pytest.fixture
def three_batches(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        for n, batch_id in enumerate(IDS):
            _batch(session, batch_id, file_name=f"/data/f{n}.jsonl", rows_imported=n)
    return engine


def test_short_ids_are_unique_prefixes_of_at_least_8_digits(three_batches: Engine) -> None:
    short = {b.id: b.short_id for b in list_batches(three_batches)}

    assert short == {IDS[0]: "01a20484aa", IDS[1]: "01a20484ab", IDS[2]: "01a29999"}


def test_find_batch_by_prefix_like_git(three_batches: Engine) -> None:
    assert find_batch(three_batches, "01a20484aa").id == IDS[0]
    assert find_batch(three_batches, "01A29").id == IDS[2]
    assert find_batch(three_batches, str(IDS[1])).id == IDS[1]  # with dashes
    assert find_batch(three_batches, "01a20484-ab").id == IDS[1]


def test_ambiguous_prefix_names_the_candidates(three_batches: Engine) -> None:
    with pytest.raises(RedlineError) as info:
        find_batch(three_batches, "01a2")

    message = info.value.one_line()
    assert "'01a2' is ambiguous: 3 batches match" in message
    assert "01a20484aa" in message and "01a29999" in message
    assert "give more digits" in message


def test_unknown_or_malformed_batch_id(three_batches: Engine) -> None:
    with pytest.raises(RedlineError, match="no batch id starts with 'ffff'"):
        find_batch(three_batches, "ffff")
    with pytest.raises(RedlineError, match="'last' is not a batch id"):
        find_batch(three_batches, "last")
    with pytest.raises(RedlineError, match="is not a batch id"):
        find_batch(three_batches, "")


# --------------------------------------------------------------------------- problems


def test_problems_are_streamed_in_line_order_and_written_as_csv(
    three_batches: Engine, tmp_path: Path
) -> None:
    rows = [
        (812, "field 'output' is not text: a list", '{"output": [1, 2]}'),
        (3, "malformed JSON: unexpected end of data", '{"id": 7, "input": "Hi, "quoted"'),
        (40, "missing required field 'input'", "line one\nline two, with a comma"),
    ]
    with session_scope(three_batches) as session:
        for line, reason, excerpt in rows:
            session.add(ImportProblem(batch_id=IDS[2], line=line, reason=reason, excerpt=excerpt))
        session.add(ImportProblem(batch_id=IDS[0], line=1, reason="other batch", excerpt=""))

    batch, problems = batch_problems(three_batches, "01a29")
    out = tmp_path / "problems.csv"
    written = write_problems_csv(problems, out)

    assert batch.id == IDS[2] and batch.file_name == "/data/f2.jsonl"
    assert written == 3
    with out.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table == [
        ["line", "reason", "excerpt"],
        ["3", rows[1][1], rows[1][2]],
        ["40", rows[2][1], rows[2][2]],
        ["812", rows[0][1], rows[0][2]],
    ]


def test_problems_csv_to_a_stream_with_no_problems(three_batches: Engine) -> None:
    _, problems = batch_problems(three_batches, "01a20484aa")
    buffer = io.StringIO()

    assert write_problems_csv(problems, buffer) == 0
    assert buffer.getvalue() == "line,reason,excerpt\n"
    assert ProblemRow(1, "r", "e") == (1, "r", "e")


def test_a_bad_row_cannot_plant_a_formula_in_the_problems_csv(three_batches: Engine) -> None:
    with session_scope(three_batches) as session:
        session.add(
            ImportProblem(batch_id=IDS[2], line=5, reason="malformed JSON", excerpt="=1+cmd|x")
        )
    _, problems = batch_problems(three_batches, "01a29")
    buffer = io.StringIO()
    write_problems_csv(problems, buffer)
    assert list(csv.reader(io.StringIO(buffer.getvalue())))[1] == [
        "5",
        "malformed JSON",
        "'=1+cmd|x",
    ]
