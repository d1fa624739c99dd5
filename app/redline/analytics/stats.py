"""The statistics every analysis shares: rates with intervals, and two-sample tests.

One place for them, so the threshold studio, the A/B view, the patterns and the drift
watch give the same interval for the same counts. Checked against scipy/statsmodels in
tests/analytics/test_stats.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = [
    "Rate",
    "TestResult",
    "difference_interval",
    "effective_n",
    "fisher_exact",
    "proportions_compared",
    "rate",
    "two_proportion_test",
    "weighted_rate",
    "wilson_interval",
    "z_for",
]

DEFAULT_CONFIDENCE = 0.95


def z_for(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """The two-sided normal quantile: 1.96 for 95 %."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(
    successes: float, n: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n is 0.

    Wilson rather than the normal (Wald) interval because review counts are often small
    and rates near 0 or 1, where Wald collapses to a zero-width interval.
    `successes` and `n` may be fractional (effective counts of a weighted sample).
    """
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n (got {successes} of {n})")
    z = z_for(confidence)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with its interval. `n` is the effective sample size when weighted."""

    value: float  # NaN when n is 0
    low: float
    high: float
    successes: float
    n: float

    @property
    def defined(self) -> bool:
        return self.n > 0

    def percent(self, digits: int = 1) -> str:
        """'42.0 % (38.1–46.0, n=612)' or 'n/a (n=0)'."""
        if not self.defined:
            return "n/a (n=0)"
        n = f"{self.n:,.0f}"
        return (
            f"{100 * self.value:.{digits}f} % "
            f"({100 * self.low:.{digits}f}–{100 * self.high:.{digits}f}, n={n})"
        )


def rate(successes: float, n: float, confidence: float = DEFAULT_CONFIDENCE) -> Rate:
    """A proportion with its Wilson interval."""
    low, high = wilson_interval(successes, n, confidence)
    value = successes / n if n > 0 else math.nan
    return Rate(value=value, low=low, high=high, successes=successes, n=n)


def effective_n(weights: npt.ArrayLike) -> float:
    """Kish's effective sample size: (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    total_sq = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / total_sq if total_sq > 0 else 0.0


def weighted_rate(
    hits: npt.ArrayLike, weights: npt.ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> Rate:
    """A proportion re-weighted to production traffic (weights = 1 / inclusion probability).

    The interval is Wilson at Kish's effective n: honest about how much a few heavily
    weighted samples can say, where the raw n would overstate it.
    """
    h = np.asarray(hits, dtype=bool)
    w = np.asarray(weights, dtype=float)
    if h.shape != w.shape:
        raise ValueError("hits and weights must have the same length")
    total = float(np.sum(w))
    if total <= 0:
        return rate(0, 0, confidence)
    p = float(np.sum(w[h])) / total
    n_eff = effective_n(w)
    low, high = wilson_interval(p * n_eff, n_eff, confidence)
    return Rate(value=p, low=low, high=high, successes=p * n_eff, n=n_eff)


def difference_interval(
    a: Rate, b: Rate, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for b − a (method 10 of Newcombe 1998).

    Built from the two Wilson intervals, so it behaves at small n and near 0 or 1.
    """
    if not (a.defined and b.defined):
        return -1.0, 1.0
    la, ua = wilson_interval(a.successes, a.n, confidence)
    lb, ub = wilson_interval(b.successes, b.n, confidence)
    d = b.value - a.value
    low = d - math.sqrt((b.value - lb) ** 2 + (ua - a.value) ** 2)
    high = d + math.sqrt((ub - b.value) ** 2 + (a.value - la) ** 2)
    return max(-1.0, low), min(1.0, high)


@dataclass(frozen=True, slots=True)
class TestResult:
    """A two-sided test: which test, its statistic (NaN for exact tests) and p-value."""

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    p_value: float


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """Pooled two-proportion z-test, two-sided (as statsmodels' proportions_ztest)."""
    if n1 <= 0 or n2 <= 0:
        return TestResult("z", math.nan, math.nan)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return TestResult("z", 0.0, 1.0)
    z = (k2 / n2 - k1 / n1) / se
    return TestResult("z", z, math.erfc(abs(z) / math.sqrt(2)))


def _log_hypergeometric(x: int, n1: int, n2: int, total_k: int) -> float:
    # log P(X = x) for X ~ Hypergeometric(population n1+n2, successes total_k, draws n1)
    return _log_comb(total_k, x) + _log_comb(n1 + n2 - total_k, n1 - x) - _log_comb(n1 + n2, n1)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """Fisher's exact test on the 2×2 table [[k1, n1−k1], [k2, n2−k2]], two-sided.

    Two-sided as scipy defines it: the sum of the probabilities of every table with the
    same margins that is no more likely than the observed one.
    """
    if n1 <= 0 or n2 <= 0:
        return TestResult("fisher", math.nan, math.nan)
    total_k = k1 + k2
    lo, hi = max(0, total_k - n2), min(n1, total_k)
    logs = [_log_hypergeometric(x, n1, n2, total_k) for x in range(lo, hi + 1)]
    observed = logs[k1 - lo]
    # The relative tolerance scipy uses, so ties from rounding count as "as extreme".
    cutoff = observed + math.log1p(1e-7)
    peak = max(logs)
    p = sum(math.exp(v - peak) for v in logs if v <= cutoff) * math.exp(peak)
    return TestResult("fisher", math.nan, min(1.0, p))


def proportions_compared(k1: int, n1: int, k2: int, n2: int, *, small: int = 5) -> TestResult:
    """Fisher's exact test when any expected cell count is below `small`, else the z-test."""
    total = n1 + n2
    if n1 <= 0 or n2 <= 0:
        return TestResult("z", math.nan, math.nan)
    k = k1 + k2
    expected: Sequence[float] = (
        n1 * k / total,
        n1 * (total - k) / total,
        n2 * k / total,
        n2 * (total - k) / total,
    )
    if min(expected) < small:
        return fisher_exact(k1, n1, k2, n2)
    return two_proportion_test(k1, n1, k2, n2)
