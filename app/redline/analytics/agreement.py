"""How far reviewers agree with each other, and how well the production score agrees
with them.

Ratings come as a matrix of items × raters (one row per sample, one column per
reviewer) of category codes, NaN where a reviewer did not rate the item. Every
coefficient is checked against a reference implementation in
tests/analytics/test_agreement.py (sklearn's cohen_kappa_score, statsmodels'
fleiss_kappa and cohens_kappa, the `krippendorff` package).

Conventions:
- A coefficient is NaN when it is undefined: everyone used a single category, so
  chance agreement is already perfect (the references agree: NaN or an error).
- Items rated by fewer than two raters say nothing about agreement and are left out;
  every result carries the n it was computed on.
- Percent agreement is the share of items on which all their raters gave the same
  value: one Bernoulli trial per item, so it gets a Wilson interval.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from redline.analytics.quality import sample_outcomes
from redline.analytics.stats import DEFAULT_CONFIDENCE, Rate, rate, z_for

__all__ = [
    "MIN_ITEMS_SHOWN",
    "AgreementReport",
    "CategoryAgreement",
    "Interval",
    "PairAgreement",
    "agreement_report",
    "cohen_kappa",
    "encode",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "rating_matrix",
    "score_auc",
]

Level = Literal["nominal", "ordinal", "interval"]

# Below this many items a coefficient is shown as "too few", not as a number: with two
# samples, kappa is 0.00 (0.00–0.00) or 1.00, which reads as a finding.
MIN_ITEMS_SHOWN = 10
FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Interval:
    """A coefficient with its confidence interval (NaN when undefined) and its n."""

    value: float
    low: float
    high: float
    n: int

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)

    def text(self, digits: int = 2) -> str:
        """'0.61 (0.48–0.74, n=212)', 'n/a (n=3)' when undefined, or 'too few (n=2)'
        under `MIN_ITEMS_SHOWN` items."""
        if not self.defined:
            return f"n/a (n={self.n:,})"
        if self.n < MIN_ITEMS_SHOWN:
            return f"too few (n={self.n:,})"
        if math.isnan(self.low):
            return f"{self.value:.{digits}f} (n={self.n:,})"
        return (
            f"{self.value:.{digits}f} ({self.low:.{digits}f}–{self.high:.{digits}f}, n={self.n:,})"
        )


_UNDEFINED = math.nan


# --------------------------------------------------------------------------- coefficients


def encode(values: Sequence[Hashable | None]) -> tuple[npt.NDArray[np.float64], list[Hashable]]:
    """Category codes (0, 1, ...; NaN for None) and the categories in code order (sorted)."""
    categories = sorted({v for v in values if v is not None}, key=str)
    index = {c: i for i, c in enumerate(categories)}
    codes = np.array([math.nan if v is None else index[v] for v in values], dtype=float)
    return codes, categories


def cohen_kappa(
    a: npt.ArrayLike, b: npt.ArrayLike, *, confidence: float = DEFAULT_CONFIDENCE
) -> Interval:
    """Cohen's kappa of two raters' codes over the same items (pairs with a NaN dropped).

    The interval uses the large-sample variance of Fleiss, Cohen & Everitt (1969), as
    statsmodels' `cohens_kappa` does.
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("both raters must rate the same items")
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    n = len(x)
    if n == 0:
        return Interval(_UNDEFINED, _UNDEFINED, _UNDEFINED, 0)
    values = np.unique(np.concatenate([x, y]))
    k = len(values)
    table = np.zeros((k, k))
    np.add.at(table, (np.searchsorted(values, x), np.searchsorted(values, y)), 1.0)
    probs = table / n
    rows, cols = probs.sum(axis=1), probs.sum(axis=0)
    observed = float(np.trace(probs))
    expected = float(np.sum(rows * cols))
    if expected >= 1.0:
        return Interval(_UNDEFINED, _UNDEFINED, _UNDEFINED, n)
    kappa = (observed - expected) / (1.0 - expected)
    diag = np.diag(probs)
    term_a = float(np.sum(diag * (1.0 - (rows + cols) * (1.0 - kappa)) ** 2))
    off = probs * (cols[:, None] + rows[None, :]) ** 2
    np.fill_diagonal(off, 0.0)
    term_b = (1.0 - kappa) ** 2 * float(off.sum())
    term_c = (kappa - expected * (1.0 - kappa)) ** 2
    variance = max(0.0, (term_a + term_b - term_c) / (1.0 - expected) ** 2 / n)
    half = z_for(confidence) * math.sqrt(variance)
    return Interval(kappa, max(-1.0, kappa - half), min(1.0, kappa + half), n)


def _category_counts(ratings: npt.ArrayLike) -> tuple[FloatMatrix, npt.NDArray[np.float64]]:
    """Items × values count matrix of the items with at least two ratings, and the values."""
    data = np.asarray(ratings, dtype=float)
    if data.ndim != 2:
        raise ValueError("ratings must be a matrix of items × raters")
    data = data[np.sum(~np.isnan(data), axis=1) >= 2]
    values = np.unique(data[~np.isnan(data)])
    counts = np.zeros((data.shape[0], len(values)))
    for j, value in enumerate(values):
        counts[:, j] = np.sum(data == value, axis=1)
    return counts, values


def fleiss_kappa(ratings: npt.ArrayLike) -> float:
    """Fleiss' kappa of an items × raters matrix of codes (NaN = not rated).

    Items may have different numbers of raters (the usual generalisation: each item's
    agreement is over its own rater pairs); with the same number everywhere this is
    exactly Fleiss (1971), as statsmodels computes it.
    """
    counts, _ = _category_counts(ratings)
    if counts.shape[0] == 0:
        return _UNDEFINED
    per_item = counts.sum(axis=1)
    observed = float(np.mean((counts * (counts - 1)).sum(axis=1) / (per_item * (per_item - 1))))
    shares = counts.sum(axis=0) / per_item.sum()
    expected = float(np.sum(shares**2))
    if expected >= 1.0:
        return _UNDEFINED
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(ratings: npt.ArrayLike, *, level: Level = "nominal") -> float:
    """Krippendorff's alpha of an items × raters matrix (NaN = not rated).

    `level`: "nominal" (verdicts), "ordinal" (ratings 1–5: a 1 against a 2 is a smaller
    disagreement than a 1 against a 5, scaled by how many ratings fall between them), or
    "interval". Built from the coincidence matrix (Krippendorff 2011, "Computing
    Krippendorff's alpha-reliability"); the value domain is the values that occur.
    """
    counts, values = _category_counts(ratings)
    if counts.shape[0] == 0 or len(values) < 2:
        return _UNDEFINED
    pairable = counts.sum(axis=1)
    weights = 1.0 / (pairable - 1.0)
    coincidences = (counts * weights[:, None]).T @ counts - np.diag(
        (counts * weights[:, None]).sum(axis=0)
    )
    marginals = coincidences.sum(axis=1)
    total = float(marginals.sum())
    distance = _distance(values, marginals, level)
    observed = float(np.sum(coincidences * distance))
    expected = float(np.sum(np.outer(marginals, marginals) * distance))
    if expected == 0.0:
        return _UNDEFINED
    return 1.0 - (total - 1.0) * observed / expected


def _distance(values: npt.NDArray[np.float64], marginals: FloatMatrix, level: Level) -> FloatMatrix:
    """Squared distance δ² between every two values for the level of measurement."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.asarray((values[:, None] - values[None, :]) ** 2, dtype=float)
    if level == "ordinal":
        cumulative = np.cumsum(marginals)
        # Σ n_g for g from c to k, minus half of n_c and n_k (Krippendorff's ordinal metric).
        low = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
        high = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        between = cumulative[high] - cumulative[low] + marginals[low]
        return np.asarray(
            (between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2, dtype=float
        )
    raise ValueError(f"unknown level of measurement {level!r}")


def percent_agreement(ratings: npt.ArrayLike, *, confidence: float = DEFAULT_CONFIDENCE) -> Rate:
    """The share of items (rated at least twice) on which all raters gave the same value."""
    counts, _ = _category_counts(ratings)
    unanimous = int(np.sum(counts.max(axis=1) == counts.sum(axis=1))) if counts.size else 0
    return rate(unanimous, counts.shape[0], confidence)


def score_auc(
    scores: npt.ArrayLike, positive: npt.ArrayLike, *, confidence: float = DEFAULT_CONFIDENCE
) -> Interval:
    """How well a score ranks the positives above the negatives: the ROC AUC (the chance
    that a random positive scores higher than a random negative, ties counting half),
    with DeLong's variance for the interval. n = positives + negatives.

    For the production score against the reviewers' verdict, positive = "good".
    """
    s = np.asarray(scores, dtype=float)
    p = np.asarray(positive, dtype=bool)
    if s.shape != p.shape:
        raise ValueError("scores and labels must have the same length")
    known = ~np.isnan(s)
    s, p = s[known], p[known]
    pos, neg = s[p], s[~p]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return Interval(_UNDEFINED, _UNDEFINED, _UNDEFINED, m + n)
    all_ranks = _midranks(np.concatenate([pos, neg]))
    # DeLong's placement values: for each positive, the share of negatives below it.
    v10 = (all_ranks[:m] - _midranks(pos)) / n
    v01 = 1.0 - (all_ranks[m:] - _midranks(neg)) / m
    auc = float(np.mean(v10))
    variance = (np.var(v10, ddof=1) / m if m > 1 else 0.0) + (
        np.var(v01, ddof=1) / n if n > 1 else 0.0
    )
    half = z_for(confidence) * math.sqrt(float(variance))
    return Interval(auc, max(0.0, auc - half), min(1.0, auc + half), m + n)


def _midranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ranks 1..n, tied values sharing the mean of their ranks."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return np.asarray((ends - (counts - 1) / 2.0)[inverse], dtype=float)


# --------------------------------------------------------------------------- from reviews


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Two reviewers on the samples both reviewed."""

    reviewer_a: str
    reviewer_b: str
    n: int
    percent: Rate
    kappa: Interval


@dataclass(frozen=True, slots=True)
class CategoryAgreement:
    """Agreement on one category, one against the rest: a verdict ("verdict: bad") or a
    failure category ("hallucination": chosen or not).

    `positive` is the specific agreement on the category: of the reviews naming it, the
    share whose co-reviewers named it too (NaN when nobody named it).
    """

    kind: str  # "verdict" or "failure category"
    category: str
    n: int  # items with at least two reviews
    named: int  # items on which at least one reviewer named the category
    percent: Rate
    kappa: float  # Fleiss
    alpha: float  # Krippendorff, nominal
    positive: float


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Agreement among reviewers on the samples reviewed more than once."""

    reviewers: tuple[str, ...]
    items: int  # samples with at least two (non-adjudicated) verdicts
    percent: Rate  # all reviewers of a sample gave the same verdict
    fleiss: float
    alpha: float  # nominal, verdicts
    alpha_rating: float  # ordinal, ratings 1–5
    rating_items: int
    pairs: tuple[PairAgreement, ...]
    categories: tuple[CategoryAgreement, ...]
    score_auc: Interval  # production score vs final verdict (good = positive)


def rating_matrix(
    reviews: pd.DataFrame, column: str, *, item: str = "sample_id"
) -> tuple[pd.DataFrame, list[str]]:
    """Items × reviewers table of `column` from a reviews frame (one row per review)."""
    table = reviews.pivot_table(index=item, columns="reviewer", values=column, aggfunc="first")
    return table, [str(c) for c in table.columns]


def _verdict_codes(
    reviews: pd.DataFrame, categories: list[Hashable]
) -> tuple[pd.DataFrame, list[Hashable]]:
    frame = reviews[reviews["verdict"].notna()]
    index = {c: i for i, c in enumerate(categories)}
    coded = frame.assign(code=[float(index[v]) for v in frame["verdict"]])
    table = coded.pivot_table(index="item", columns="reviewer", values="code", aggfunc="first")
    return table, categories


def agreement_report(
    reviews: pd.DataFrame,
    scores: pd.Series | None = None,
    *,
    outcomes: pd.DataFrame | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> AgreementReport:
    """Agreement on verdicts, ratings and failure categories, overall, per reviewer pair
    and per category, from one row per review (sample_id, reviewer, verdict, rating,
    categories, correction, adjudicated). Adjudicated reviews are a lead's decision, not
    a rating, and are left out. `scores` (production score by sample_id) gives the AUC
    of the score against each sample's final verdict (`analytics.quality.sample_outcomes`
    of `reviews`, passed as `outcomes` when the caller has it already: the adjudicated
    one, else the most common; good vs bad, unsure left out).
    """
    plain = reviews[~reviews["adjudicated"].astype(bool)] if not reviews.empty else reviews
    reviewers = tuple(sorted({str(r) for r in plain["reviewer"]})) if not plain.empty else ()
    if plain.empty:
        empty = Interval(_UNDEFINED, _UNDEFINED, _UNDEFINED, 0)
        return AgreementReport(
            reviewers, 0, rate(0, 0), _UNDEFINED, _UNDEFINED, _UNDEFINED, 0, (), (), empty
        )
    _, verdict_values = encode(list(plain["verdict"].dropna().unique()))
    # Only samples reviewed more than once say anything about agreement: pivot those
    # alone, keyed by small integers (sorting a quarter of a million UUID objects in
    # every pivot is what made this take seconds).
    shared = plain[plain["sample_id"].duplicated(keep=False).to_numpy()]
    shared = shared.assign(item=pd.factorize(shared["sample_id"])[0])
    table, verdicts = _verdict_codes(shared, verdict_values)
    multi = table[table.notna().sum(axis=1) >= 2]
    matrix = multi.to_numpy(dtype=float)

    ratings, _ = rating_matrix(shared[shared["rating"].notna()], "rating", item="item")
    rating_data = ratings.to_numpy(dtype=float)

    pairs: list[PairAgreement] = []
    for a, b in itertools.combinations(list(table.columns), 2):
        both = table[[a, b]].dropna()
        if both.empty:
            continue
        same = int(np.sum(both[a].to_numpy() == both[b].to_numpy()))
        pairs.append(
            PairAgreement(
                str(a),
                str(b),
                len(both),
                rate(same, len(both), confidence),
                cohen_kappa(both[a], both[b], confidence=confidence),
            )
        )

    categories = [
        _one_against_rest("verdict", str(v), np.where(np.isnan(matrix), np.nan, matrix == i))
        for i, v in enumerate(verdicts)
    ]
    categories += _failure_categories(shared, multi.index, confidence)

    auc = Interval(_UNDEFINED, _UNDEFINED, _UNDEFINED, 0)
    if scores is not None:
        final = (sample_outcomes(reviews) if outcomes is None else outcomes)["verdict"]
        final = final[final.isin(["good", "bad"])]
        joined = pd.concat([scores.rename("score"), final.rename("verdict")], axis=1, join="inner")
        auc = score_auc(
            joined["score"].to_numpy(dtype=float),
            (joined["verdict"] == "good").to_numpy(),
            confidence=confidence,
        )

    return AgreementReport(
        reviewers=reviewers,
        items=int(matrix.shape[0]),
        percent=percent_agreement(matrix, confidence=confidence),
        fleiss=fleiss_kappa(matrix),
        alpha=krippendorff_alpha(matrix),
        alpha_rating=krippendorff_alpha(rating_data, level="ordinal"),
        rating_items=int(np.sum(np.sum(~np.isnan(rating_data), axis=1) >= 2))
        if rating_data.size
        else 0,
        pairs=tuple(pairs),
        categories=tuple(categories),
        score_auc=auc,
    )


def _one_against_rest(
    kind: str, category: str, named: npt.ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> CategoryAgreement:
    data = np.asarray(named, dtype=float)
    rated = np.sum(~np.isnan(data), axis=1)
    data = data[rated >= 2]
    yes = np.nansum(data, axis=1)
    total = np.sum(~np.isnan(data), axis=1)
    # Specific (positive) agreement: pairs in which both named it, over pairs in which
    # at least one did, summed over items (Uebersax's generalisation to many raters).
    both = np.sum(yes * (yes - 1))
    either = np.sum(yes * (total - 1))
    positive = float(both / either) if either > 0 else _UNDEFINED
    unanimous = int(np.sum((yes == 0) | (yes == total)))
    return CategoryAgreement(
        kind=kind,
        category=category,
        n=int(data.shape[0]),
        named=int(np.sum(yes > 0)),
        percent=rate(unanimous, data.shape[0], confidence),
        kappa=fleiss_kappa(data),
        alpha=krippendorff_alpha(data),
        positive=positive,
    )


def _failure_categories(
    shared: pd.DataFrame, items: pd.Index, confidence: float
) -> list[CategoryAgreement]:
    rows = shared[shared["item"].isin(items)]
    names = sorted({c for cats in rows["categories"] for c in (cats or ())})
    result: list[CategoryAgreement] = []
    for name in names:
        named = rows.assign(named=[float(name in (cats or ())) for cats in rows["categories"]])
        table = named.pivot_table(index="item", columns="reviewer", values="named", aggfunc="first")
        result.append(
            _one_against_rest("failure category", name, table.to_numpy(dtype=float), confidence)
        )
    return result
