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

    assert run(store_path, "prompts", "regression", "compare", "support", "v2") == 0
    out = capsys.readouterr().out
    assert "pairwise preference: v2 preferred in 5 of 6 decided choices: 83.3 %" in out
    p = scipy_stats.binomtest(5, 6, 0.5).pvalue
    assert f"exact sign test p = {p:.3g} on 6 decided choices; ties and both bad excluded" in out
    assert run(store_path, "prompts", "regression", "compare", "support", "v2", "--json") == 0
    data = json.loads(capsys.readouterr().out)["pairwise"]
    assert (data["candidate"], data["baseline"], data["ties"], data["both_bad"]) == (5, 1, 1, 1)
    assert data["sign_test_p"] == pytest.approx(p)
    assert data["win_rate"]["n"] == 6

    out_file = tmp_path / "prefs.jsonl"
    assert run(store_path, "prompts", "regression", "dpo", "support", "v2", str(out_file)) == 0
    printed = capsys.readouterr().out
    assert "wrote 6 preference pairs of 8 judged pairs" in printed
    assert "1 tie, 1 both bad" in printed
    rows = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6 and {"prompt", "chosen", "rejected"} == set(rows[0])
    assert run(store_path, "prompts", "regression", "dpo", "support", "v2", str(out_file)) != 0
    assert "exists already" in capsys.readouterr().err
