"""A/B comparison of prompt versions (or variants): satisfaction per arm and the difference.

For each arm: satisfaction (share of judged samples whose verdict is good, see
`redline.analytics.quality`) with its Wilson interval, and re-weighted to production
traffic when the samples' inclusion probabilities differ. For each arm against the
control: the difference with Newcombe's interval and a two-proportion z-test, or
Fisher's exact test when an expected cell is small (`stats.proportions_compared`);
with more than two arms the p-values are Holm-adjusted. Below the minimum judged
samples per arm the result says "too few samples" and declares no winner.

The sample-ratio-mismatch check compares the traffic each arm got (sessions, or samples
weighted by 1 / inclusion probability) with the planned split (χ² goodness of fit): when it
fails (p < 0.001) assignment or logging is broken and the comparison is not trusted.

Sticky assignment (`assign_arm`): production maps a session to an arm by hashing, so
one user sees one arm for the whole experiment. The rule, to match in any language:

    h = MD5("<session_id>:<experiment name>") as hex; u = int(first 15 hex digits, 16) / 16**15
    arm = the first arm whose cumulative planned share exceeds u
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from redline.analytics.quality import VersionQuality, version_quality
from redline.analytics.stats import (
    DEFAULT_CONFIDENCE,
    Rate,
    TestResult,
    chi_square_goodness_of_fit,
    difference_interval,
    holm_adjust,
    proportions_compared,
)

__all__ = [
    "SRM_ALPHA",
    "ArmData",
    "ArmResult",
    "Comparison",
    "ExperimentResult",
    "SampleRatio",
    "assign_arm",
    "compare_arms",
]

SRM_ALPHA = 0.001  # the usual threshold: SRM tests run often, false alarms are costly
State = Literal["too_few_samples", "ready"]


def assign_arm(
    session_id: str,
    experiment: str,
    arms: Sequence[str] = ("A", "B"),
    shares: Sequence[float] | None = None,
) -> str:
    """The arm a session belongs to (sticky: the same inputs give the same arm).

    See the module docstring for the rule; `shares` default to equal shares.
    """
    if not arms:
        raise ValueError("an experiment needs at least one arm")
    weights = list(shares) if shares is not None else [1.0] * len(arms)
    if len(weights) != len(arms) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"need one non-negative share per arm (got {weights})")
    digest = hashlib.md5(f"{session_id}:{experiment}".encode(), usedforsecurity=False)
    u = int(digest.hexdigest()[:15], 16) / 16**15
    total = sum(weights)
    cumulative = 0.0
    for arm, weight in zip(arms, weights, strict=True):
        cumulative += weight / total
        if u < cumulative:
            return arm
    return arms[-1]


@dataclass(frozen=True)
class ArmData:
    """One arm's samples and reviews (frames as `redline.analytics.quality` describes)."""

    name: str
    samples: pd.DataFrame
    reviews: pd.DataFrame


@dataclass(frozen=True, slots=True)
class ArmResult:
    name: str
    quality: VersionQuality
    enough: bool  # at least the minimum judged samples

    @property
    def satisfaction(self) -> Rate:
        return self.quality.satisfaction


@dataclass(frozen=True, slots=True)
class Comparison:
    """An arm against the control: difference (arm − control), its interval and the test."""

    arm: str
    control: str
    difference: float
    low: float
    high: float
    test: TestResult
    adjusted_p: float  # Holm-adjusted when more than two arms, else the test's p-value
    significant: bool  # adjusted_p < alpha, both arms have enough samples, SRM passed
    weighted_difference: float | None = None
    weighted_low: float | None = None
    weighted_high: float | None = None


@dataclass(frozen=True, slots=True)
class SampleRatio:
    """Traffic per arm against the planned split."""

    observed: tuple[float, ...]
    planned: tuple[float, ...]
    test: TestResult

    @property
    def mismatch(self) -> bool:
        return not math.isnan(self.test.p_value) and self.test.p_value < SRM_ALPHA


@dataclass(frozen=True)
class ExperimentResult:
    name: str
    arms: tuple[ArmResult, ...]
    comparisons: tuple[Comparison, ...]
    sample_ratio: SampleRatio
    min_samples_per_arm: int
    confidence: float
    alpha: float
    notes: tuple[str, ...] = field(default=())

    @property
    def state(self) -> State:
        return "ready" if all(a.enough for a in self.arms) else "too_few_samples"

    def verdict(self) -> str:
        """One sentence for a person: what the numbers allow to conclude."""
        if self.sample_ratio.mismatch:
            return (
                "sample ratio mismatch: the arms did not get the planned traffic "
                f"(p = {self.sample_ratio.test.p_value:.2g}); fix assignment or logging "
                "before trusting this comparison"
            )
        if self.state == "too_few_samples":
            short = ", ".join(
                f"{a.name} {a.quality.judged}/{self.min_samples_per_arm}"
                for a in self.arms
                if not a.enough
            )
            return f"too few samples: judged samples per arm below the minimum ({short})"
        winners = [c for c in self.comparisons if c.significant]
        if not winners:
            return "no significant difference at this sample size"
        parts = [
            f"{c.arm} is {'better' if c.difference > 0 else 'worse'} than {c.control} by "
            f"{100 * abs(c.difference):.1f} points ({100 * c.low:+.1f} to {100 * c.high:+.1f})"
            for c in winners
        ]
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        def num(v: float | None) -> float | None:
            return None if v is None or math.isnan(v) else float(v)

        return {
            "name": self.name,
            "state": self.state,
            "verdict": self.verdict(),
            "min_samples_per_arm": self.min_samples_per_arm,
            "confidence": self.confidence,
            "alpha": self.alpha,
            "arms": [
                {"name": a.name, "enough": a.enough, **a.quality.as_dict()} for a in self.arms
            ],
            "comparisons": [
                {
                    "arm": c.arm,
                    "control": c.control,
                    "difference": c.difference,
                    "low": c.low,
                    "high": c.high,
                    "test": c.test.test,
                    "statistic": num(c.test.statistic),
                    "p_value": num(c.test.p_value),
                    "adjusted_p": num(c.adjusted_p),
                    "significant": c.significant,
                    "weighted_difference": num(c.weighted_difference),
                    "weighted_low": num(c.weighted_low),
                    "weighted_high": num(c.weighted_high),
                }
                for c in self.comparisons
            ],
            "sample_ratio": {
                "observed": list(self.sample_ratio.observed),
                "planned": list(self.sample_ratio.planned),
                "chi2": num(self.sample_ratio.test.statistic),
                "p_value": num(self.sample_ratio.test.p_value),
                "mismatch": self.sample_ratio.mismatch,
            },
            "notes": list(self.notes),
        }


def _traffic(samples: pd.DataFrame) -> float:
    """The traffic an arm got: sessions when every sample names one (assignment is per
    session, and sessions have different lengths), else samples; weighted by 1 /
    inclusion probability when the import sampled."""
    if samples.empty:
        return 0.0
    p = pd.to_numeric(samples["inclusion_prob"], errors="coerce").fillna(1.0).to_numpy(float)
    sessions = samples.get("session_id")
    if sessions is not None and sessions.notna().all() and np.allclose(p, 1.0):
        return float(sessions.nunique())
    return float(np.sum(1.0 / np.clip(p, 1e-9, 1.0)))


def compare_arms(
    name: str,
    arms: Sequence[ArmData],
    *,
    planned: Sequence[float] | None = None,
    min_samples_per_arm: int = 200,
    confidence: float = DEFAULT_CONFIDENCE,
    alpha: float = 0.05,
) -> ExperimentResult:
    """Compare every arm with the first (the control); see the module docstring.

    Args:
        name: the experiment's name.
        arms: control first, then one or more treatments.
        planned: planned traffic share per arm (default: equal).
        min_samples_per_arm: judged samples an arm needs before a conclusion.
        confidence: of the intervals.
        alpha: significance level of the (adjusted) tests.
    """
    if len(arms) < 2:
        raise ValueError("an A/B comparison needs at least two arms")
    shares = tuple(planned) if planned is not None else tuple(1.0 / len(arms) for _ in arms)
    results = tuple(
        ArmResult(
            arm.name,
            quality := version_quality(arm.name, arm.samples, arm.reviews, confidence=confidence),
            quality.judged >= min_samples_per_arm,
        )
        for arm in arms
    )
    control = results[0]
    raw: list[tuple[ArmResult, float, float, float, TestResult]] = []
    for arm in results[1:]:
        a, b = control.satisfaction, arm.satisfaction
        low, high = difference_interval(a, b, confidence)
        test = proportions_compared(int(a.successes), int(a.n), int(b.successes), int(b.n))
        diff = b.value - a.value if a.defined and b.defined else math.nan
        raw.append((arm, diff, low, high, test))
    p_values = [t.p_value for *_, t in raw]
    adjusted = holm_adjust(p_values) if len(raw) > 1 else p_values
    srm = SampleRatio(
        observed=tuple(_traffic(a.samples) for a in arms),
        planned=shares,
        test=chi_square_goodness_of_fit([_traffic(a.samples) for a in arms], shares),
    )
    comparisons: list[Comparison] = []
    for (arm, diff, low, high, test), p_adj in zip(raw, adjusted, strict=True):
        wa, wb = control.quality.satisfaction_weighted, arm.quality.satisfaction_weighted
        weighted: tuple[float | None, float | None, float | None] = (None, None, None)
        if wa is not None or wb is not None:
            wa, wb = wa or control.satisfaction, wb or arm.satisfaction
            wl, wh = difference_interval(wa, wb, confidence)
            weighted = (wb.value - wa.value, wl, wh)
        comparisons.append(
            Comparison(
                arm=arm.name,
                control=control.name,
                difference=diff,
                low=low,
                high=high,
                test=test,
                adjusted_p=p_adj,
                significant=(
                    not math.isnan(p_adj)
                    and p_adj < alpha
                    and arm.enough
                    and control.enough
                    and not srm.mismatch
                ),
                weighted_difference=weighted[0],
                weighted_low=weighted[1],
                weighted_high=weighted[2],
            )
        )
    notes = []
    if len(raw) > 1:
        notes.append(f"p-values Holm-adjusted for {len(raw)} comparisons with the control")
    if any(c.test.test == "fisher" for c in comparisons):
        notes.append("Fisher's exact test where an expected cell count is below 5")
    return ExperimentResult(
        name=name,
        arms=results,
        comparisons=tuple(comparisons),
        sample_ratio=srm,
        min_samples_per_arm=min_samples_per_arm,
        confidence=confidence,
        alpha=alpha,
        notes=tuple(notes),
    )
