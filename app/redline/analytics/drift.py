"""Drift: how production changed between a reference window and the windows after it.

Arrays and data frames in, frozen dataclasses out; no database (the drift service in
`redline.drift` reads the store and calls `drift_report`).

Measures, one per kind of quantity:
- PSI (population stability index) for mixes (language, model, prompt version,
  segments) and for binned scores: Σ (c − r) · ln(c / r) over the categories or bins,
  with r and c the reference and current shares. A share of 0 (a category that
  appeared or vanished, an empty bin) is floored at `PSI_EPSILON` = 1e-4 before the
  sum, so a new category counts heavily but finitely: a category that appears with
  20 % of the traffic adds (0.2 − 1e-4) · ln(0.2 / 1e-4) ≈ 1.52 on its own. Score bins
  are the deciles of the reference, so every bin holds ~10 % of the reference.
- The two-sample Kolmogorov–Smirnov test for continuous values (lengths, latency,
  tokens): the statistic D is the largest gap between the two empirical CDFs; the
  p-value is exact (counting lattice paths, as scipy's `ks_2samp` does) when both
  samples have at most 10,000 values, otherwise asymptotic. Our asymptotic p-value is
  Kolmogorov's limiting distribution at λ = D·√(n·m/(n+m)); scipy uses the finite-n
  distribution at round(n·m/(n+m)) instead, which differs by less than 0.01 at these
  sizes.
- Rates (implicit signals, satisfaction from reviews) with Wilson intervals, compared
  with `redline.analytics.stats.proportions_compared` (z-test, Fisher when small).

A measure is flagged "watch" or "alert" by `DriftLevels` (PSI 0.1 / 0.25 is the usual
rule of thumb). KS and rate flags need both a small p-value and a large enough effect,
because at production volumes a negligible change is already "significant"; a PSI flag
needs the PSI to be unlikely as noise too (`psi_p_value`).

`redline.analytics.drift_report` applies these to every quantity of every window.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, fields
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "KS_EXACT_MAX_N",
    "LEVEL_ORDER",
    "MISSING",
    "PSI_EPSILON",
    "SCORE_BINS",
    "BinnedShift",
    "DriftLevels",
    "KsResult",
    "Level",
    "MixShift",
    "binned_psi",
    "ks_2samp",
    "mix_psi",
    "psi",
    "psi_p_value",
    "quantile_edges",
    "shares",
]

PSI_EPSILON = 1e-4
SCORE_BINS = 10
KS_EXACT_MAX_N = 10_000

Level = Literal["ok", "watch", "alert", "too_few"]
LEVEL_ORDER: dict[str, int] = {"alert": 3, "watch": 2, "ok": 1, "too_few": 0}

MISSING = "(none)"


# --------------------------------------------------------------------------- levels


@dataclass(frozen=True)
class DriftLevels:
    """When a measure is flagged. Stored in settings as a plain dict (`from_dict`).

    Attributes:
        psi_watch, psi_alert: PSI at or above which a mix or score distribution is
            flagged (0.1 "moderate", 0.25 "significant" by the usual rule of thumb) ...
        psi_alpha: ... when a PSI that large is also unlikely to be noise (see
            `psi_p_value`): small windows have large PSIs by chance alone.
        ks_alpha: KS p-value below which a continuous value may be flagged ...
        ks_watch, ks_alert: ... when the KS statistic D is at least this.
        rate_alpha: p-value below which a rate change may be flagged ...
        rate_watch, rate_alert: ... when the absolute change is at least this.
        min_samples: fewer samples than this in either window: not judged ("too few").
    """

    psi_watch: float = 0.10
    psi_alert: float = 0.25
    psi_alpha: float = 0.01
    ks_alpha: float = 0.01
    ks_watch: float = 0.10
    ks_alert: float = 0.20
    rate_alpha: float = 0.01
    rate_watch: float = 0.05
    rate_alert: float = 0.10
    min_samples: int = 50

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DriftLevels:
        """Levels from settings; unknown keys are ignored, bad values raise ValueError."""
        known = {f.name: f.type for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                continue
            kwargs[name] = int(value) if name == "min_samples" else float(value)
        levels = cls(**kwargs)
        if not (0 < levels.psi_watch <= levels.psi_alert):
            raise ValueError("PSI levels must satisfy 0 < watch <= alert")
        if not (0 < levels.ks_watch <= levels.ks_alert <= 1):
            raise ValueError("KS levels must satisfy 0 < watch <= alert <= 1")
        if not (0 < levels.rate_watch <= levels.rate_alert <= 1):
            raise ValueError("rate levels must satisfy 0 < watch <= alert <= 1")
        return levels

    def psi_level(self, value: float, p_value: float = 0.0) -> Level:
        if math.isnan(value) or not p_value < self.psi_alpha:
            return "ok"
        if value >= self.psi_alert:
            return "alert"
        return "watch" if value >= self.psi_watch else "ok"

    def ks_level(self, result: KsResult) -> Level:
        if not result.p_value < self.ks_alpha:
            return "ok"
        if result.statistic >= self.ks_alert:
            return "alert"
        return "watch" if result.statistic >= self.ks_watch else "ok"

    def rate_level(self, difference: float, p_value: float) -> Level:
        if not p_value < self.rate_alpha:
            return "ok"
        if abs(difference) >= self.rate_alert:
            return "alert"
        return "watch" if abs(difference) >= self.rate_watch else "ok"


# --------------------------------------------------------------------------- PSI


def psi(reference: npt.ArrayLike, current: npt.ArrayLike, *, epsilon: float = PSI_EPSILON) -> float:
    """PSI of two aligned distributions (counts or shares; each is normalised).

    Zero shares are floored at `epsilon` (see the module docstring). An empty side
    (all zero) gives NaN: there is nothing to compare.
    """
    r = np.asarray(reference, dtype=float)
    c = np.asarray(current, dtype=float)
    if r.shape != c.shape:
        raise ValueError("reference and current must have the same categories")
    r_total, c_total = float(r.sum()), float(c.sum())
    if r_total <= 0 or c_total <= 0:
        return math.nan
    r = np.maximum(r / r_total, epsilon)
    c = np.maximum(c / c_total, epsilon)
    return float(np.sum((c - r) * np.log(c / r)))


def psi_p_value(value: float, n_reference: float, n_current: float, categories: int) -> float:
    """How likely a PSI this large is between two samples of one distribution.

    PSI is a symmetrised Kullback–Leibler divergence; for counts it is approximately
    (1/n + 1/m) · χ² with (categories − 1) degrees of freedom under "no change". The χ²
    tail uses the Wilson–Hilferty normal approximation: a gate against noise, not a
    precise test.
    """
    if math.isnan(value) or n_reference <= 0 or n_current <= 0:
        return math.nan
    dof = max(1, categories - 1)
    x = value / (1.0 / n_reference + 1.0 / n_current)
    if x <= 0:
        return 1.0
    k = 2.0 / (9.0 * dof)
    z = ((x / dof) ** (1.0 / 3.0) - (1.0 - k)) / math.sqrt(k)
    return 1.0 - NormalDist().cdf(z)


@dataclass(frozen=True)
class MixShift:
    """Two mixes of one categorical field side by side.

    Attributes:
        categories: every category seen in either window, largest current share first.
        reference, current: the shares (0 where absent).
        psi: PSI of the two mixes (NaN when a window is empty).
        appeared: categories with no reference traffic.
        vanished: categories with no current traffic.
    """

    categories: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
    psi: float
    appeared: tuple[str, ...]
    vanished: tuple[str, ...]

    def top_mover(self) -> str | None:
        """The category contributing most to the PSI among those that grew."""
        best, best_value = None, 0.0
        for name, r, c in zip(self.categories, self.reference, self.current, strict=True):
            rr, cc = max(r, PSI_EPSILON), max(c, PSI_EPSILON)
            contribution = (cc - rr) * math.log(cc / rr)
            if c > r and contribution > best_value:
                best, best_value = name, contribution
        return best


def shares(values: pd.Series, weights: pd.Series | None) -> pd.Series:
    labels = values.astype(object).where(values.notna(), MISSING).astype(str)
    w = pd.Series(1.0, index=values.index) if weights is None else weights.astype(float)
    totals = w.groupby(labels).sum()
    total = float(totals.sum())
    return totals / total if total > 0 else totals


def mix_psi(
    reference: Sequence[Hashable | None] | pd.Series,
    current: Sequence[Hashable | None] | pd.Series,
    *,
    reference_weights: npt.ArrayLike | None = None,
    current_weights: npt.ArrayLike | None = None,
    epsilon: float = PSI_EPSILON,
) -> MixShift:
    """The PSI between the category mixes of two windows (missing values are a category).

    Weights (1 / inclusion probability) re-weight each sample to production traffic.
    """
    r_values = pd.Series(list(reference) if not isinstance(reference, pd.Series) else reference)
    c_values = pd.Series(list(current) if not isinstance(current, pd.Series) else current)
    r_w = None if reference_weights is None else pd.Series(np.asarray(reference_weights))
    c_w = None if current_weights is None else pd.Series(np.asarray(current_weights))
    if r_w is not None:
        r_w.index = r_values.index
    if c_w is not None:
        c_w.index = c_values.index
    r_shares = shares(r_values, r_w)
    c_shares = shares(c_values, c_w)
    categories = sorted(
        set(r_shares.index) | set(c_shares.index),
        key=lambda k: (-float(c_shares.get(k, 0.0)), -float(r_shares.get(k, 0.0)), str(k)),
    )
    r = np.array([float(r_shares.get(k, 0.0)) for k in categories])
    c = np.array([float(c_shares.get(k, 0.0)) for k in categories])
    value = psi(r, c, epsilon=epsilon) if len(r_values) and len(c_values) else math.nan
    return MixShift(
        categories=tuple(str(k) for k in categories),
        reference=tuple(float(v) for v in r),
        current=tuple(float(v) for v in c),
        psi=value,
        appeared=tuple(str(k) for k, rv, cv in zip(categories, r, c, strict=True) if rv == 0 < cv),
        vanished=tuple(str(k) for k, rv, cv in zip(categories, r, c, strict=True) if cv == 0 < rv),
    )


def quantile_edges(reference: npt.ArrayLike, bins: int = SCORE_BINS) -> npt.NDArray[np.float64]:
    """Interior bin edges at the reference's quantiles (duplicates from ties dropped).

    Bin i holds values v with edges[i-1] < v <= edges[i]; the outer bins are open.
    """
    values = np.asarray(reference, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.array([], dtype=float)
    edges = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(edges)


@dataclass(frozen=True)
class BinnedShift:
    """A continuous value (the score) binned at the reference's quantiles.

    Attributes:
        edges: interior edges; bin i is (edges[i-1], edges[i]].
        reference, current: the share of each bin.
        psi: PSI over the bins.
    """

    edges: tuple[float, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
    psi: float

    def grown_range(self) -> tuple[float, float] | None:
        """The contiguous run of bins whose share grew most (low, high), or None.

        Open outer bins are closed at the data's range [0, 1] for scores.
        """
        if not self.reference:
            return None
        gain = np.array(self.current) - np.array(self.reference)
        if gain.max() <= 0:
            return None
        best = int(np.argmax(gain))
        lo = hi = best
        while lo > 0 and gain[lo - 1] > 0:
            lo -= 1
        while hi < len(gain) - 1 and gain[hi + 1] > 0:
            hi += 1
        bounds = (-math.inf, *self.edges, math.inf)
        return bounds[lo], bounds[hi + 1]


def binned_psi(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    bins: int = SCORE_BINS,
    reference_weights: npt.ArrayLike | None = None,
    current_weights: npt.ArrayLike | None = None,
    epsilon: float = PSI_EPSILON,
) -> BinnedShift:
    """PSI of `current` against `reference`, binned at the reference's quantiles."""
    r = np.asarray(reference, dtype=float)
    c = np.asarray(current, dtype=float)
    r_w = np.ones_like(r) if reference_weights is None else np.asarray(reference_weights, float)
    c_w = np.ones_like(c) if current_weights is None else np.asarray(current_weights, float)
    r_keep, c_keep = ~np.isnan(r), ~np.isnan(c)
    r, r_w, c, c_w = r[r_keep], r_w[r_keep], c[c_keep], c_w[c_keep]
    edges = quantile_edges(r, bins)
    n_bins = len(edges) + 1
    r_counts = np.bincount(np.searchsorted(edges, r, side="left"), r_w, minlength=n_bins)
    c_counts = np.bincount(np.searchsorted(edges, c, side="left"), c_w, minlength=n_bins)
    r_total, c_total = r_counts.sum(), c_counts.sum()
    return BinnedShift(
        edges=tuple(float(e) for e in edges),
        reference=tuple(float(v) for v in (r_counts / r_total if r_total else r_counts)),
        current=tuple(float(v) for v in (c_counts / c_total if c_total else c_counts)),
        psi=psi(r_counts, c_counts, epsilon=epsilon) if r.size and c.size else math.nan,
    )


# --------------------------------------------------------------------------- KS


@dataclass(frozen=True)
class KsResult:
    """A two-sample Kolmogorov–Smirnov test, two-sided.

    Attributes:
        statistic: D, the largest gap between the two empirical CDFs.
        p_value: P(D >= observed) if both samples came from one distribution.
        method: "exact" or "asymptotic" (see the module docstring).
        shift: +1 when the current values run larger (its CDF lies below), −1 smaller.
    """

    statistic: float
    p_value: float
    method: str
    shift: int = 0


def ks_2samp(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    method: Literal["auto", "exact", "asymptotic"] = "auto",
) -> KsResult:
    """Two-sided two-sample KS test; NaNs are dropped. Empty samples give NaN.

    "auto" is exact when both samples have at most `KS_EXACT_MAX_N` values (scipy's
    rule), otherwise asymptotic.
    """
    a = np.sort(np.asarray(reference, dtype=float))
    b = np.sort(np.asarray(current, dtype=float))
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    n1, n2 = a.size, b.size
    if n1 == 0 or n2 == 0:
        return KsResult(math.nan, math.nan, "none")
    both = np.concatenate([a, b])
    # searchsorted on the right counts ties the way scipy does.
    diffs = (
        np.searchsorted(a, both, side="right") / n1 - np.searchsorted(b, both, side="right") / n2
    )
    up, down = float(diffs.max()), float(max(-diffs.min(), 0.0))
    statistic = max(up, down)
    shift = 0 if statistic == 0 else (1 if up >= down else -1)
    if method == "auto":
        method = "exact" if max(n1, n2) <= KS_EXACT_MAX_N else "asymptotic"
    if method == "exact":
        d, p = _ks_exact(n1, n2, statistic)
        return KsResult(d, p, "exact", shift)
    en = n1 * n2 / (n1 + n2)
    return KsResult(statistic, _kolmogorov_sf(math.sqrt(en) * statistic), "asymptotic", shift)


def _ks_exact(n1: int, n2: int, d: float) -> tuple[float, float]:
    """(D, P(D_{n1,n2} >= D)) by counting the lattice paths that stay inside.

    D is rounded to the lattice: h / lcm(n1, n2) with integer h, as scipy does. A path
    from (0, 0) to (n1, n2) stays inside while |i·n2 − j·n1| < h·gcd. Rows of counts
    are rescaled as they grow (their logarithm kept apart) so nothing overflows.
    """
    if n1 > n2:  # loop over the shorter side
        n1, n2 = n2, n1
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    h = round(d * lcm)
    d = h / lcm
    if h == 0:
        return d, 1.0
    bound = h * g
    # Row i of path counts is non-zero only for j in [lo(i), hi(i)], where
    # |i·n2 − j·n1| < bound; only that window is touched, so a row costs ~2·D·n2.
    row = np.zeros(n2 + 1)
    previous_lo, previous_hi = 0, min(n2, (bound - 1) // n1)
    row[: previous_hi + 1] = 1.0
    log_scale = 0.0
    for i in range(1, n1 + 1):
        lo = max(0, (i * n2 - bound) // n1 + 1)
        hi = min(n2, -((-(i * n2 + bound)) // n1) - 1)
        if lo > hi:
            return d, 1.0
        row[previous_lo:lo] = 0.0
        window = np.cumsum(row[lo : hi + 1])
        row[lo : hi + 1] = window
        previous_lo, previous_hi = lo, hi
        peak = window[-1]
        if peak > 1e100:
            row[lo : hi + 1] /= peak
            log_scale += math.log(peak)
    paths = row[n2]
    if paths <= 0:
        return d, 1.0
    log_total = math.lgamma(n1 + n2 + 1) - math.lgamma(n1 + 1) - math.lgamma(n2 + 1)
    inside_probability = math.exp(math.log(paths) + log_scale - log_total)
    return d, min(1.0, max(0.0, 1.0 - inside_probability))


def _kolmogorov_sf(x: float) -> float:
    """P(K > x) for Kolmogorov's limiting distribution."""
    if x <= 0:
        return 1.0
    if x < 1.0:
        # The alternating series converges slowly here; use the dual series for the CDF.
        t = math.pi * math.pi / (8.0 * x * x)
        cdf = (
            math.sqrt(2.0 * math.pi)
            / x
            * sum(math.exp(-((2 * k - 1) ** 2) * t) for k in (1, 2, 3, 4, 5, 6))
        )
        return min(1.0, max(0.0, 1.0 - cdf))
    total = 0.0
    for k in range(1, 101):
        term = (-1) ** (k - 1) * math.exp(-2.0 * k * k * x * x)
        total += term
        if abs(term) < 1e-18:
            break
    return min(1.0, max(0.0, 2.0 * total))
