"""Feedback patterns on a constructed data set with a planted cause."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from redline.analytics.patterns import (
    MISSING,
    implicit_signals,
    input_length_bucket,
    rank_patterns,
)
from redline.analytics.stats import rate

DIMENSIONS = ["language", "model", "prompt version", "code in input", "failure category"]


def planted(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    """German inputs are bad 45 % of the time, everything else 10 %; models and prompt
    versions are noise; thumbs-down fires on most bad samples, copied on good ones."""
    rng = np.random.default_rng(seed)
    language = rng.choice(["en", "de", "fr"], size=n, p=[0.78, 0.12, 0.10])
    bad = rng.random(n) < np.where(language == "de", 0.45, 0.10)
    frame = pd.DataFrame(
        {
            "bad": bad,
            "language": language,
            "model": rng.choice(["gpt", "claude", "llama"], size=n),
            "prompt version": rng.choice(["support v1", "support v2"], size=n),
            "code in input": rng.choice(["yes", "no"], size=n, p=[0.2, 0.8]),
            "failure category": [
                (["hallucination"] if rng.random() < 0.6 else ["tone", "incomplete"]) if b else []
                for b in bad
            ],
            # numpy's stubs take no None in where(); it makes the object column wanted here.
            "thumbs_down": np.where(rng.random(n) < 0.3, None, bad & (rng.random(n) < 0.7)),  # type: ignore[call-overload]
            "copied": ~bad & (rng.random(n) < 0.5),
        },
        index=[f"s{i}" for i in range(n)],
    )
    frame.loc["s0", "language"] = None
    return frame


def test_the_planted_cause_ranks_first_with_its_share_base_and_lift() -> None:
    frame = planted()
    patterns = rank_patterns(frame, DIMENSIONS)
    top = next(p for p in patterns if p.dimension != "failure category")
    assert top.label == "language = de"
    bad = frame["bad"]
    is_de = frame["language"] == "de"
    assert top.share == rate(int((bad & is_de).sum()), int(bad.sum()))
    assert top.base == rate(int(is_de.sum()), len(frame))
    assert top.lift == pytest.approx(top.share.value / top.base.value)
    assert top.lift > 2.5
    assert top.lift_low < top.lift < top.lift_high
    assert top.p_value < 1e-6
    assert set(top.sample_ids) == set(frame.index[bad & is_de])
    assert "of bad reviews have language = de" in top.sentence()
    # The noise dimensions are not over-represented among bad reviews.
    for pattern in patterns:
        if pattern.dimension in ("model", "prompt version"):
            assert pattern.lift_low < 1.0 < pattern.lift_high


def test_patterns_are_ranked_by_excess_share_and_missing_values_are_left_out() -> None:
    patterns = rank_patterns(planted(), DIMENSIONS)
    excess = [p.excess for p in patterns]
    assert excess == sorted(excess, reverse=True)
    assert all(p.value != MISSING for p in patterns)
    with_missing = rank_patterns(
        planted(), ["language"], include_missing=True, min_base=1, min_bad=0
    )
    assert any(p.value == MISSING for p in with_missing)


def test_multi_valued_dimensions_count_each_sample_once_per_value() -> None:
    frame = planted()
    by_label = {p.label: p for p in rank_patterns(frame, ["failure category"])}
    tone = by_label["failure category = tone"]
    expected = sum("tone" in cats for cats in frame["failure category"])
    assert tone.share.successes == expected
    assert by_label["failure category = incomplete"].share.successes == expected


def test_small_groups_and_no_bad_reviews_give_no_patterns() -> None:
    frame = planted(n=40)
    assert all(p.share.successes >= 3 for p in rank_patterns(frame, DIMENSIONS))
    assert rank_patterns(frame.assign(bad=False), DIMENSIONS) == []
    assert rank_patterns(frame.iloc[:0], DIMENSIONS) == []


def test_implicit_signals_against_verdicts() -> None:
    frame = planted()
    down, copied = implicit_signals(frame, ["thumbs_down", "copied", "not a column"])
    known = frame[frame["thumbs_down"].notna()]
    fired = known["thumbs_down"].astype(bool)
    assert down.known == len(known)
    assert down.present == int(fired.sum())
    assert down.bad_with == rate(int((known["bad"] & fired).sum()), int(fired.sum()))
    assert down.recall.value == pytest.approx(0.7, abs=0.06)
    assert down.difference_low > 0.5  # thumbs-down is a strong sign of a bad output
    assert down.lift > 5
    assert copied.bad_with.value == 0.0  # only good outputs get copied here
    assert copied.difference_high < 0


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(None, None), (0, "< 200 chars"), (999, "200–999 chars"), (5000, "≥ 4,000 chars")],
)
def test_input_length_buckets(length: int | None, bucket: str | None) -> None:
    assert input_length_bucket(length) == bucket
