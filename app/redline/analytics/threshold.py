"""Threshold analysis: what a policy's decision would do at any threshold, on reviewed samples.

A policy acts on a score: `score >= t` (direction "ge") or `score <= t` ("le") triggers
its action (auto-send, block, ...). Reviewer verdicts say whether the action was right:
for an auto-send it is right on a *good* output, for a block on a *bad* one (the policy's
`target` verdict, see `action_target`). With "positive" meaning "the action is taken":

    TP  acted and the verdict is the target      (auto-sent, good)
    FP  acted and it is not                      (auto-sent, bad)   the costly mistake
    FN  held back though it was the target       (sent to a human, good)
    TN  held back and it was not                 (sent to a human, bad)

    precision  TP / (TP + FP)       recall  TP / (TP + FN)        FPR  FP / (FP + TN)
    override   (FP + FN) / reviewed: the share of reviewed samples where the reviewer's
               verdict contradicts the policy's decision at t (a human would overturn it)
    automation share of *all* scored traffic in scope (reviewed or not) that is acted on

Every rate carries a Wilson interval. With inclusion probabilities (weighted sampling at
import) each sample weighs 1/p: rates are then re-weighted to production traffic and the
interval is Wilson at Kish's effective n of the rate's denominator (as
`stats.weighted_rate`).

Speed: each class of samples is sorted once and carries cumulative sums of its weights
and squared weights; the counts at any threshold are then one `searchsorted` per class,
so dragging a threshold costs microseconds however many samples there are, and a whole
curve is one vectorised call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from redline.analytics.stats import Rate, wilson_interval, wilson_intervals

__all__ = [
    "BAD",
    "DISPUTED",
    "GOOD",
    "MIN_SEGMENT_REVIEWED",
    "UNREVIEWED",
    "UNSURE",
    "Cell",
    "CurveTable",
    "Direction",
    "GroundTruth",
    "OperatingPoint",
    "ScoredSamples",
    "SegmentCurves",
    "Suggestion",
    "Target",
    "ThresholdCurves",
    "action_target",
    "build_curves",
    "describe_change",
    "proposal_evidence",
    "resolve_verdicts",
    "segment_curves",
]

Direction = Literal["ge", "le"]
Target = Literal["good", "bad"]
Cell = Literal["tp", "fp", "fn", "tn"]
FloatArray = npt.NDArray[np.float64]

# Ground-truth label of a sample (int8 codes).
GOOD, BAD, UNSURE, DISPUTED, UNREVIEWED = 1, 0, -1, -2, -3

# Below this many reviewed (good or bad) samples a segment's rates are too uncertain to
# move a threshold on: the studio and the CLI warn.
MIN_SEGMENT_REVIEWED = 30

# Words in an action's name that mean it is meant for bad outputs (a guardrail).
_BAD_TARGET_WORDS = ("block", "reject", "escalate", "flag", "filter", "refuse", "hold", "deny")


def action_target(action: str) -> Target:
    """Which verdict the action is right for: "bad" for guardrails, else "good".

    The policy table has no column for it, so it follows the action's name: block,
    reject, escalate, flag, filter, refuse, hold or deny act on bad outputs; anything
    else (auto_send, approve, publish) on good ones.
    """
    name = action.lower()
    return "bad" if any(word in name for word in _BAD_TARGET_WORDS) else "good"


# --------------------------------------------------------------------------- ground truth


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Each sample's label (GOOD, BAD, UNSURE, DISPUTED, UNREVIEWED) and the tallies.

    Attributes:
        labels: one int8 code per sample.
        adjudicated: samples whose label came from an adjudicated review.
        majority: samples with several reviewers' verdicts resolved by majority.
    """

    labels: npt.NDArray[np.int8]
    adjudicated: int
    majority: int

    def count(self, code: int) -> int:
        return int(np.count_nonzero(self.labels == code))


def resolve_verdicts(
    sample_index: npt.ArrayLike,
    verdicts: Sequence[str | None] | npt.ArrayLike,
    adjudicated: npt.ArrayLike,
    n_samples: int,
) -> GroundTruth:
    """One label per sample from its reviews (one row per review).

    Rules: an adjudicated review (a lead's final word) overrides the others. Otherwise
    the reviewers vote: good beats bad by majority; "unsure" and empty verdicts
    abstain. A sample whose votes are all unsure is UNSURE, a good/bad tie is DISPUTED;
    both are excluded from the rates and counted. Several adjudicated reviews vote
    among themselves by the same rule.
    """
    index = np.asarray(sample_index, dtype=np.int64)
    v = np.asarray(verdicts, dtype=object)
    adj = np.asarray(adjudicated, dtype=bool)
    if not (index.shape == v.shape == adj.shape):
        raise ValueError("sample_index, verdicts and adjudicated must have the same length")

    def tally(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(index[mask], minlength=n_samples)

    is_good, is_bad = v == "good", v == "bad"
    reviews = tally(np.ones_like(adj))
    adj_reviews = tally(adj)
    use_adj = adj_reviews > 0
    good = np.where(use_adj, tally(adj & is_good), tally(~adj & is_good))
    bad = np.where(use_adj, tally(adj & is_bad), tally(~adj & is_bad))
    labels = np.full(n_samples, UNREVIEWED, dtype=np.int8)
    reviewed = reviews > 0
    labels[reviewed] = UNSURE
    labels[reviewed & (good > 0) & (good == bad)] = DISPUTED
    labels[good > bad] = GOOD
    labels[bad > good] = BAD
    decided = (labels == GOOD) | (labels == BAD)
    voters = np.where(use_adj, adj_reviews, reviews - adj_reviews)
    return GroundTruth(
        labels=labels,
        adjudicated=int(np.count_nonzero(decided & use_adj)),
        majority=int(np.count_nonzero(decided & ~use_adj & (voters > 1))),
    )


@dataclass(frozen=True)
class ScoredSamples:
    """Every sample in a policy's scope that has a score, as arrays (reviewed or not).

    Attributes:
        scores: the policy's score per sample.
        labels: ground truth codes (see `resolve_verdicts`).
        inclusion_prob: the sampling probability at import (weights are 1/p).
        segments: dimension ("language", "model", ...) -> the value per sample as text
            ("" when the sample has none).
        truth: the tallies of how labels were resolved.
        without_score: samples in scope that have no usable score (left out).
        sample_ids: the samples' ids, when known (to open a cell of the confusion
            matrix in the review queue).
    """

    scores: FloatArray
    labels: npt.NDArray[np.int8]
    inclusion_prob: FloatArray
    segments: Mapping[str, npt.NDArray[np.object_]] = field(default_factory=dict)
    truth: GroundTruth | None = None
    without_score: int = 0
    sample_ids: npt.NDArray[np.object_] | None = None
    _codes: dict[str, tuple[list[str], npt.NDArray[np.intp]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        n = len(self.scores)
        if len(self.labels) != n or len(self.inclusion_prob) != n:
            raise ValueError("scores, labels and inclusion_prob must have the same length")
        for name, values in self.segments.items():
            if len(values) != n:
                raise ValueError(f"segment {name!r} has {len(values)} values for {n} samples")

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def weights(self) -> FloatArray:
        p = np.asarray(self.inclusion_prob, dtype=float)
        # A probability of 0 or less cannot have been sampled; treat it as "all imported".
        return np.where((p > 0) & (p <= 1), 1.0 / np.where(p > 0, p, 1.0), 1.0)

    @property
    def has_weights(self) -> bool:
        """True when some samples were taken with a probability below 1."""
        return bool(np.any(self.inclusion_prob < 1.0))

    def count(self, code: int) -> int:
        return int(np.count_nonzero(self.labels == code))

    def segment_codes(self, dimension: str) -> tuple[list[str], npt.NDArray[np.intp]]:
        """The distinct values of `dimension` as text, and each sample's index among them.

        Hashed once per dimension and kept (the samples never change), so slicing a
        million samples by cohort is an integer comparison, not a string one.
        """
        cached = self._codes.get(dimension)
        if cached is not None:
            return cached
        values = self.segments.get(dimension)
        if values is None:
            raise ValueError(f"unknown segment dimension {dimension!r}")
        codes, uniques = pd.factorize(values)
        names = [str(u) for u in uniques]
        if len(set(names)) < len(names):  # values that only differ by type: 1 and "1"
            codes, uniques = pd.factorize(values.astype(str))
            names = [str(u) for u in uniques]
        result = (names, np.asarray(codes, dtype=np.intp))
        self._codes[dimension] = result
        return result

    def segment_mask(self, dimension: str, value: str) -> npt.NDArray[np.bool_]:
        """The samples whose `dimension` is `value`."""
        names, codes = self.segment_codes(dimension)
        if value not in names:
            return np.zeros(len(self), dtype=bool)
        mask: npt.NDArray[np.bool_] = codes == names.index(value)
        return mask

    def segment_values(
        self, dimension: str, within: npt.NDArray[np.bool_] | None = None
    ) -> list[str]:
        """The values of `dimension`, most reviewed samples first (only those present
        `within` a mask, when given)."""
        if dimension not in self.segments:
            return []
        names, codes = self.segment_codes(dimension)
        labelled = (self.labels == GOOD) | (self.labels == BAD)
        present = np.ones(len(self), dtype=bool) if within is None else within
        reviewed = np.bincount(codes[present & labelled], minlength=len(names))
        every = np.bincount(codes[present], minlength=len(names))
        ranked = sorted(range(len(names)), key=lambda i: (-reviewed[i], names[i]))
        return [names[i] for i in ranked if every[i] > 0]


# --------------------------------------------------------------------------- counting

# Inclusion probabilities come from sampling strata, so a set usually has a handful of
# distinct weights. Up to this many, each class is sorted per weight (a plain sort, the
# fast one) and a weight's cumulative sum is a count times the weight; beyond it every
# sample carries its own weight and the class is argsorted (several times slower).
MAX_WEIGHT_LEVELS = 16


@dataclass(frozen=True, slots=True)
class _Run:
    """Scores sorted ascending that weigh `weight` each, or per sample when `cum_w` is
    set (cumulative sums of the weights and squared weights in score order, 0 first)."""

    sorted: FloatArray
    weight: float = 1.0
    cum_w: FloatArray | None = None
    cum_w2: FloatArray | None = None
    weights: FloatArray | None = None

    @property
    def total(self) -> tuple[float, float]:
        if self.cum_w is None or self.cum_w2 is None:
            n = len(self.sorted)
            return n * self.weight, n * self.weight * self.weight
        return float(self.cum_w[-1]), float(self.cum_w2[-1])

    def acted(self, thresholds: FloatArray, direction: Direction) -> tuple[FloatArray, FloatArray]:
        """(Σw, Σw²) of the members on the action's side of each threshold."""
        if direction == "ge":
            i = np.searchsorted(self.sorted, thresholds, side="left")
            if self.cum_w is None or self.cum_w2 is None:
                count = (len(self.sorted) - i).astype(float)
                return count * self.weight, count * (self.weight * self.weight)
            total_w, total_w2 = self.total
            return total_w - self.cum_w[i], total_w2 - self.cum_w2[i]
        i = np.searchsorted(self.sorted, thresholds, side="right")
        if self.cum_w is None or self.cum_w2 is None:
            count = i.astype(float)
            return count * self.weight, count * (self.weight * self.weight)
        return self.cum_w[i], self.cum_w2[i]

    def scores_and_weights(self) -> tuple[FloatArray, FloatArray]:
        if self.weights is not None:
            return self.sorted, self.weights
        return self.sorted, np.full(len(self.sorted), self.weight)


class _Side:
    """One class of samples (target, other or neither), as runs sorted by score.

    `acted(t)` gives the (Σw, Σw²) of the members on the action's side of each t.
    """

    def __init__(self, runs: Sequence[_Run], direction: Direction) -> None:
        self.runs = [run for run in runs if len(run.sorted)]
        self.direction = direction
        self.n = sum(len(run.sorted) for run in self.runs)
        totals = [run.total for run in self.runs]
        self.total_w = float(sum(w for w, _ in totals))
        self.total_w2 = float(sum(w2 for _, w2 in totals))

    def acted(self, thresholds: FloatArray) -> tuple[FloatArray, FloatArray]:
        w = np.zeros(np.shape(thresholds))
        w2 = np.zeros(np.shape(thresholds))
        for run in self.runs:
            a, b = run.acted(thresholds, self.direction)
            w = w + a
            w2 = w2 + b
        return w, w2

    def scores(self, weighted: bool) -> tuple[FloatArray, FloatArray | None]:
        """Every member's score (and weight when `weighted`), for histograms."""
        if len(self.runs) == 1 and not weighted:
            return self.runs[0].sorted, None
        if not self.runs:
            return np.empty(0), (np.empty(0) if weighted else None)
        pairs = [run.scores_and_weights() for run in self.runs]
        scores = np.concatenate([s for s, _ in pairs])
        return scores, (np.concatenate([w for _, w in pairs]) if weighted else None)


@dataclass(frozen=True, slots=True)
class _Fixed:
    """Samples whose decision does not move with t (a segment with its own threshold)."""

    acted_w: float = 0.0
    acted_w2: float = 0.0
    total_w: float = 0.0
    total_w2: float = 0.0

    def acted(self, thresholds: FloatArray) -> tuple[FloatArray, FloatArray]:
        shape = np.shape(thresholds)
        return np.full(shape, self.acted_w), np.full(shape, self.acted_w2)


def _fixed(
    scores: FloatArray, weights: FloatArray | None, direction: Direction, threshold: float
) -> _Fixed:
    """Counts at one threshold need no sorting: a comparison and two sums."""
    acted = scores >= threshold if direction == "ge" else scores <= threshold
    if weights is None:
        k, n = float(np.count_nonzero(acted)), float(len(scores))
        return _Fixed(k, k, n, n)
    w = weights
    return _Fixed(
        float(w[acted].sum()), float((w[acted] ** 2).sum()), float(w.sum()), float((w**2).sum())
    )


def _sum_acted(
    sides: Sequence[_Side | _Fixed], thresholds: FloatArray
) -> tuple[FloatArray, FloatArray]:
    w = np.zeros(np.shape(thresholds))
    w2 = np.zeros(np.shape(thresholds))
    for side in sides:
        a, b = side.acted(thresholds)
        w = w + a
        w2 = w2 + b
    return w, w2


def _weight_levels(weights: FloatArray) -> tuple[FloatArray, npt.NDArray[np.int8]] | None:
    """The distinct weights and each sample's index among them (None: too many)."""
    if weights.size == 0 or weights.min() == weights.max():
        level = float(weights[0]) if weights.size else 1.0
        return np.array([level]), np.zeros(weights.size, dtype=np.int8)
    levels = np.unique(weights)
    if levels.size > MAX_WEIGHT_LEVELS:
        return None
    return levels, np.searchsorted(levels, weights).astype(np.int8)


def _sorted_classes(
    scores: FloatArray,
    classes: npt.NDArray[np.int8],
    n_classes: int,
    weights: FloatArray | None,
) -> list[list[_Run]]:
    """The runs of each class (codes 0..n_classes-1; any other code is left out).

    One stable argsort of the small integer codes (numpy does it as a radix sort, in
    linear time) groups the samples by class and weight level; each group is then
    sorted by score on its own. So a million scores cost one plain sort in total,
    instead of a sort per class plus another of all traffic.
    """
    levels = None if weights is None else _weight_levels(weights)
    if weights is None or levels is None:
        codes, n_levels, values = classes, 1, np.array([1.0])
    else:
        values, level_index = levels
        n_levels = len(values)
        codes = np.where(classes < n_classes, classes * n_levels + level_index, 127)
        codes = codes.astype(np.int8)
    n_groups = n_classes * n_levels
    counts = np.bincount(np.clip(codes, 0, n_groups), minlength=n_groups + 1)[:n_groups]
    order = np.argsort(codes, kind="stable")[: int(counts.sum())]
    grouped = scores[order]
    grouped_w = None if weights is None else weights[order]
    bounds = np.concatenate(([0], np.cumsum(counts)))
    result: list[list[_Run]] = [[] for _ in range(n_classes)]
    for group in range(n_groups):
        start, end = int(bounds[group]), int(bounds[group + 1])
        if start == end:
            continue
        part = grouped[start:end]
        if weights is not None and levels is None:
            assert grouped_w is not None
            # Every sample has its own weight: the weights must follow the scores' order.
            by_score = np.argsort(part)
            w = grouped_w[start:end][by_score]
            run = _Run(
                part[by_score],
                cum_w=np.concatenate(([0.0], np.cumsum(w))),
                cum_w2=np.concatenate(([0.0], np.cumsum(w * w))),
                weights=w,
            )
        else:
            part.sort()  # in place: `grouped` is our own copy
            run = _Run(part, weight=float(values[group % n_levels]))
        result[group // n_levels].append(run)
    return result


def _rates(
    hits_w: FloatArray, den_w: FloatArray, den_w2: FloatArray, confidence: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """value, low, high, effective n of hits/den for arrays (NaN value where den is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den_w > 0, hits_w / np.where(den_w > 0, den_w, 1.0), np.nan)
        n_eff = np.where(den_w2 > 0, den_w * den_w / np.where(den_w2 > 0, den_w2, 1.0), 0.0)
    low, high = wilson_intervals(np.nan_to_num(value) * n_eff, n_eff, confidence)
    return value, low, high, n_eff


def _rate(hits_w: float, den_w: float, den_w2: float, confidence: float) -> Rate:
    """The scalar twin of `_rates`, as a `stats.Rate`."""
    if den_w <= 0 or den_w2 <= 0:
        return Rate(value=math.nan, low=0.0, high=1.0, successes=0.0, n=0.0)
    value = hits_w / den_w
    n_eff = den_w * den_w / den_w2
    successes = min(max(value * n_eff, 0.0), n_eff)
    low, high = wilson_interval(successes, n_eff, confidence)
    return Rate(value=value, low=low, high=high, successes=successes, n=n_eff)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Everything about the policy at one threshold.

    `tp`, `fp`, `fn`, `tn` are (weighted) counts of reviewed samples; `reviewed` and
    `traffic` are plain sample counts behind them.
    """

    threshold: float
    tp: float
    fp: float
    fn: float
    tn: float
    precision: Rate
    recall: Rate
    fpr: Rate
    override: Rate
    automation: Rate
    reviewed: int
    traffic: int
    weighted: bool

    def as_dict(self) -> dict[str, object]:
        """Plain numbers for JSON (a proposal's evidence, the CLI's --json)."""

        def r(rate: Rate) -> dict[str, float | None]:
            value = None if math.isnan(rate.value) else round(rate.value, 6)
            return {"value": value, "low": round(rate.low, 6), "high": round(rate.high, 6),
                    "n": round(rate.n, 3)}  # fmt: skip

        return {
            "threshold": self.threshold,
            "weighted": self.weighted,
            "reviewed": self.reviewed,
            "traffic": self.traffic,
            "confusion": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
            "precision": r(self.precision),
            "recall": r(self.recall),
            "fpr": r(self.fpr),
            "override": r(self.override),
            "automation": r(self.automation),
        }


@dataclass(frozen=True, slots=True)
class CurveTable:
    """The rates on a grid of thresholds (arrays of the same length as `thresholds`).

    Each rate has `<name>`, `<name>_low`, `<name>_high` (NaN where undefined).
    """

    thresholds: FloatArray
    values: Mapping[str, FloatArray]

    def __getitem__(self, name: str) -> FloatArray:
        return self.values[name]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A proposed threshold and why (threshold None: no threshold meets the goal)."""

    threshold: float | None
    explanation: str
    point: OperatingPoint | None


RATE_NAMES = ("precision", "recall", "fpr", "override", "automation")


class ThresholdCurves:
    """The policy's rates at any threshold, for one slice of samples.

    Built once (sorting), then `at(t)` is a handful of binary searches and `table()`
    one vectorised pass. Read-only after construction: safe to share between threads.

    Attributes:
        direction, target: the policy's rule (see the module docstring).
        current: the production threshold of this slice (None if it has several).
        reviewed: good + bad samples behind the rates; `traffic` all scored samples.
        weighted: rates are re-weighted by 1/inclusion probability.
    """

    def __init__(
        self,
        samples: ScoredSamples,
        *,
        direction: Direction,
        target: Target,
        current: float | None,
        weighted: bool,
        mask: npt.NDArray[np.bool_] | None = None,
        fixed: Mapping[float, npt.NDArray[np.bool_]] | None = None,
        confidence: float = 0.95,
    ) -> None:
        if direction not in ("ge", "le"):
            raise ValueError(f"direction must be 'ge' or 'le' (got {direction!r})")
        self.direction: Direction = direction
        self.target: Target = target
        self.current = current
        self.weighted = weighted
        self.confidence = confidence
        scope = np.ones(len(samples), dtype=bool) if mask is None else mask
        weights = samples.weights if weighted else None
        labels = samples.labels
        is_good = labels == GOOD
        is_bad = labels == BAD
        target_mask, other_mask = (is_good, is_bad) if target == "good" else (is_bad, is_good)
        # Samples of segments with their own threshold: decided at that threshold always.
        moving = scope.copy()
        fixed_parts: list[tuple[float, npt.NDArray[np.bool_]]] = []
        for value, segment_mask in (fixed or {}).items():
            part = scope & segment_mask
            if part.any():
                fixed_parts.append((value, part))
                moving &= ~segment_mask
        # Class per sample: 0 the action's target verdict, 1 the other, 2 neither
        # (unsure, tied, unreviewed: traffic only), 3 not moving with the candidate.
        classes = np.full(len(samples), 3, dtype=np.int8)
        classes[moving] = 2
        classes[moving & target_mask] = 0
        classes[moving & other_mask] = 1
        target_runs, other_runs, rest_runs = _sorted_classes(samples.scores, classes, 3, weights)
        target_side = _Side(target_runs, direction)
        other_side = _Side(other_runs, direction)
        self._targets: list[_Side | _Fixed] = [target_side]
        self._others: list[_Side | _Fixed] = [other_side]
        # Automation counts all traffic: the three classes together, no sort of its own.
        self._traffic: list[_Side | _Fixed] = [target_side, other_side, _Side(rest_runs, direction)]

        def fixed_counts(m: npt.NDArray[np.bool_], value: float) -> _Fixed:
            return _fixed(samples.scores[m], None if weights is None else weights[m], direction,
                          value)  # fmt: skip

        for value, part in fixed_parts:
            self._targets.append(fixed_counts(part & target_mask, value))
            self._others.append(fixed_counts(part & other_mask, value))
            self._traffic.append(fixed_counts(part, value))
        self.reviewed = target_side.n + other_side.n
        self.traffic = int(np.count_nonzero(scope))
        self.unsure = int(np.count_nonzero(scope & (labels == UNSURE)))
        self.disputed = int(np.count_nonzero(scope & (labels == DISPUTED)))
        self.has_fixed = bool(fixed_parts)
        self._samples = samples
        self._scope = scope
        self._fixed_parts = fixed_parts
        # For the distributions plot: the scores (and weights) of good and bad samples,
        # the sorted runs themselves when nothing else is in them (no copy).
        good_side, bad_side = (
            (target_side, other_side) if target == "good" else (other_side, target_side)
        )
        self.good_scores, self.good_weights = good_side.scores(weighted)
        self.bad_scores, self.bad_weights = bad_side.scores(weighted)
        ends: list[float] = []
        for run in (*target_runs, *other_runs, *rest_runs):
            if len(run.sorted):
                ends += [float(run.sorted[0]), float(run.sorted[-1])]
        for _, part in fixed_parts:
            self.reviewed += int(np.count_nonzero(part & (is_good | is_bad)))
            scores = samples.scores[part]
            ends += [float(scores.min()), float(scores.max())]
            if target == "good":
                good_m, bad_m = part & target_mask, part & other_mask
            else:
                good_m, bad_m = part & other_mask, part & target_mask
            self.good_scores = np.concatenate((self.good_scores, samples.scores[good_m]))
            self.bad_scores = np.concatenate((self.bad_scores, samples.scores[bad_m]))
            if self.good_weights is not None and self.bad_weights is not None:
                assert weights is not None
                self.good_weights = np.concatenate((self.good_weights, weights[good_m]))
                self.bad_weights = np.concatenate((self.bad_weights, weights[bad_m]))
        self.score_range = (min(ends), max(ends)) if ends else (0.0, 1.0)

    def members(self, threshold: float, cell: Cell) -> npt.NDArray[np.intp]:
        """The positions (in the ScoredSamples) of the reviewed samples in one cell of
        the confusion matrix at `threshold`: "tp", "fp", "fn" or "tn".

        The same rule as the counts: segments with their own threshold stay at it.
        """
        if cell not in ("tp", "fp", "fn", "tn"):
            raise ValueError(f"unknown cell {cell!r} (tp, fp, fn or tn)")
        samples = self._samples
        scores = samples.scores

        def acts(t: float, values: FloatArray) -> npt.NDArray[np.bool_]:
            return values >= t if self.direction == "ge" else values <= t

        acted = acts(threshold, scores)
        for value, part in self._fixed_parts:
            acted[part] = acts(value, scores[part])
        is_good = samples.labels == GOOD
        is_bad = samples.labels == BAD
        target, other = (is_good, is_bad) if self.target == "good" else (is_bad, is_good)
        verdict = target if cell in ("tp", "fn") else other
        decision = acted if cell in ("tp", "fp") else ~acted
        return np.flatnonzero(self._scope & verdict & decision)

    # -- counts ---------------------------------------------------------------------

    def _counts(self, thresholds: FloatArray) -> dict[str, FloatArray]:
        tp, tp2 = _sum_acted(self._targets, thresholds)
        fp, fp2 = _sum_acted(self._others, thresholds)
        auto, auto2 = _sum_acted(self._traffic, thresholds)
        target_w = sum(s.total_w for s in self._targets)
        target_w2 = sum(s.total_w2 for s in self._targets)
        other_w = sum(s.total_w for s in self._others)
        other_w2 = sum(s.total_w2 for s in self._others)
        return {
            "tp": tp, "tp2": tp2, "fp": fp, "fp2": fp2,
            "fn": target_w - tp, "fn2": target_w2 - tp2,
            "tn": other_w - fp, "tn2": other_w2 - fp2,
            "auto": auto, "auto2": auto2,
            "traffic": np.full(np.shape(thresholds), sum(s.total_w for s in self._traffic)),
            "traffic2": np.full(np.shape(thresholds), sum(s.total_w2 for s in self._traffic)),
        }  # fmt: skip

    def table(self, thresholds: npt.ArrayLike | None = None, *, points: int = 201) -> CurveTable:
        """Every rate with its interval on `thresholds` (default: `points` across the
        score range)."""
        if thresholds is None:
            low, high = self.score_range
            pad = (high - low) * 0.02 or 0.01
            grid = np.linspace(low - pad, high + pad, points)
        else:
            grid = np.asarray(thresholds, dtype=float)
        c = self._counts(grid)
        z = self.confidence
        values: dict[str, FloatArray] = {}
        specs = {
            "precision": (c["tp"], c["tp"] + c["fp"], c["tp2"] + c["fp2"]),
            "recall": (c["tp"], c["tp"] + c["fn"], c["tp2"] + c["fn2"]),
            "fpr": (c["fp"], c["fp"] + c["tn"], c["fp2"] + c["tn2"]),
            "override": (
                c["fp"] + c["fn"],
                c["tp"] + c["fp"] + c["fn"] + c["tn"],
                c["tp2"] + c["fp2"] + c["fn2"] + c["tn2"],
            ),
            "automation": (c["auto"], c["traffic"], c["traffic2"]),
        }
        for name, (hits, den, den2) in specs.items():
            value, lo, hi, n_eff = _rates(hits, den, den2, z)
            values[name], values[f"{name}_low"], values[f"{name}_high"] = value, lo, hi
            values[f"{name}_n"] = n_eff
        for name in ("tp", "fp", "fn", "tn"):
            values[name] = c[name]
        return CurveTable(thresholds=grid, values=values)

    def at(self, threshold: float) -> OperatingPoint:
        """The operating point at `threshold` (cheap: call it on every mouse move)."""
        c = {k: float(v[0]) for k, v in self._counts(np.array([threshold])).items()}
        z = self.confidence
        reviewed_w = c["tp"] + c["fp"] + c["fn"] + c["tn"]
        reviewed_w2 = c["tp2"] + c["fp2"] + c["fn2"] + c["tn2"]
        return OperatingPoint(
            threshold=float(threshold),
            tp=c["tp"],
            fp=c["fp"],
            fn=c["fn"],
            tn=c["tn"],
            precision=_rate(c["tp"], c["tp"] + c["fp"], c["tp2"] + c["fp2"], z),
            recall=_rate(c["tp"], c["tp"] + c["fn"], c["tp2"] + c["fn2"], z),
            fpr=_rate(c["fp"], c["fp"] + c["tn"], c["fp2"] + c["tn2"], z),
            override=_rate(c["fp"] + c["fn"], reviewed_w, reviewed_w2, z),
            automation=_rate(c["auto"], c["traffic"], c["traffic2"], z),
            reviewed=self.reviewed,
            traffic=self.traffic,
            weighted=self.weighted,
        )

    # -- suggestions ----------------------------------------------------------------

    def _candidates(self) -> FloatArray:
        """Thresholds that give every distinct decision on the reviewed samples."""
        scores = np.unique(np.concatenate([self.good_scores, self.bad_scores]))
        if scores.size == 0:
            return scores
        # One more that acts on nothing (ge: above the top score; le: below the lowest).
        if self.direction == "ge":
            return np.concatenate((scores, [np.nextafter(scores[-1], np.inf)]))
        return np.concatenate(([np.nextafter(scores[0], -np.inf)], scores))

    def suggest_by_cost(self, fp_cost: float, fn_cost: float) -> Suggestion:
        """The threshold with the lowest expected cost per reviewed sample.

        Ties go to the threshold that automates more.
        """
        if fp_cost < 0 or fn_cost < 0 or fp_cost + fn_cost == 0:
            raise ValueError("costs must be non-negative and not both zero")
        candidates = self._candidates()
        if candidates.size == 0:
            return Suggestion(None, "No reviewed good or bad samples: nothing to go on.", None)
        table = self.table(candidates)
        total = table["tp"] + table["fp"] + table["fn"] + table["tn"]
        cost = (fp_cost * table["fp"] + fn_cost * table["fn"]) / np.where(total > 0, total, 1)
        best_cost = float(np.min(cost))
        best = np.flatnonzero(np.isclose(cost, best_cost, rtol=1e-12, atol=1e-15))
        choice = best[np.argmax(table["automation"][best])]
        threshold = float(candidates[choice])
        point = self.at(threshold)
        lines = [
            f"With a false positive costing {fp_cost:g} and a false negative {fn_cost:g}, "
            f"{_fmt_t(threshold)} has the lowest expected cost: {best_cost:.3f} per reviewed "
            f"sample ({_n(point.fp)} false positives, {_n(point.fn)} false negatives "
            f"on {point.reviewed:,} reviewed samples)."
        ]
        if self.current is not None:
            now = self.at(self.current)
            now_total = now.tp + now.fp + now.fn + now.tn
            now_cost = (fp_cost * now.fp + fn_cost * now.fn) / now_total if now_total else 0
            lines.append(
                f"At the current {_fmt_t(self.current)} it is {now_cost:.3f} "
                f"({_n(now.fp)} false positives, {_n(now.fn)} false negatives)."
            )
            if abs(threshold - self.current) > 1e-12:
                lines.append(describe_change(now, point) + ".")
        return Suggestion(threshold, " ".join(lines), point)

    def suggest_for_precision(self, target: float, *, lower_bound: bool = True) -> Suggestion:
        """The threshold that automates most while precision reaches `target`.

        With `lower_bound` (default) the *lower end* of the precision interval must
        reach it, so a handful of lucky samples cannot carry the decision.
        """
        if not 0 < target < 1:
            raise ValueError(f"target precision must be between 0 and 1 (got {target})")
        candidates = self._candidates()
        if candidates.size == 0:
            return Suggestion(None, "No reviewed good or bad samples: nothing to go on.", None)
        table = self.table(candidates)
        measure = table["precision_low"] if lower_bound else table["precision"]
        acted = table["tp"] + table["fp"]
        ok = (acted > 0) & (np.nan_to_num(measure, nan=0.0) >= target)
        which = "the lower end of its 95 % interval" if lower_bound else "its estimate"
        if not ok.any():
            best = int(np.nanargmax(np.nan_to_num(measure, nan=-1.0)))
            return Suggestion(
                None,
                f"No threshold reaches {100 * target:.1f} % precision by {which}: the "
                f"best is {100 * float(measure[best]):.1f} % at {_fmt_t(candidates[best])} "
                f"on {self.reviewed:,} reviewed samples. Review more samples or lower the "
                "target.",
                None,
            )
        feasible = np.flatnonzero(ok)
        choice = feasible[np.argmax(table["automation"][feasible])]
        threshold = float(candidates[choice])
        point = self.at(threshold)
        lines = [
            f"{_fmt_t(threshold)} automates the most traffic "
            f"({100 * point.automation.value:.1f} %) while precision stays at "
            f"{100 * target:.1f} % or more by {which} "
            f"({point.precision.percent()})."
        ]
        if self.current is not None and abs(threshold - self.current) > 1e-12:
            lines.append(describe_change(self.at(self.current), point) + ".")
        return Suggestion(threshold, " ".join(lines), point)


def _fmt_t(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)


def _n(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def _change(old: float, new: float) -> str:
    if old == 0:
        return "±0 %" if new == 0 else f"from 0 to {_n(new)}"
    delta = 100 * (new - old) / old
    if round(delta) == 0:
        return "±0 %"
    return f"{'+' if delta > 0 else '−'}{abs(delta):.0f} %"


def describe_change(old: OperatingPoint, new: OperatingPoint) -> str:
    """'false positives −48 %, automation −6 %, on 1,240 reviewed samples'."""
    automation_old = 0.0 if math.isnan(old.automation.value) else old.automation.value
    automation_new = 0.0 if math.isnan(new.automation.value) else new.automation.value
    weighted = " (weighted to production traffic)" if new.weighted else ""
    return (
        f"{_fmt_t(old.threshold)} → {_fmt_t(new.threshold)}: "
        f"false positives {_change(old.fp, new.fp)}, "
        f"false negatives {_change(old.fn, new.fn)}, "
        f"automation {_change(automation_old, automation_new)}, "
        f"on {new.reviewed:,} reviewed samples{weighted}"
    )


# --------------------------------------------------------------------------- building


def build_curves(
    samples: ScoredSamples,
    *,
    direction: Direction,
    target: Target,
    threshold: float,
    segment_field: str | None = None,
    segment_thresholds: Mapping[str, float] | None = None,
    segment: str | None = None,
    weighted: bool = False,
) -> ThresholdCurves:
    """The curves of the whole scope (`segment` None) or of one value of `segment_field`.

    For the whole scope, segments with their own threshold stay at it while the
    candidate moves the default, exactly as the policy would run in production.
    """
    overrides = dict(segment_thresholds or {})
    known = segment_field is not None and segment_field in samples.segments
    if segment is not None:
        if not known:
            raise ValueError(f"no segment field {segment_field!r} to slice by")
        assert segment_field is not None
        current = float(overrides.get(segment, threshold))
        return ThresholdCurves(
            samples, direction=direction, target=target, current=current,
            weighted=weighted, mask=samples.segment_mask(segment_field, segment),
        )  # fmt: skip
    fixed: dict[float, npt.NDArray[np.bool_]] = {}
    if known:
        assert segment_field is not None
        for value, t in overrides.items():
            m = samples.segment_mask(segment_field, value)
            fixed[float(t)] = fixed[float(t)] | m if float(t) in fixed else m
    return ThresholdCurves(
        samples, direction=direction, target=target, current=float(threshold),
        weighted=weighted, fixed=fixed,
    )  # fmt: skip


@dataclass(frozen=True)
class SegmentCurves:
    """One cohort's curves, with a warning when it has too few reviewed samples.

    `chosen` marks the cohort being tuned when the small multiples compare the
    policy's own segments.
    """

    value: str
    curves: ThresholdCurves
    warning: str
    chosen: bool = False


def segment_curves(
    samples: ScoredSamples,
    dimension: str,
    *,
    direction: Direction,
    target: Target,
    threshold: float,
    segment_field: str | None = None,
    segment_thresholds: Mapping[str, float] | None = None,
    cohort: str | None = None,
    weighted: bool = False,
    limit: int = 12,
    min_reviewed: int = MIN_SEGMENT_REVIEWED,
) -> list[SegmentCurves]:
    """Curves per value of `dimension` (the most reviewed `limit` values), for small
    multiples. A cohort's current threshold is its own when `dimension` is the
    policy's segment field and it has one.

    With `cohort` (a value of `segment_field`), the multiples compare the values of
    `dimension` *within* that cohort, at its threshold: where the cohort's threshold
    hurts whom. When `dimension` is the segment field itself, narrowing would leave one
    panel, so every cohort is shown and the chosen one is marked.
    """
    if dimension not in samples.segments:
        raise ValueError(f"unknown segment dimension {dimension!r}")
    overrides = dict(segment_thresholds or {})
    within: npt.NDArray[np.bool_] | None = None
    default = threshold
    if cohort is not None and segment_field is not None and dimension != segment_field:
        if segment_field not in samples.segments:
            raise ValueError(f"no segment field {segment_field!r} to slice by")
        within = samples.segment_mask(segment_field, cohort)
        default = float(overrides.get(cohort, threshold))
    own = overrides if dimension == segment_field else {}
    result: list[SegmentCurves] = []
    for value in samples.segment_values(dimension, within)[:limit]:
        mask = samples.segment_mask(dimension, value)
        curves = ThresholdCurves(
            samples,
            direction=direction,
            target=target,
            current=float(own.get(value, default)),
            weighted=weighted,
            mask=mask if within is None else mask & within,
        )
        warning = ""
        if curves.reviewed < min_reviewed:
            warning = (
                f"only {curves.reviewed} reviewed samples (fewer than {min_reviewed}): "
                "its rates are too uncertain to set a threshold on"
            )
        chosen = cohort is not None and dimension == segment_field and value == cohort
        result.append(SegmentCurves(value or "(none)", curves, warning, chosen))
    return result


def proposal_evidence(
    curves: ThresholdCurves,
    new_threshold: float,
    *,
    unweighted: ThresholdCurves | None = None,
) -> dict[str, object]:
    """What a threshold proposal stores: the rates at the current and the new value.

    With `unweighted` (the same slice without weights), both readings are kept.
    """
    old_threshold = curves.current if curves.current is not None else new_threshold
    evidence: dict[str, object] = {
        "old": curves.at(old_threshold).as_dict(),
        "new": curves.at(new_threshold).as_dict(),
        "summary": describe_change(curves.at(old_threshold), curves.at(new_threshold)),
        "reviewed": curves.reviewed,
        "traffic": curves.traffic,
        "excluded": {"unsure": curves.unsure, "disputed": curves.disputed},
        "direction": curves.direction,
        "target_verdict": curves.target,
        "confidence": curves.confidence,
    }
    if unweighted is not None and unweighted is not curves:
        evidence["unweighted"] = {
            "old": unweighted.at(old_threshold).as_dict(),
            "new": unweighted.at(new_threshold).as_dict(),
        }
    return evidence
