"""The exact sign test of pairwise preferences, against scipy's binomial test."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from redline.analytics.stats import sign_test


@pytest.mark.parametrize(
    ("wins", "losses"),
    [(0, 1), (1, 0), (3, 3), (4, 1), (0, 10), (10, 0), (12, 5), (61, 39), (250, 210), (1, 30)],
)
def test_sign_test_matches_scipy_binomtest(wins: int, losses: int) -> None:
    expected = scipy_stats.binomtest(wins, wins + losses, 0.5).pvalue
    result = sign_test(wins, losses)
    assert result.test == "sign" and result.statistic == wins
    assert result.p_value == pytest.approx(expected, rel=1e-9)


def test_sign_test_with_no_decided_pairs_is_undefined() -> None:
    assert math.isnan(sign_test(0, 0).p_value)
