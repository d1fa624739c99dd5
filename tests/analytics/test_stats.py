"""The shared statistics agree with scipy/statsmodels on the cases reviewers produce."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from redline.analytics.stats import (
    difference_interval,
    effective_n,
    fisher_exact,
    proportions_compared,
    rate,
    two_proportion_test,
    weighted_rate,
    wilson_interval,
)

COUNTS = [(0, 10), (1, 10), (10, 10), (37, 120), (612, 1000), (3, 7), (1, 1)]


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    low, high = wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-9)
    assert high == pytest.approx(ref_high, abs=1e-9)


def test_wilson_with_no_data_is_the_whole_range() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert not rate(0, 0).defined
    assert rate(0, 0).percent() == "n/a (n=0)"


def test_rate_reads_as_a_percent_with_its_interval() -> None:
    assert rate(50, 100).percent() == "50.0 % (40.4–59.6, n=100)"


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"), [(40, 200, 60, 200), (5, 50, 5, 50), (190, 200, 150, 210)]
)
def test_z_test_matches_statsmodels(k1: int, n1: int, k2: int, n2: int) -> None:
    result = two_proportion_test(k1, n1, k2, n2)
    z, p = proportions_ztest([k2, k1], [n2, n1])
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(p)


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"),
    [(1, 10, 7, 10), (0, 5, 5, 5), (3, 12, 3, 12), (2, 30, 9, 25), (0, 3, 0, 4)],
)
def test_fisher_matches_scipy(k1: int, n1: int, k2: int, n2: int) -> None:
    ours = fisher_exact(k1, n1, k2, n2).p_value
    _, ref = scipy_stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    assert ours == pytest.approx(ref, rel=1e-9)


def test_small_counts_use_fisher_and_large_counts_the_z_test() -> None:
    assert proportions_compared(1, 10, 7, 10).test == "fisher"
    assert proportions_compared(40, 200, 60, 200).test == "z"


def test_difference_interval_covers_the_difference_and_excludes_zero_when_clear() -> None:
    a, b = rate(40, 200), rate(80, 200)
    low, high = difference_interval(a, b)
    assert low < 0.2 < high
    assert low > 0
    # Equal arms: the interval straddles zero.
    low, high = difference_interval(rate(50, 100), rate(50, 100))
    assert low < 0 < high


def test_weighted_rate_reweights_to_traffic_and_shrinks_n() -> None:
    # Bad samples were over-sampled 10x (inclusion 1.0 vs 0.1): unweighted, half look bad;
    # re-weighted to traffic, 1 in 11 is.
    hits = np.array([True] * 50 + [False] * 50)
    weights = np.array([1.0] * 50 + [10.0] * 50)
    weighted = weighted_rate(hits, weights)
    assert weighted.value == pytest.approx(50 / 550)
    assert weighted.n == pytest.approx(effective_n(weights))
    assert weighted.n < 100
    assert weighted.low < weighted.value < weighted.high
    equal = weighted_rate(hits, np.ones(100))
    assert equal.value == pytest.approx(0.5)
    assert equal.n == pytest.approx(100)
    assert math.isnan(weighted_rate([], []).value)
