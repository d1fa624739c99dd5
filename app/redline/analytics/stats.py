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
    "Mean",
    "Rate",
    "TestResult",
    "chi_square_goodness_of_fit",
    "chi_square_sf",
    "difference_interval",
    "effective_n",
    "fisher_exact",
    "holm_adjust",
    "mcnemar_exact",
    "mean_interval",
    "proportions_compared",
    "rate",
    "sign_test",
    "two_proportion_test",
    "weighted_rate",
    "wilson_interval",
    "wilson_intervals",
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


def wilson_intervals(
    successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """`wilson_interval` for whole arrays at once (a curve's band in one call).

    Same formula element by element; (0, 1) where n is 0. Successes may be fractional
    (effective counts), and are clipped into [0, n] against rounding in cumulative sums.
    """
    n_arr = np.asarray(n, dtype=float)
    k = np.clip(np.asarray(successes, dtype=float), 0.0, np.maximum(n_arr, 0.0))
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        safe_n = np.where(n_arr > 0, n_arr, 1.0)
        p = k / safe_n
        denominator = 1.0 + z * z / safe_n
        centre = (p + z * z / (2 * safe_n)) / denominator
        half = z * np.sqrt(p * (1 - p) / safe_n + z * z / (4 * safe_n * safe_n)) / denominator
    low = np.where(n_arr > 0, np.maximum(0.0, centre - half), 0.0)
    high = np.where(n_arr > 0, np.minimum(1.0, centre + half), 1.0)
    return low, high


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


def mcnemar_exact(changed_up: int, changed_down: int) -> TestResult:
    """McNemar's exact test for paired outcomes, two-sided (as statsmodels' mcnemar with
    exact=True): of the pairs that changed, is "up" (e.g. bad → good) more common than
    "down"? The statistic is the smaller count; the p-value the binomial(n, 1/2) tails.
    """
    n = changed_up + changed_down
    if n <= 0:
        return TestResult("mcnemar", math.nan, math.nan)
    low = min(changed_up, changed_down)
    tail = sum(math.exp(_log_comb(n, x) - n * math.log(2)) for x in range(low + 1))
    return TestResult("mcnemar", float(low), min(1.0, 2 * tail))


def sign_test(wins: int, losses: int) -> TestResult:
    """The exact sign test, two-sided (as scipy's binomtest(wins, wins + losses, 0.5)):
    of the decided pairs, does one side win more often than chance? Ties are not
    passed in (the test is about decided pairs only). The statistic is `wins`.
    """
    n = wins + losses
    if n <= 0:
        return TestResult("sign", math.nan, math.nan)
    low = min(wins, losses)
    tail = sum(math.exp(_log_comb(n, x) - n * math.log(2)) for x in range(low + 1))
    # Both tails are equal at p = 1/2; when wins == losses they overlap in one term.
    return TestResult("sign", float(wins), min(1.0, 2 * tail))


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


# --------------------------------------------------------------------------- experiments
# (sample-ratio mismatch, several arms, continuous metrics such as tokens and latency)


def _regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), the upper regularized incomplete gamma function.

    The series for x < a + 1 and Lentz's continued fraction otherwise (Numerical
    Recipes 6.2): both converge fast where they are used.
    """
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return min(1.0, h * math.exp(log_prefix))


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X ≥ statistic) for X ~ χ²(df) (as scipy.stats.chi2.sf)."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive (got {df})")
    if math.isnan(statistic):
        return math.nan
    return _regularized_gamma_q(df / 2, statistic / 2)


def chi_square_goodness_of_fit(observed: Sequence[float], shares: Sequence[float]) -> TestResult:
    """Pearson's χ² test of observed counts against planned shares (scipy's chisquare).

    The sample-ratio-mismatch check of an experiment: were the arms filled in the split
    that was planned? A tiny p-value means the assignment or the logging is broken, and
    the comparison of the arms cannot be trusted.
    """
    if len(observed) != len(shares) or len(observed) < 2:
        raise ValueError("need one planned share per arm, and at least two arms")
    total_share = float(sum(shares))
    if total_share <= 0 or any(s <= 0 for s in shares):
        raise ValueError(f"planned shares must be positive (got {list(shares)})")
    total = float(sum(observed))
    if total <= 0:
        return TestResult("chi2", math.nan, math.nan)
    statistic = 0.0
    for count, share in zip(observed, shares, strict=True):
        expected = total * share / total_share
        statistic += (count - expected) ** 2 / expected
    return TestResult("chi2", statistic, chi_square_sf(statistic, len(observed) - 1))


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order (statsmodels' 'holm').

    For several arms compared with one control: controls the chance of any false
    "significant" at the chosen level, and is never less powerful than Bonferroni.
    NaN p-values (comparisons that could not be made) stay NaN and do not count.
    """
    indexed = sorted(
        ((p, i) for i, p in enumerate(p_values) if not math.isnan(p)), key=lambda t: t[0]
    )
    m = len(indexed)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True, slots=True)
class Mean:
    """A mean with its normal-approximation interval; `n` values (NaN mean when n is 0)."""

    value: float
    low: float
    high: float
    n: int

    @property
    def defined(self) -> bool:
        return self.n > 0


def mean_interval(values: npt.ArrayLike, confidence: float = DEFAULT_CONFIDENCE) -> Mean:
    """The mean of the finite values with mean ± z·s/√n (NaNs, missing values, ignored).

    Normal rather than Student's t: the interval is for tokens and latency over
    hundreds of samples, where the two agree to the third digit; with one value the
    interval is the value itself.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return Mean(math.nan, math.nan, math.nan, 0)
    mean = float(v.mean())
    if n == 1:
        return Mean(mean, mean, mean, 1)
    half = z_for(confidence) * float(v.std(ddof=1)) / math.sqrt(n)
    return Mean(mean, mean - half, mean + half, n)
