"""A/B statistics against scipy/statsmodels on known tables, including 0 % and 100 % arms."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import DescrStatsW

from redline.analytics.experiments import ArmData, assign_arm, compare_arms
from redline.analytics.quality import version_quality
from redline.analytics.stats import (
    chi_square_goodness_of_fit,
    chi_square_sf,
    holm_adjust,
    mean_interval,
)


def arm(
    name: str, good: int, bad: int, *, unsure: int = 0, prob: float = 1.0, extra: int = 0
) -> ArmData:
    """An arm with one review per sample: `good`, `bad`, `unsure`, and `extra` unreviewed."""
    n = good + bad + unsure
    ids = [f"{name}-{i}" for i in range(n + extra)]
    samples = pd.DataFrame(
        {
            "sample_id": ids,
            "inclusion_prob": prob,
            "tokens_in": 100.0,
            "tokens_out": [40.0 + i % 7 for i in range(n + extra)],
            "latency_ms": 800.0,
            "decision": "auto_send",
            "session_id": ids,
        }
    )
    verdicts = ["good"] * good + ["bad"] * bad + ["unsure"] * unsure
    reviews = pd.DataFrame(
        {
            "sample_id": ids[:n],
            "verdict": verdicts,
            "rating": [5 if v == "good" else 2 for v in verdicts],
            "categories": [["tone"] if v == "bad" else [] for v in verdicts],
            "correction": [None] * n,
            "adjudicated": False,
        }
    )
    return ArmData(name, samples, reviews)


@pytest.mark.parametrize(
    ("x", "df"), [(0.0, 1), (0.5, 1), (3.841, 1), (10.0, 3), (0.01, 2), (120.0, 5), (55.0, 40)]
)
def test_chi_square_tail_matches_scipy(x: float, df: int) -> None:
    assert chi_square_sf(x, df) == pytest.approx(scipy_stats.chi2.sf(x, df), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(
    ("observed", "shares"),
    [([480, 520], [0.5, 0.5]), ([5000, 5400], [0.5, 0.5]), ([90, 300], [0.2, 0.8]),
     ([100, 120, 90], [1, 1, 1])],
)  # fmt: skip
def test_goodness_of_fit_matches_scipy(observed: list[int], shares: list[float]) -> None:
    expected = np.array(shares) / sum(shares) * sum(observed)
    ref = scipy_stats.chisquare(observed, expected)
    ours = chi_square_goodness_of_fit(observed, shares)
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize(
    "p_values", [[0.01, 0.04, 0.03], [0.5, 0.001], [0.02, 0.02, 0.9, 0.04], [0.2]]
)
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    ref = multipletests(p_values, method="holm")[1]
    assert holm_adjust(p_values) == pytest.approx(list(ref))


def test_holm_leaves_missing_p_values_out() -> None:
    adjusted = holm_adjust([0.01, math.nan, 0.04])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1])
    assert adjusted[2] == pytest.approx(0.04)


def test_mean_interval_matches_statsmodels() -> None:
    values = [120, 80, 95, 140, 101, 99, 87, np.nan]
    ours = mean_interval(values)
    low, high = DescrStatsW(np.array(values[:-1], dtype=float)).zconfint_mean()
    assert (ours.low, ours.high, ours.n) == (pytest.approx(low), pytest.approx(high), 7)
    assert not mean_interval([]).defined


# Known 2x2 tables (control good/bad, treatment good/bad), with 0 % and 100 % arms.
TABLES = [(150, 80, 212, 73), (120, 100, 140, 80), (0, 210, 12, 200), (210, 0, 195, 15)]


@pytest.mark.parametrize(("cg", "cb", "tg", "tb"), TABLES)
def test_two_arms_match_the_references(cg: int, cb: int, tg: int, tb: int) -> None:
    result = compare_arms("t", [arm("A", cg, cb), arm("B", tg, tb)], min_samples_per_arm=200)
    a, b = result.arms
    for r, (good, n) in ((a, (cg, cg + cb)), (b, (tg, tg + tb))):
        low, high = proportion_confint(good, n, method="wilson")
        assert (r.satisfaction.low, r.satisfaction.high) == (
            pytest.approx(low),
            pytest.approx(high),
        )
    (c,) = result.comparisons
    ref_low, ref_high = confint_proportions_2indep(
        tg, tg + tb, cg, cg + cb, method="newcomb", compare="diff"
    )
    assert c.difference == pytest.approx(tg / (tg + tb) - cg / (cg + cb))
    assert (c.low, c.high) == (pytest.approx(ref_low), pytest.approx(ref_high))
    expected_small = min(cg + tg, cb + tb) * (cg + cb) / (cg + cb + tg + tb) < 5
    if expected_small:
        assert c.test.test == "fisher"
        _, ref_p = scipy_stats.fisher_exact([[cg, cb], [tg, tb]])
    else:
        assert c.test.test == "z"
        _, ref_p = proportions_ztest([tg, cg], [tg + tb, cg + cb])
    assert c.test.p_value == pytest.approx(ref_p)
    assert c.adjusted_p == c.test.p_value
    assert result.state == "ready"


def test_too_few_samples_declares_nothing() -> None:
    result = compare_arms("t", [arm("A", 20, 30), arm("B", 45, 5)], min_samples_per_arm=200)
    assert result.state == "too_few_samples"
    assert result.comparisons[0].test.p_value < 0.001
    assert not result.comparisons[0].significant
    assert result.verdict() == "too few samples: judged samples per arm below the minimum " + (
        "(A 50/200, B 50/200)"
    )
    assert compare_arms("t", [arm("A", 20, 30), arm("B", 45, 5)], min_samples_per_arm=50).state == (
        "ready"
    )


def test_a_clear_winner_is_named() -> None:
    result = compare_arms("t", [arm("A", 150, 80), arm("B", 212, 73)], min_samples_per_arm=200)
    assert result.comparisons[0].significant
    assert result.verdict().startswith("B is better than A by 9.2 points")


def test_sample_ratio_mismatch_against_the_planned_split() -> None:
    # 230 vs 400 sessions where 50/50 was planned: assignment is broken.
    result = compare_arms("t", [arm("A", 200, 30), arm("B", 300, 100)], min_samples_per_arm=200)
    srm = result.sample_ratio
    ref = scipy_stats.chisquare([230, 400])
    assert srm.test.p_value == pytest.approx(ref.pvalue)
    assert srm.mismatch
    assert not result.comparisons[0].significant
    assert result.verdict().startswith("sample ratio mismatch")
    planned = compare_arms(
        "t", [arm("A", 200, 30), arm("B", 300, 100)], planned=(0.365, 0.635), min_samples_per_arm=1
    )
    assert not planned.sample_ratio.mismatch


def test_more_than_two_arms_are_holm_corrected() -> None:
    arms = [arm("A", 150, 100), arm("B", 170, 80), arm("C", 180, 70), arm("D", 150, 100)]
    result = compare_arms("t", arms, min_samples_per_arm=200)
    raw = [c.test.p_value for c in result.comparisons]
    assert [c.adjusted_p for c in result.comparisons] == pytest.approx(
        list(multipletests(raw, method="holm")[1])
    )
    assert "Holm" in result.notes[0]


def test_reweighting_by_inclusion_probability() -> None:
    # A heavily sampled bad stratum (prob 1) and a lightly sampled good one (prob 0.1).
    bad_heavy = arm("A", 0, 100, prob=1.0)
    good_light = arm("A2", 100, 0, prob=0.1)
    samples = pd.concat([bad_heavy.samples, good_light.samples], ignore_index=True)
    reviews = pd.concat([bad_heavy.reviews, good_light.reviews], ignore_index=True)
    quality = version_quality("A", samples, reviews)
    assert quality.satisfaction.value == pytest.approx(0.5)
    assert quality.satisfaction_weighted is not None
    assert quality.satisfaction_weighted.value == pytest.approx(1000 / 1100)
    result = compare_arms(
        "t", [ArmData("A", samples, reviews), arm("B", 150, 50)], min_samples_per_arm=1
    )
    assert result.comparisons[0].weighted_difference == pytest.approx(0.75 - 1000 / 1100)
    # Traffic re-weighted too: 100 + 100 / 0.1 samples of A.
    assert result.sample_ratio.observed[0] == pytest.approx(1100)


def test_quality_figures_and_unsure_counts_against() -> None:
    data = arm("A", 6, 2, unsure=2, extra=5)
    q = version_quality("A", data.samples, data.reviews)
    assert (q.samples, q.judged) == (15, 10)
    assert q.satisfaction.value == pytest.approx(0.6)
    assert q.mean_rating.value == pytest.approx((6 * 5 + 4 * 2) / 10)
    assert [(c.name, c.rate.successes) for c in q.failure_categories] == [("tone", 2)]
    # auto_send outputs judged bad were overridden; unsure ones count nowhere.
    assert (q.override_rate.successes, q.override_rate.n) == (2, 8)
    assert q.tokens_out.n == 15


def test_adjudicated_review_and_majority_decide_a_sample() -> None:
    samples = arm("A", 0, 0, extra=3).samples
    reviews = pd.DataFrame(
        {
            "sample_id": ["A-0", "A-0", "A-1", "A-1", "A-2", "A-2", "A-2"],
            "verdict": ["good", "bad", "good", "bad", "bad", "bad", "good"],
            "rating": [None] * 7,
            "categories": [[]] * 7,
            "correction": [None] * 7,
            "adjudicated": [False, False, False, True, False, False, False],
        }
    )
    q = version_quality("A", samples, reviews)
    # A-0 tie -> unsure, A-1 adjudicated bad, A-2 majority bad: none good, all three judged.
    assert (q.satisfaction.successes, q.judged) == (0, 3)


def test_sticky_assignment_is_the_documented_md5_rule() -> None:
    digest = hashlib.md5(b"sess-42:opening").hexdigest()
    u = int(digest[:15], 16) / 16**15
    assert assign_arm("sess-42", "opening") == ("A" if u < 0.5 else "B")
    assert assign_arm("sess-42", "opening") == assign_arm("sess-42", "opening")
    counts = Counter(
        assign_arm(f"s{i}", "exp", ("control", "treatment"), (0.9, 0.1)) for i in range(5000)
    )
    assert counts["treatment"] / 5000 == pytest.approx(0.1, abs=0.015)
    with pytest.raises(ValueError, match="one non-negative share per arm"):
        assign_arm("s", "e", ("A", "B"), (1.0,))
