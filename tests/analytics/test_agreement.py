"""Agreement coefficients against reference implementations and published examples.

References: sklearn's cohen_kappa_score, statsmodels' cohens_kappa (for the interval) and
fleiss_kappa, the `krippendorff` package, and sklearn's roc_auc_score; published values
from Fleiss (1971) as given on Wikipedia and from Krippendorff (2011), "Computing
Krippendorff's alpha-reliability", section C (4 coders, 12 units, missing values).
"""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, roc_auc_score
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa, to_table
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from redline.analytics.agreement import (
    Level,
    agreement_report,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    score_auc,
)

nan = math.nan

# Krippendorff (2011), section C: coders A-D (rows here are units, columns coders).
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T

# Fleiss (1971) example as on Wikipedia: 10 subjects, 14 raters, 5 categories (counts).
FLEISS_COUNTS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def _ratings_from_counts(counts: np.ndarray) -> np.ndarray:
    """Items × raters codes with the given category counts per item."""
    return np.array([np.repeat(np.arange(counts.shape[1]), row) for row in counts], dtype=float)


RNG = np.random.default_rng(7)
TWO_RATERS = [
    ([0, 1, 1, 0, 2, 2, 1, 0, 0, 1], [0, 1, 0, 0, 2, 1, 1, 0, 1, 1]),
    ([0, 0, 1, 1], [1, 1, 0, 0]),  # systematic disagreement: kappa -1
    ([0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]),  # perfect agreement
    (list(RNG.integers(0, 3, 200)), list(RNG.integers(0, 3, 200))),
    (list(RNG.integers(0, 2, 60)), list(RNG.integers(0, 2, 60))),
]


@pytest.mark.parametrize(("a", "b"), TWO_RATERS)
def test_cohen_kappa_matches_sklearn_and_its_interval_statsmodels(
    a: list[int], b: list[int]
) -> None:
    result = cohen_kappa(a, b)
    assert result.value == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert result.n == len(a)
    table, _ = to_table(np.column_stack([a, b]))
    reference = cohens_kappa(table)
    assert result.low == pytest.approx(max(-1, reference.kappa_low), abs=1e-9)
    assert result.high == pytest.approx(min(1, reference.kappa_upp), abs=1e-9)


def test_perfect_agreement_is_one_and_all_one_category_is_undefined() -> None:
    assert cohen_kappa([0, 1, 1], [0, 1, 1]).value == pytest.approx(1.0)
    # Everyone said "good" every time: chance agreement is already perfect, so kappa
    # is undefined, as sklearn (NaN), statsmodels (NaN) and krippendorff (error) say.
    same = np.zeros((5, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(cohen_kappa_score([0] * 5, [0] * 5))
        assert math.isnan(sm_fleiss_kappa(aggregate_raters(same)[0]))
    with pytest.raises(ValueError):
        krippendorff.alpha(reliability_data=same.T, level_of_measurement="nominal")
    assert not cohen_kappa([0] * 5, [0] * 5).defined
    assert math.isnan(fleiss_kappa(same))
    assert math.isnan(krippendorff_alpha(same))
    assert percent_agreement(same).value == 1.0  # the plain share still says 100 %
    assert cohen_kappa([0] * 5, [0] * 5).text() == "n/a (n=5)"


def test_a_kappa_on_two_samples_is_too_few_to_show() -> None:
    assert cohen_kappa([0, 1], [1, 0]).text() == "too few (n=2)"
    many = cohen_kappa([0, 1] * 5, [0, 1] * 5).text()
    assert many.startswith("1.00") and many.endswith("n=10)")


def test_missing_ratings_are_left_out() -> None:
    a = [0, 1, nan, 1, 0, 2]
    b = [0, nan, 1, 1, 1, 2]
    result = cohen_kappa(a, b)
    assert result.n == 4
    assert result.value == pytest.approx(cohen_kappa_score([0, 1, 0, 2], [0, 1, 1, 2]))
    assert cohen_kappa([nan], [1]).n == 0


def test_fleiss_kappa_reproduces_the_published_example_and_statsmodels() -> None:
    ratings = _ratings_from_counts(FLEISS_COUNTS)
    assert fleiss_kappa(ratings) == pytest.approx(0.2099, abs=5e-5)
    assert fleiss_kappa(ratings) == pytest.approx(sm_fleiss_kappa(FLEISS_COUNTS), abs=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fleiss_kappa_matches_statsmodels_on_random_panels(seed: int) -> None:
    ratings = np.random.default_rng(seed).integers(0, 4, size=(40, 3)).astype(float)
    counts, _ = aggregate_raters(ratings.astype(int))
    assert fleiss_kappa(ratings) == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)


def test_fleiss_kappa_of_two_raters_is_close_to_scotts_pi_and_drops_single_ratings() -> None:
    ratings = np.array([[0, 0, nan], [1, 1, nan], [0, 1, nan], [1, nan, nan]])
    # With two raters each, Fleiss' kappa is Scott's pi: observed 2/3, expected
    # (3/6)² + (3/6)² = 1/2, so (2/3 − 1/2) / (1/2) = 1/3. The singly rated item is out.
    assert fleiss_kappa(ratings) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_alpha_reproduces_the_published_example(
    level: Level, published: float
) -> None:
    alpha = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
    assert alpha == pytest.approx(published, abs=5e-4)
    reference = krippendorff.alpha(reliability_data=KRIPPENDORFF_2011.T, level_of_measurement=level)
    assert alpha == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", [4, 5])
def test_krippendorff_alpha_matches_the_package_with_missing_ratings(
    level: Level, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=50)
    ratings = np.clip(truth[:, None] + rng.integers(-1, 2, size=(50, 4)), 1, 5).astype(float)
    ratings[rng.random((50, 4)) < 0.3] = nan
    alpha = krippendorff_alpha(ratings, level=level)
    reference = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
    assert alpha == pytest.approx(reference, abs=1e-12)


def test_percent_agreement_counts_unanimous_items() -> None:
    ratings = np.array([[0, 0, 0], [0, 1, 0], [2, 2, nan], [1, nan, nan]])
    result = percent_agreement(ratings)
    assert (result.successes, result.n) == (2, 3)


def _brute_force_delong(pos: np.ndarray, neg: np.ndarray) -> float:
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg))


@pytest.mark.parametrize("seed", [1, 2])
def test_score_auc_matches_sklearn_with_delong_interval(seed: int) -> None:
    rng = np.random.default_rng(seed)
    good = rng.random(300) < 0.6
    # Rounded scores make ties, which count half.
    scores = np.round(np.where(good, rng.beta(5, 2, 300), rng.beta(2, 4, 300)), 1)
    result = score_auc(scores, good)
    assert result.value == pytest.approx(roc_auc_score(good, scores), abs=1e-12)
    half = 1.959963984540054 * math.sqrt(_brute_force_delong(scores[good], scores[~good]))
    assert result.low == pytest.approx(result.value - half, abs=1e-9)
    assert result.high == pytest.approx(result.value + half, abs=1e-9)
    assert result.n == 300


def test_score_auc_without_both_classes_is_undefined() -> None:
    assert not score_auc([0.1, 0.9], [True, True]).defined
    perfect = score_auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True])
    assert perfect.value == 1.0


def _reviews(
    rows: list[tuple[str, str, str | None, int | None, tuple[str, ...], bool]],
) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["sample_id", "reviewer", "verdict", "rating", "categories", "adjudicated"]
    )
    return frame.assign(correction=None)


def test_agreement_report_per_pair_and_category() -> None:
    reviews = _reviews(
        [
            ("s1", "ana", "good", 4, (), False),
            ("s1", "ben", "good", 5, (), False),
            ("s2", "ana", "bad", 1, ("hallucination",), False),
            ("s2", "ben", "bad", 2, ("hallucination", "tone"), False),
            ("s3", "ana", "bad", 2, ("tone",), False),
            ("s3", "ben", "good", 4, (), False),
            ("s3", "lead", "bad", 2, ("tone",), True),  # left out of agreement
            ("s4", "ana", "good", 4, (), False),  # reviewed once: no agreement to measure
        ]
    )
    report = agreement_report(reviews, pd.Series({"s1": 0.9, "s2": 0.2, "s3": 0.4, "s4": 0.8}))
    assert report.reviewers == ("ana", "ben")
    assert report.items == 3
    assert (report.percent.successes, report.percent.n) == (2, 3)
    (pair,) = report.pairs
    assert (pair.reviewer_a, pair.reviewer_b, pair.n) == ("ana", "ben", 3)
    assert pair.kappa.value == pytest.approx(cohen_kappa_score(["g", "b", "b"], ["g", "b", "g"]))
    by_name = {c.category: c for c in report.categories}
    assert by_name["hallucination"].positive == 1.0
    assert by_name["tone"].positive == 0.0
    assert by_name["tone"].named == 2
    assert by_name["bad"].kind == "verdict"
    # Final verdicts: s1 good, s2 bad, s3 bad (adjudicated), s4 good: the score ranks perfectly.
    assert report.score_auc.value == 1.0
    assert report.score_auc.n == 4
    assert report.alpha_rating == pytest.approx(
        krippendorff.alpha(
            reliability_data=np.array([[4, 1, 2, 4], [5, 2, 4, nan]]),
            level_of_measurement="ordinal",
        )
    )


def test_agreement_report_of_nothing_is_empty() -> None:
    report = agreement_report(_reviews([]))
    assert report.items == 0
    assert report.pairs == ()
    assert not report.percent.defined
