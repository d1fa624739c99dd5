"""The regression loop of a prompt version, as a user runs it from the command line:
build the set from v1's failures, import v2's outputs as a batch, review, compare."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from scipy import stats as scipy_stats
from sqlalchemy import Engine, select
from tests.export.helpers import add_batch, add_review, add_sample

from redline.analytics.stats import mcnemar_exact
from redline.cli import main
from redline.errors import RedlineError
from redline.prompts.regression import compare_regression, import_regression_outputs
from redline.review.service import ReviewService
from redline.review.types import ReviewInput, Verdict
from redline.settings import Settings, save_settings
from redline.store.models import Batch, Sample

CHAT = [
    {"role": "user", "content": "My card 4111 1111 1111 1111 was charged twice."},
    {"role": "assistant", "content": "Which order?"},
    {"role": "user", "content": "Order 4471."},
]


def run(store: Path, *args: str) -> int:
    return main([*args, "--store", str(store)])


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def v1_cases(engine: Engine) -> dict[str, uuid.UUID]:
    """Samples of support v1: two judged bad (one multi-turn with a correction), one good."""
    batch = add_batch(engine)
    chat = add_sample(engine, batch, n=1, prompt_version="v1", input_messages=CHAT)
    add_review(engine, chat)  # bad, with a correction
    plain = add_sample(engine, batch, n=2, prompt_version="v1")
    add_review(engine, plain, correction=None)  # bad, no better answer
    good = add_sample(engine, batch, n=3, prompt_version="v1")
    add_review(engine, good, verdict="good", correction=None)
    return {"chat": chat, "plain": plain, "good": good}


def test_build_import_review_and_compare(
    engine: Engine,
    store_path: Path,
    tmp_path: Path,
    v1_cases: dict[str, uuid.UUID],
    capsys: pytest.CaptureFixture[str],
) -> None:
    save_settings(Settings(reviewer="ana"))
    cases_file = tmp_path / "v1-cases.jsonl"
    assert run(store_path, "prompts", "regression", "build", "support", "v1", str(cases_file)) == 0
    assert "regression: wrote 2 records" in capsys.readouterr().out
    cases = {c["id"]: c for c in read_jsonl(cases_file)}
    assert set(cases) == {str(v1_cases["chat"]), str(v1_cases["plain"])}
    chat_case = cases[str(v1_cases["chat"])]
    assert chat_case["reference"] is not None
    assert cases[str(v1_cases["plain"])]["reference"] is None
    # PII masked, the conversation kept turn by turn.
    messages = chat_case["messages"]
    assert isinstance(messages, list) and "4111" not in json.dumps(messages)
    assert (tmp_path / "v1-cases.jsonl.manifest.json").exists()

    # The cases ran through v2 elsewhere; its outputs come back.
    outputs = tmp_path / "v2-outputs.jsonl"
    outputs.write_text(
        "".join(
            json.dumps({"id": case_id, "output": f"v2 answer to {case_id}", "tokens_out": 40})
            + "\n"
            for case_id in cases
        ),
        encoding="utf-8",
    )
    assert run(store_path, "prompts", "regression", "import", "support", "v2", str(outputs)) == 0
    assert "support v2: imported 2 outputs as batch" in capsys.readouterr().out
    with engine.connect() as conn:
        new = conn.execute(
            select(Sample.id, Sample.input_messages, Sample.segments, Sample.batch_id).where(
                Sample.prompt_version == "v2"
            )
        ).all()
        batch_file = conn.execute(select(Batch.file_name).where(Batch.id == new[0].batch_id))
        assert batch_file.scalar_one() == str(outputs)
    assert len(new) == 2
    by_case = {row.segments["regression_of"]: row for row in new}
    assert by_case[str(v1_cases["chat"])].input_messages == CHAT
    assert by_case[str(v1_cases["chat"])].segments["regression_base"] == "v1"
    # Importing the same outputs again adds nothing.
    assert run(store_path, "prompts", "regression", "import", "support", "v2", str(outputs)) == 0
    assert "imported 0 outputs" in capsys.readouterr().out

    comparison = compare_regression(engine, "support", "v2")
    assert (len(comparison.pairs), comparison.judged, comparison.unjudged) == (2, 0, 2)
    assert "none judged yet" in comparison.summary()

    reviews = ReviewService(engine, reviewer="ana", device="test")
    reviews.submit(ReviewInput(by_case[str(v1_cases["chat"])].id, verdict=Verdict.GOOD))
    reviews.submit(ReviewInput(by_case[str(v1_cases["plain"])].id, verdict=Verdict.BAD))
    assert run(store_path, "prompts", "regression", "compare", "support", "v2", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["fixed"], data["still_bad"], data["broken"], data["judged"]) == (1, 1, 0, 2)
    assert data["fix_rate"]["value"] == pytest.approx(0.5)
    assert run(store_path, "prompts", "regression", "compare", "support", "v2") == 0
    assert "v2 fixed 1 of 2 judged failures (50" in capsys.readouterr().out


def test_a_bad_outputs_file_is_refused_whole_with_its_lines(
    engine: Engine, tmp_path: Path, v1_cases: dict[str, uuid.UUID]
) -> None:
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text(
        "\n".join(
            [
                json.dumps({"id": str(v1_cases["chat"]), "output": "fine"}),
                "{not json",
                json.dumps({"id": str(v1_cases["plain"])}),
                json.dumps({"id": str(uuid.uuid4()), "output": "x"}),
                json.dumps({"id": str(v1_cases["chat"]), "output": "again"}),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(RedlineError) as caught:
        import_regression_outputs(engine, outputs, prompt_name="support", version="v2")
    message = str(caught.value)
    assert "4 problems, nothing imported" in message
    assert "line 2: not valid JSON" in message
    assert "line 3: no 'output' text" in message
    assert "line 4: no sample" in message
    assert "line 5: case" in message and "on line 1 too" in message
    with engine.connect() as conn:
        assert conn.execute(select(Sample.id).where(Sample.prompt_version == "v2")).first() is None

    wrong_version = tmp_path / "same.jsonl"
    wrong_version.write_text(json.dumps({"id": str(v1_cases["chat"]), "output": "y"}))
    with pytest.raises(RedlineError, match="already a sample of v1"):
        import_regression_outputs(engine, wrong_version, prompt_name="support", version="v1")
    with pytest.raises(RedlineError, match="not of other"):
        import_regression_outputs(engine, wrong_version, prompt_name="other", version="v2")


@pytest.mark.parametrize(("up", "down"), [(1, 0), (7, 2), (0, 5), (12, 12), (30, 11)])
def test_mcnemar_exact_matches_scipy(up: int, down: int) -> None:
    ours = mcnemar_exact(up, down)
    reference = scipy_stats.binomtest(min(up, down), up + down, 0.5).pvalue
    assert ours.p_value == pytest.approx(reference, rel=1e-9)
    assert ours.statistic == min(up, down)
    assert mcnemar_exact(0, 0).test == "mcnemar"
