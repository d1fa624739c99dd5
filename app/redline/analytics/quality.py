"""How good a prompt version is, judged by what reviewers found in its outputs.

The unit is the sample, not the review: a sample two reviewers judged counts once, so
the intervals assume independent units. A sample's verdict is its adjudicated review's
if it has one, else its reviewers' most common verdict (a tie between good and bad is
"unsure"). Satisfaction is the share of judged samples whose verdict is good (unsure
counts against: it is not a satisfied reviewer).

Inputs are two frames (no database here):
    samples: sample_id, inclusion_prob, tokens_in, tokens_out, latency_ms, decision
             (plus anything else, e.g. variant, session_id);
    reviews: sample_id, verdict, rating, categories (list), correction, adjudicated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from redline.analytics.stats import (
    DEFAULT_CONFIDENCE,
    Mean,
    Rate,
    mean_interval,
    rate,
    weighted_rate,
)

__all__ = [
    "AUTO_DECISIONS",
    "REVIEW_COLUMNS",
    "SAMPLE_COLUMNS",
    "CategoryRate",
    "VersionQuality",
    "sample_outcomes",
    "version_quality",
]

SAMPLE_COLUMNS = (
    "sample_id",
    "inclusion_prob",
    "tokens_in",
    "tokens_out",
    "latency_ms",
    "decision",
)
REVIEW_COLUMNS = ("sample_id", "verdict", "rating", "categories", "correction", "adjudicated")
# Production decisions that let an output through without a person: a reviewer's "bad"
# on one of these, or "good" on anything else, overrides what production decided.
AUTO_DECISIONS = frozenset({"auto_send", "auto", "accept", "accepted", "pass", "allow", "send"})


@dataclass(frozen=True, slots=True)
class CategoryRate:
    """A failure category: share of judged samples a reviewer gave it (bad verdicts only)."""

    name: str
    rate: Rate


@dataclass(frozen=True, slots=True)
class VersionQuality:
    """Everything the catalog shows about one version (or one arm), each with its n.

    `satisfaction_weighted` is re-weighted to production traffic by the samples'
    inclusion probabilities; None when every sample had the same probability.
    """

    label: str
    samples: int
    judged: int
    satisfaction: Rate
    satisfaction_weighted: Rate | None
    mean_rating: Mean
    failure_categories: tuple[CategoryRate, ...]
    correction_rate: Rate
    override_rate: Rate
    tokens_in: Mean
    tokens_out: Mean
    latency_ms: Mean

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON (NaN as None)."""

        def r(value: Rate) -> dict[str, Any]:
            return {
                "value": _num(value.value),
                "low": value.low,
                "high": value.high,
                "successes": value.successes,
                "n": value.n,
            }

        def m(value: Mean) -> dict[str, Any]:
            return {
                "value": _num(value.value),
                "low": _num(value.low),
                "high": _num(value.high),
                "n": value.n,
            }

        return {
            "label": self.label,
            "samples": self.samples,
            "judged": self.judged,
            "satisfaction": r(self.satisfaction),
            "satisfaction_weighted": (
                r(self.satisfaction_weighted) if self.satisfaction_weighted else None
            ),
            "mean_rating": m(self.mean_rating),
            "failure_categories": {c.name: r(c.rate) for c in self.failure_categories},
            "correction_rate": r(self.correction_rate),
            "override_rate": r(self.override_rate),
            "tokens_in": m(self.tokens_in),
            "tokens_out": m(self.tokens_out),
            "latency_ms": m(self.latency_ms),
        }


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _sample_verdict(verdicts: list[str], adjudicated: list[bool]) -> str | None:
    final = [v for v, a in zip(verdicts, adjudicated, strict=True) if a and v]
    if final:
        return final[-1]
    counts = Counter(v for v in verdicts if v)
    if not counts:
        return None
    (top, top_n), *rest = counts.most_common()
    if rest and rest[0][1] == top_n:
        return "unsure"
    return top


def sample_outcomes(reviews: pd.DataFrame) -> pd.DataFrame:
    """One row per reviewed sample (index sample_id, in order of first appearance):
    verdict, rating, corrected, categories."""
    columns = ["verdict", "rating", "corrected", "categories"]
    if reviews.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="sample_id"))
    shared = reviews["sample_id"].duplicated(keep=False).to_numpy()
    if not shared.any():
        return _single_review_outcomes(reviews, columns)
    # Samples with one review (usually most) vectorised, the rest in plain Python.
    frame = pd.concat(
        [
            _single_review_outcomes(reviews[~shared], columns),
            _multi_review_outcomes(reviews[shared], columns),
        ]
    )
    return frame.reindex(pd.Index(reviews["sample_id"].drop_duplicates(), name="sample_id"))


def _multi_review_outcomes(reviews: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # Plain lists, not a pandas groupby: a group costs about a millisecond in pandas,
    # which is minutes for the tens of thousands of samples an overlap batch has.
    grouped: dict[Any, list[int]] = {}
    for i, sample_id in enumerate(reviews["sample_id"].tolist()):
        grouped.setdefault(sample_id, []).append(i)
    verdicts = [v if isinstance(v, str) else "" for v in reviews["verdict"].tolist()]
    adjudicated = [bool(a) for a in reviews["adjudicated"].fillna(False).tolist()]
    ratings = pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=float)
    all_categories = reviews["categories"].tolist()
    corrections = reviews["correction"].tolist()
    rows: dict[Any, dict[str, Any]] = {}
    for sample_id, at in grouped.items():
        group_verdicts = [verdicts[i] for i in at]
        known = [float(ratings[i]) for i in at if not np.isnan(ratings[i])]
        categories: set[str] = set()
        for i in at:
            cats = all_categories[i]
            if verdicts[i] == "bad" and isinstance(cats, list | tuple):
                categories.update(str(c) for c in cats)
        rows[sample_id] = {
            "verdict": _sample_verdict(group_verdicts, [adjudicated[i] for i in at]),
            "rating": sum(known) / len(known) if known else np.nan,
            "corrected": any(
                isinstance(corrections[i], str) and corrections[i].strip() for i in at
            ),
            "categories": sorted(categories),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "sample_id"
    return frame


def _single_review_outcomes(reviews: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # The common case (one reviewer per sample), vectorised: the loop above costs
    # a millisecond per sample.
    verdict = reviews["verdict"].where(reviews["verdict"].isin(("good", "bad", "unsure")))
    categories = [
        sorted({str(c) for c in cats}) if v == "bad" and isinstance(cats, list | tuple) else []
        for v, cats in zip(verdict, reviews["categories"], strict=True)
    ]
    corrected = reviews["correction"].map(lambda c: isinstance(c, str) and bool(c.strip()))
    frame = pd.DataFrame(
        {
            "verdict": verdict.to_numpy(dtype=object),
            "rating": pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=float),
            "corrected": corrected.to_numpy(dtype=bool),
            "categories": categories,
        },
        index=pd.Index(reviews["sample_id"], name="sample_id"),
        columns=columns,
    )
    frame["verdict"] = frame["verdict"].where(frame["verdict"].notna(), None)
    return frame


def _weights(samples: pd.DataFrame, ids: pd.Index) -> npt.NDArray[np.float64]:
    probs = samples.set_index("sample_id")["inclusion_prob"].reindex(ids)
    p = pd.to_numeric(probs, errors="coerce").fillna(1.0).to_numpy(dtype=float)
    weights: npt.NDArray[np.float64] = 1.0 / np.clip(p, 1e-9, 1.0)
    return weights


def version_quality(
    label: str,
    samples: pd.DataFrame,
    reviews: pd.DataFrame,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> VersionQuality:
    """The quality figures of one version (or arm) from its samples and their reviews."""
    outcomes = sample_outcomes(reviews)
    outcomes = outcomes[outcomes.index.isin(samples["sample_id"])] if len(samples) else outcomes
    judged = outcomes[outcomes["verdict"].notna()]
    n = len(judged)
    good = (judged["verdict"] == "good").to_numpy(dtype=bool)
    satisfaction = rate(int(good.sum()), n, confidence)
    weights = _weights(samples, judged.index)
    weighted = (
        weighted_rate(good, weights, confidence)
        if n and not np.allclose(weights, weights[0])
        else None
    )
    counter: Counter[str] = Counter()
    for cats in judged["categories"]:
        counter.update(cats)
    categories = tuple(
        CategoryRate(name, rate(count, n, confidence)) for name, count in counter.most_common()
    )
    decisions = samples.set_index("sample_id")["decision"].reindex(judged.index)
    decided = decisions.notna() & (judged["verdict"] != "unsure")
    auto = decisions[decided].isin(AUTO_DECISIONS)
    verdict_bad = judged.loc[decided, "verdict"] == "bad"
    overrides = int(((auto & verdict_bad) | (~auto & ~verdict_bad)).sum())
    return VersionQuality(
        label=label,
        samples=len(samples),
        judged=n,
        satisfaction=satisfaction,
        satisfaction_weighted=weighted,
        mean_rating=mean_interval(judged["rating"].to_numpy(dtype=float), confidence),
        failure_categories=categories,
        correction_rate=rate(int(judged["corrected"].sum()), n, confidence),
        override_rate=rate(overrides, int(decided.sum()), confidence),
        tokens_in=mean_interval(_column(samples, "tokens_in"), confidence),
        tokens_out=mean_interval(_column(samples, "tokens_out"), confidence),
        latency_ms=mean_interval(_column(samples, "latency_ms"), confidence),
    )


def _column(frame: pd.DataFrame, name: str) -> npt.NDArray[np.float64]:
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
