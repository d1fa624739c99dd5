"""`redline prompts regression compare` shows the pairwise preferences; `... dpo` writes
them as preference pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats as scipy_stats
from sqlalchemy import Engine
from tests.prompts.pairwise_helpers import make_pairs

from redline.cli import main
from redline.review.pairwise import Preference, record_preference
from redline.settings import Settings, save_settings


def run(store: Path, *args: str) -> int:
    return main([*args, "--store", str(store)])


def test_compare_and_dpo_from_the_command_line(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_settings(Settings(reviewer="ana"))
    pairs = make_pairs(engine, tmp_path, 8)
    choices = [Preference.CANDIDATE] * 5 + [Preference.BASELINE, Preference.TIE,
                                            Preference.BOTH_BAD]  # fmt: skip
    for (baseline, candidate), preference in zip(pairs, choices, strict=True):
        record_preference(engine, candidate, baseline, preference, reviewer="ana", device="d")
    # A second reviewer agrees on two pairs and disagrees on a third (a split pair).
    second = [Preference.CANDIDATE, Preference.CANDIDATE, Preference.BASELINE]
    for (baseline, candidate), preference in zip(pairs[:3], second, strict=True):
        record_preference(engine, candidate, baseline, preference, reviewer="ben", device="d")

    assert run(store_path, "prompts", "regression", "compare", "support", "v2") == 0
    out = capsys.readouterr().out
    # One vote per pair: 4 of 5 decided pairs, not 7 of 9 choices.
    assert "pairwise preference: v2 preferred in 4 of 5 decided pairs: 80.0 %" in out
    assert "1 tied, 1 both bad and 1 split pair left out" in out
    p = scipy_stats.binomtest(4, 5, 0.5).pvalue
    assert (f"exact sign test p = {p:.3g} on 5 decided pairs; tied, both bad and split "
            "pairs excluded") in out  # fmt: skip
    assert "11 choices by reviewer: 7 v2, 2 baseline, 1 tie, 1 both bad" in out
    assert run(store_path, "prompts", "regression", "compare", "support", "v2", "--json") == 0
    data = json.loads(capsys.readouterr().out)["pairwise"]
    # The old keys keep their meaning: pairs available, choices of each kind.
    assert (data["pairs"], data["judged_pairs"], data["reviewers"]) == (8, 8, 2)
    assert (data["candidate"], data["baseline"], data["ties"], data["both_bad"]) == (7, 2, 1, 1)
    assert data["unit"] == "pair" and data["split"] == 1
    assert data["pair_votes"] == {
        "candidate": 4, "baseline": 1, "ties": 1, "both_bad": 1, "split": 1}  # fmt: skip
    assert data["sign_test_p"] == pytest.approx(p)
    assert data["win_rate"]["n"] == 5 and data["win_rate"]["value"] == pytest.approx(0.8)

    out_file = tmp_path / "prefs.jsonl"
    assert run(store_path, "prompts", "regression", "dpo", "support", "v2", str(out_file)) == 0
    printed = capsys.readouterr().out
    # The same vote per pair as the results: the split pair gives no training pair.
    assert "wrote 5 preference pairs of 8 judged pairs" in printed
    assert "1 tie, 1 both bad, 1 reviewers disagree" in printed
    rows = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 and {"prompt", "chosen", "rejected"} == set(rows[0])
    assert run(store_path, "prompts", "regression", "dpo", "support", "v2", str(out_file)) != 0
    assert "exists already" in capsys.readouterr().err
