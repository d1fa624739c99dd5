"""Threshold curves: hand-computed sets (ties, all good, all bad, empty), scikit-learn's
curves, re-weighting against a known population, ground truth from several reviewers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve, roc_curve

from redline.analytics.stats import rate
from redline.analytics.threshold import (
    BAD,
    DISPUTED,
    GOOD,
    UNREVIEWED,
    UNSURE,
    ScoredSamples,
    ThresholdCurves,
    action_target,
    build_curves,
    describe_change,
    resolve_verdicts,
    segment_curves,
)


def samples(
    scores: list[float],
    labels: list[int],
    probs: list[float] | None = None,
    **segments: list[str],
) -> ScoredSamples:
    return ScoredSamples(
        scores=np.array(scores, dtype=float),
        labels=np.array(labels, dtype=np.int8),
        inclusion_prob=np.array(probs or [1.0] * len(scores), dtype=float),
        segments={k: np.array(v, dtype=object) for k, v in segments.items()},
    )


# Six reviewed samples with a tie at 0.4 (one good, one bad), one unsure, one unreviewed.
SMALL = samples(
    [0.1, 0.4, 0.4, 0.6, 0.8, 0.9, 0.5, 0.95],
    [BAD, GOOD, BAD, GOOD, BAD, GOOD, UNSURE, UNREVIEWED],
)


def curves(data: ScoredSamples = SMALL, direction: str = "ge", target: str = "good",
           current: float | None = 0.5, weighted: bool = False) -> ThresholdCurves:  # fmt: skip
    return ThresholdCurves(
        data,
        direction=direction,  # type: ignore[arg-type]
        target=target,  # type: ignore[arg-type]
        current=current,
        weighted=weighted,
    )


def test_counts_at_a_tied_threshold_include_the_tie() -> None:
    # score >= 0.4 acts on both samples at 0.4.
    p = curves().at(0.4)
    assert (p.tp, p.fp, p.fn, p.tn) == (3, 2, 0, 1)
    assert p.precision.value == pytest.approx(3 / 5)
    assert p.recall.value == 1.0
    assert p.fpr.value == pytest.approx(2 / 3)
    assert p.override.value == pytest.approx(2 / 6)
    # Automation counts all scored traffic, the unsure and the unreviewed sample too:
    # 0.4, 0.4, 0.5, 0.6, 0.8, 0.9, 0.95 of 8.
    assert p.automation.value == pytest.approx(7 / 8)
    assert p.reviewed == 6
    assert p.traffic == 8


def test_counts_just_above_the_tie() -> None:
    p = curves().at(0.41)
    assert (p.tp, p.fp, p.fn, p.tn) == (2, 1, 1, 2)
    assert p.automation.value == pytest.approx(5 / 8)


def test_le_direction_acts_below_the_threshold() -> None:
    # A guardrail: score <= 0.4 blocks; blocking is right for bad outputs.
    p = curves(direction="le", target="bad").at(0.4)
    # Acted: 0.1 (bad), 0.4 (good), 0.4 (bad) -> TP 2 (bad blocked), FP 1 (good blocked).
    assert (p.tp, p.fp, p.fn, p.tn) == (2, 1, 1, 2)
    assert p.automation.value == pytest.approx(3 / 8)


def test_every_rate_carries_the_wilson_interval_of_its_counts() -> None:
    p = curves().at(0.41)
    for got, (k, n) in [
        (p.precision, (2, 3)),
        (p.recall, (2, 3)),
        (p.fpr, (1, 3)),
        (p.override, (2, 6)),
        (p.automation, (5, 8)),
    ]:
        ref = rate(k, n)
        assert (got.value, got.low, got.high, got.n) == pytest.approx(
            (ref.value, ref.low, ref.high, ref.n)
        )


def test_all_good_all_bad_and_empty_sets() -> None:
    all_good = curves(samples([0.2, 0.5, 0.7], [GOOD] * 3)).at(0.5)
    assert (all_good.tp, all_good.fp, all_good.fn, all_good.tn) == (2, 0, 1, 0)
    assert all_good.precision.value == 1.0
    assert not all_good.fpr.defined  # no bad samples: FPR has no denominator
    assert math.isnan(all_good.fpr.value)
    assert (all_good.fpr.low, all_good.fpr.high) == (0.0, 1.0)

    all_bad = curves(samples([0.2, 0.5, 0.7], [BAD] * 3)).at(0.5)
    assert (all_bad.tp, all_bad.fp, all_bad.fn, all_bad.tn) == (0, 2, 0, 1)
    assert all_bad.precision.value == 0.0
    assert not all_bad.recall.defined

    empty = curves(samples([], [])).at(0.5)
    assert empty.reviewed == 0
    assert not (empty.precision.defined or empty.automation.defined)
    table = curves(samples([], [])).table(points=5)
    assert np.isnan(table["precision"]).all()
    assert curves(samples([], [])).suggest_by_cost(1, 1).threshold is None


def test_acting_on_nothing() -> None:
    p = curves().at(2.0)
    assert (p.tp, p.fp) == (0, 0)
    assert not p.precision.defined
    assert p.automation.value == 0.0


def test_curves_match_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    good = rng.random(n) < 0.7
    # Rounded scores: plenty of ties, as production scorers produce.
    scores = np.round(np.where(good, rng.beta(6, 2, n), rng.beta(3, 3, n)), 2).astype(np.float64)
    data = ScoredSamples(
        scores=scores,
        labels=np.where(good, GOOD, BAD).astype(np.int8),
        inclusion_prob=np.ones(n),
    )
    ours = curves(data, current=None)
    precision, recall, pr_thresholds = precision_recall_curve(good, scores)
    table = ours.table(pr_thresholds)
    np.testing.assert_allclose(table["precision"], precision[:-1])
    np.testing.assert_allclose(table["recall"], recall[:-1])
    fpr, tpr, roc_thresholds = roc_curve(good, scores, drop_intermediate=False)
    finite = np.isfinite(roc_thresholds)
    table = ours.table(roc_thresholds[finite])
    np.testing.assert_allclose(table["fpr"], fpr[finite])
    np.testing.assert_allclose(table["recall"], tpr[finite])


def test_at_agrees_with_the_table() -> None:
    ours = curves()
    grid = np.array([0.0, 0.1, 0.35, 0.4, 0.55, 0.9, 1.0])
    table = ours.table(grid)
    for i, t in enumerate(grid):
        p = ours.at(float(t))
        for name in ("precision", "recall", "fpr", "override", "automation"):
            got = getattr(p, name)
            assert np.isclose(got.value, table[name][i], equal_nan=True)
            assert got.low == pytest.approx(table[f"{name}_low"][i])
            assert got.high == pytest.approx(table[f"{name}_high"][i])


def test_weighting_recovers_a_known_population() -> None:
    # Production: 1,000 high-score outputs (900 good, 100 bad) and 100 low-score ones
    # (20 good, 80 bad). Import kept every low-score one but only a tenth of the rest.
    scores = [0.9] * 90 + [0.9] * 10 + [0.2] * 20 + [0.2] * 80
    labels = [GOOD] * 90 + [BAD] * 10 + [GOOD] * 20 + [BAD] * 80
    probs = [0.1] * 100 + [1.0] * 100
    data = samples(scores, labels, probs)
    assert data.has_weights
    weighted = curves(data, weighted=True).at(0.5)
    unweighted = curves(data, weighted=False).at(0.5)
    # The population's truth at 0.5: precision 900/1000, recall 900/920, FPR 100/180,
    # automation 1000/1100.
    assert weighted.precision.value == pytest.approx(0.9)
    assert weighted.recall.value == pytest.approx(900 / 920)
    assert weighted.fpr.value == pytest.approx(100 / 180)
    assert weighted.automation.value == pytest.approx(1000 / 1100)
    # ... while the sample as drawn says something else.
    assert unweighted.automation.value == pytest.approx(0.5)
    assert unweighted.fpr.value == pytest.approx(10 / 90)
    # Weighted intervals use Kish's effective n: the acted set has equal weights, so
    # precision's n is the 100 samples behind it, not the 1,000 they stand for.
    assert weighted.precision.n == pytest.approx(100)
    assert weighted.precision.low == pytest.approx(rate(90, 100).low)
    # The automation rate mixes weights 10 and 1: n_eff = (1100)^2 / (100*100 + 100).
    assert weighted.automation.n == pytest.approx(1100**2 / 10_100)


def test_ground_truth_adjudication_majority_and_exclusions() -> None:
    # sample 0: good, bad, good -> good by majority
    # sample 1: good, bad -> disputed (tie)
    # sample 2: good, bad + adjudicated bad -> bad (the lead's word)
    # sample 3: unsure only -> unsure
    # sample 4: unsure + good -> good (unsure abstains)
    # sample 5: no reviews -> unreviewed
    # sample 6: bad (one reviewer)
    index = [0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4, 6]
    verdicts = ["good", "bad", "good", "good", "bad", "good", "bad", "bad",
                "unsure", "unsure", "good", "bad"]  # fmt: skip
    adjudicated = [False] * 7 + [True] + [False] * 4
    truth = resolve_verdicts(index, verdicts, adjudicated, 7)
    assert truth.labels.tolist() == [GOOD, DISPUTED, BAD, UNSURE, GOOD, UNREVIEWED, BAD]
    assert truth.adjudicated == 1
    assert truth.majority == 2  # samples 0 and 4 were decided among several reviewers
    assert truth.count(DISPUTED) == 1


def test_unsure_and_disputed_samples_are_left_out_but_counted() -> None:
    data = samples([0.5, 0.6, 0.7, 0.8], [GOOD, UNSURE, DISPUTED, BAD])
    c = curves(data)
    assert (c.reviewed, c.unsure, c.disputed, c.traffic) == (2, 1, 1, 4)


def test_segment_with_its_own_threshold_stays_there_in_the_overall_view() -> None:
    data = samples(
        [0.6, 0.7, 0.8, 0.6, 0.7, 0.8],
        [GOOD, BAD, GOOD, GOOD, GOOD, BAD],
        language=["en", "en", "en", "ja", "ja", "ja"],
    )
    overall = build_curves(
        data, direction="ge", target="good", threshold=0.65,
        segment_field="language", segment_thresholds={"ja": 0.75},
    )  # fmt: skip
    # At 0.65: en acts on 0.7 (bad) and 0.8 (good); ja stays at 0.75: acts on 0.8 (bad).
    p = overall.at(0.65)
    assert (p.tp, p.fp, p.fn, p.tn) == (1, 2, 3, 0)
    # Moving the default never moves ja: at 0.0, en acts on all three, ja still on one.
    p = overall.at(0.0)
    assert (p.tp, p.fp, p.fn, p.tn) == (2, 2, 2, 0)
    ja = build_curves(
        data, direction="ge", target="good", threshold=0.65,
        segment_field="language", segment_thresholds={"ja": 0.75}, segment="ja",
    )  # fmt: skip
    assert ja.current == 0.75
    assert ja.reviewed == 3


def test_small_segments_carry_a_warning() -> None:
    data = samples(
        [0.5] * 40 + [0.6] * 3,
        [GOOD] * 40 + [BAD] * 3,
        language=["en"] * 40 + ["ja"] * 3,
    )
    cohorts = segment_curves(data, "language", direction="ge", target="good", threshold=0.5)
    assert [c.value for c in cohorts] == ["en", "ja"]
    assert cohorts[0].warning == ""
    assert "only 3 reviewed samples" in cohorts[1].warning


def test_suggest_by_cost_finds_the_cheapest_threshold() -> None:
    c = curves()
    s = c.suggest_by_cost(fp_cost=5, fn_cost=1)
    # Brute force over every threshold between and around the scores.
    grid = np.linspace(0, 1.01, 1011)
    table = c.table(grid)
    cost = 5 * table["fp"] + table["fn"]
    assert s.threshold is not None
    p = c.at(s.threshold)
    assert 5 * p.fp + p.fn == pytest.approx(cost.min())
    # A false positive costs 5: acting on nothing (cost 3 FN) beats any action here
    # except 0.9 alone (0 FP, 2 FN).
    assert s.threshold == pytest.approx(0.9)
    assert "lowest expected cost" in s.explanation
    assert "current 0.5" in s.explanation


def test_suggest_for_precision_maximises_automation() -> None:
    rng = np.random.default_rng(5)
    n = 3_000
    good = rng.random(n) < 0.6
    scores = np.round(np.where(good, rng.beta(7, 2, n), rng.beta(2, 3, n)), 3).astype(np.float64)
    data = ScoredSamples(scores, np.where(good, GOOD, BAD).astype(np.int8), np.ones(n))
    c = curves(data)
    s = c.suggest_for_precision(0.95)
    assert s.threshold is not None and s.point is not None
    assert s.point.precision.low >= 0.95
    # One notch lower acts on more samples and misses the target.
    below = c.at(float(np.max(scores[scores < s.threshold])))
    assert below.precision.low < 0.95
    assert "automates the most traffic" in s.explanation
    impossible = curves(samples([0.5, 0.6], [GOOD, BAD])).suggest_for_precision(0.99)
    assert impossible.threshold is None
    assert "No threshold reaches 99.0 %" in impossible.explanation


def test_summary_sentence() -> None:
    c = curves()
    text = describe_change(c.at(0.4), c.at(0.85))
    # FP 2 -> 0, FN 0 -> 2, automation 7/8 -> 3/8 (0.9, 0.95 and... 0.9, 0.95 only = 2/8).
    assert text == (
        "0.4 → 0.85: false positives −100 %, false negatives from 0 to 2, "
        "automation −71 %, on 6 reviewed samples"
    )


def test_action_target_follows_the_action_name() -> None:
    assert action_target("auto_send") == "good"
    assert action_target("block") == "bad"
    assert action_target("Escalate to human") == "bad"


def test_wilson_intervals_for_arrays_match_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    from redline.analytics.stats import wilson_intervals

    k = np.array([0, 1, 10, 37, 612, 3, 1, 0])
    n = np.array([10, 10, 10, 120, 1000, 7, 1, 0])
    low, high = wilson_intervals(k, n)
    ref_low, ref_high = proportion_confint(k[:-1], n[:-1], alpha=0.05, method="wilson")
    np.testing.assert_allclose(low[:-1], ref_low, atol=1e-12)
    np.testing.assert_allclose(high[:-1], ref_high, atol=1e-12)
    assert (low[-1], high[-1]) == (0.0, 1.0)  # no data: the whole range


def _brute_force(data: ScoredSamples, t: float, *, overrides: dict[str, float], weighted: bool,
                 ) -> dict[str, float]:  # fmt: skip
    """The counts at `t` by the definition: every sample's own threshold, its weight."""
    language = data.segments["language"].astype(str)
    own = np.array([overrides.get(v, t) for v in language])
    acted = data.scores >= own
    w = data.weights if weighted else np.ones(len(data))
    good, bad = data.labels == GOOD, data.labels == BAD
    return {
        "tp": w[acted & good].sum(), "fp": w[acted & bad].sum(),
        "fn": w[~acted & good].sum(), "tn": w[~acted & bad].sum(),
        "automation": w[acted].sum() / w.sum(),
        "automation_n": w.sum() ** 2 / (w**2).sum(),
    }  # fmt: skip


@pytest.mark.parametrize("weights", ["none", "strata", "per sample", "17 levels"])
def test_counts_match_the_definition_for_any_weighting(weights: str) -> None:
    # Ties (scores on a 0.05 grid), every kind of label, a segment with its own
    # threshold; weights from a few strata (sorted per weight) or one per sample
    # (argsorted): the shortcuts must not change a single count.
    rng = np.random.default_rng(5)
    n = 600
    probs = {
        "none": np.ones(n),
        "strata": rng.choice([1.0, 0.25, 0.1], n),
        "per sample": rng.uniform(0.05, 1.0, n),
        "17 levels": rng.choice(np.linspace(0.1, 1.0, 17), n),
    }[weights]
    data = samples(
        list(np.round(rng.random(n) * 20) / 20),
        list(
            rng.choice([GOOD, BAD, UNSURE, DISPUTED, UNREVIEWED], n, p=[0.5, 0.3, 0.1, 0.05, 0.05])
        ),
        list(probs),
        language=list(rng.choice(["en", "de", "ja"], n)),
    )
    weighted = weights != "none"
    overrides = {"ja": 0.7}
    c = build_curves(data, direction="ge", target="good", threshold=0.5, weighted=weighted,
                     segment_field="language", segment_thresholds=overrides)  # fmt: skip
    for t in (0.0, 0.25, 0.5, 0.55, 0.95, 1.01):
        p = c.at(t)
        expected = _brute_force(data, t, overrides=overrides, weighted=weighted)
        assert (p.tp, p.fp, p.fn, p.tn) == pytest.approx(
            (expected["tp"], expected["fp"], expected["fn"], expected["tn"])
        )
        assert p.automation.value == pytest.approx(expected["automation"])
        assert p.automation.n == pytest.approx(expected["automation_n"])
    good = data.labels == GOOD
    assert sorted(c.good_scores) == pytest.approx(sorted(data.scores[good]))
    if weighted:
        assert c.good_weights is not None
        assert c.good_weights.sum() == pytest.approx(data.weights[good].sum())
    assert c.score_range == (data.scores.min(), data.scores.max())


def test_members_are_the_samples_behind_each_cell() -> None:
    data = samples(
        [0.6, 0.7, 0.8, 0.6, 0.7, 0.8, 0.9],
        [GOOD, BAD, GOOD, GOOD, GOOD, BAD, UNSURE],
        language=["en", "en", "en", "ja", "ja", "ja", "en"],
    )
    overall = build_curves(
        data, direction="ge", target="good", threshold=0.65,
        segment_field="language", segment_thresholds={"ja": 0.75},
    )  # fmt: skip
    # At 0.65: en acts on 0.7 (bad) and 0.8 (good); ja stays at 0.75: acts on 0.8 (bad).
    assert overall.members(0.65, "tp").tolist() == [2]
    assert overall.members(0.65, "fp").tolist() == [1, 5]
    assert overall.members(0.65, "fn").tolist() == [0, 3, 4]
    assert overall.members(0.65, "tn").tolist() == []
    p = overall.at(0.65)
    for cell in ("tp", "fp", "fn", "tn"):
        assert len(overall.members(0.65, cell)) == getattr(p, cell)
    # A guardrail (act on bad, at or below): its true positives are blocked bad ones.
    block = build_curves(data, direction="le", target="bad", threshold=0.7, segment="en",
                         segment_field="language")  # fmt: skip
    assert block.members(0.7, "tp").tolist() == [1]
    assert block.members(0.7, "fp").tolist() == [0]
    with pytest.raises(ValueError, match="unknown cell"):
        block.members(0.7, "xx")  # type: ignore[arg-type]


def test_small_multiples_within_a_cohort() -> None:
    data = samples(
        [0.5, 0.6, 0.7, 0.8, 0.5, 0.6, 0.7, 0.8],
        [GOOD, BAD, GOOD, GOOD, BAD, GOOD, GOOD, BAD],
        language=["en", "en", "de", "de", "de", "en", "de", "en"],
        model=["a", "b", "a", "b", "a", "a", "b", "b"],
    )
    options = {"direction": "ge", "target": "good", "threshold": 0.55,
               "segment_field": "language", "segment_thresholds": {"de": 0.65}}  # fmt: skip
    # By model within de: only de's samples, at de's own threshold.
    within = segment_curves(data, "model", cohort="de", **options)  # type: ignore[arg-type]
    assert [(s.value, s.curves.reviewed, s.curves.current) for s in within] == [
        ("a", 2, 0.65),
        ("b", 2, 0.65),
    ]
    assert within[0].curves.at(0.65).tp == 1  # de & a: 0.7 good acted, 0.5 bad held
    # By the policy's own segment field: narrowing would leave one panel, so every
    # cohort is shown, each at its threshold, and the chosen one is marked.
    cohorts = segment_curves(data, "language", cohort="de", **options)  # type: ignore[arg-type]
    assert [(s.value, s.curves.current, s.chosen) for s in cohorts] == [
        ("de", 0.65, True),
        ("en", 0.55, False),
    ]
    # Values absent from the cohort get no panel.
    only_en = samples([0.5, 0.6], [GOOD, BAD], language=["en", "de"], model=["a", "b"])
    panels = segment_curves(only_en, "model", cohort="en", direction="ge", target="good",
                            threshold=0.5, segment_field="language")  # fmt: skip
    assert [s.value for s in panels] == ["a"]
