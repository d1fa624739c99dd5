"""PSI and KS against scipy and hand-computed values, on constructed shifts: none, a mean
shift, a category appearing, a category vanishing, empty windows; the report built on
them flags exactly what was shifted."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from redline.analytics.drift import (
    PSI_EPSILON,
    DriftLevels,
    binned_psi,
    ks_2samp,
    mix_psi,
    psi,
    psi_p_value,
    quantile_edges,
)
from redline.analytics.drift_report import DriftReport, Window, drift_report
from redline.drift.suggest import suggest_sampling
from redline.ingest.types import SamplingRule

# --------------------------------------------------------------------------- PSI


def test_psi_of_identical_mixes_is_zero() -> None:
    assert psi([30, 50, 20], [3, 5, 2]) == pytest.approx(0.0, abs=1e-15)


def test_psi_by_hand() -> None:
    # shares 0.5/0.5 -> 0.6/0.4: 0.1 ln(0.6/0.5) + (-0.1) ln(0.4/0.5)
    expected = 0.1 * math.log(1.2) + (-0.1) * math.log(0.8)
    assert psi([50, 50], [60, 40]) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.04055, abs=1e-5)


def test_psi_is_the_symmetrised_kullback_leibler_divergence_of_scipy() -> None:
    rng = np.random.default_rng(3)
    r = rng.dirichlet(np.ones(8))
    c = rng.dirichlet(np.ones(8))
    symmetric_kl = float(np.sum(special.rel_entr(c, r) + special.rel_entr(r, c)))
    assert psi(r, c) == pytest.approx(symmetric_kl, rel=1e-12)
    assert psi(r, c) == pytest.approx(stats.entropy(c, r) + stats.entropy(r, c), rel=1e-12)


def test_a_new_category_counts_with_the_documented_epsilon() -> None:
    shift = mix_psi(["en"] * 50 + ["de"] * 50, ["en"] * 40 + ["de"] * 40 + ["ja"] * 20)
    expected = 2 * (-0.1 * math.log(0.4 / 0.5)) + (0.2 - PSI_EPSILON) * math.log(0.2 / PSI_EPSILON)
    assert shift.psi == pytest.approx(expected, rel=1e-12)
    assert shift.appeared == ("ja",)
    assert shift.vanished == ()
    assert shift.top_mover() == "ja"


def test_a_vanished_category_counts_the_same_way_round() -> None:
    shift = mix_psi(["en"] * 40 + ["de"] * 40 + ["ja"] * 20, ["en"] * 50 + ["de"] * 50)
    expected = 2 * (0.1 * math.log(0.5 / 0.4)) + (PSI_EPSILON - 0.2) * math.log(PSI_EPSILON / 0.2)
    assert shift.psi == pytest.approx(expected, rel=1e-12)
    assert shift.vanished == ("ja",)


def test_missing_values_are_a_category_of_their_own() -> None:
    shift = mix_psi(["en", None, "en", "de"], ["en", "en", "de", "de"])
    assert "(none)" in shift.vanished


def test_empty_windows_give_no_psi() -> None:
    assert math.isnan(psi([0, 0], [1, 2]))
    assert math.isnan(mix_psi([], ["en"]).psi)
    assert math.isnan(binned_psi([0.1, 0.2], []).psi)


def test_weights_reweight_a_mix_to_production() -> None:
    # "de" was imported at a quarter of its rate: weight 4 restores its real share.
    plain = mix_psi(["en", "en", "de", "de"], ["en", "en", "en", "en", "de"])
    weighted = mix_psi(
        ["en", "en", "de", "de"],
        ["en", "en", "en", "en", "de"],
        current_weights=[1, 1, 1, 1, 4],
    )
    assert plain.psi > 0.3
    assert weighted.psi == pytest.approx(0.0, abs=1e-12)


def test_score_bins_are_the_reference_deciles() -> None:
    rng = np.random.default_rng(5)
    reference = rng.beta(6, 2, 2000)
    shift = binned_psi(reference, rng.beta(6, 2, 2000))
    assert len(shift.edges) == 9
    assert np.allclose(shift.reference, 0.1, atol=0.001)
    assert shift.psi < 0.05
    assert np.allclose(quantile_edges(reference), np.quantile(reference, np.arange(1, 10) / 10))


def test_a_mean_shift_in_scores_gives_a_large_psi_with_its_bins_by_hand() -> None:
    reference = np.repeat(np.arange(10) / 10 + 0.05, 100)  # 0.05, 0.15, ... 100 each
    current = np.repeat(np.arange(10) / 10 + 0.05, 100) - 0.1  # everything one bin down
    shift = binned_psi(reference, current)
    # Deciles of the reference put one value per bin; shifted down, bin 0 holds 20 %
    # (its own and the one below) and the top bin is empty.
    expected_current = [0.2, *([0.1] * 8), 0.0]
    assert shift.current == pytest.approx(expected_current)
    assert shift.psi == pytest.approx(
        psi([0.1] * 10, expected_current), rel=1e-12
    )  # = 0.1 ln 2 + (ε − 0.1) ln(ε / 0.1)
    # What grew is the lowest bin: everything up to the first edge.
    assert shift.grown_range() == (-math.inf, shift.edges[0])
    assert 0.05 <= shift.edges[0] < 0.15


def test_psi_of_noise_is_judged_as_noise() -> None:
    rng = np.random.default_rng(11)
    small_a, small_b = rng.beta(6, 2, 60), rng.beta(6, 2, 60)
    noise = binned_psi(small_a, small_b)
    assert psi_p_value(noise.psi, 60, 60, 10) > 0.01
    big = binned_psi(rng.beta(6, 2, 2000), rng.beta(4, 3, 2000))
    assert psi_p_value(big.psi, 2000, 2000, 10) < 1e-6


# --------------------------------------------------------------------------- KS


@pytest.mark.parametrize(
    ("n1", "n2", "shift"),
    [(5, 7, 0.0), (30, 30, 0.5), (100, 250, 0.2), (800, 750, 0.1), (3, 1000, 1.0), (400, 400, 0)],
)
def test_ks_matches_scipy_exact(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 * 31 + n2)
    a, b = rng.normal(size=n1), rng.normal(shift, size=n2)
    ours = ks_2samp(a, b)
    theirs = stats.ks_2samp(a, b, method="exact")
    assert ours.method == "exact"
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-8, abs=1e-12)


def test_ks_with_ties_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 5, 300), rng.integers(0, 6, 400)
    ours, theirs = ks_2samp(a, b), stats.ks_2samp(a, b)
    assert ours.statistic == pytest.approx(theirs.statistic)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-8)
    assert ours.shift == 1  # the current values run larger


def test_ks_of_identical_samples() -> None:
    values = np.arange(100.0)
    result = ks_2samp(values, values)
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_ks_asymptotic_is_kolmogorovs_limit() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=12_000), rng.normal(0.03, size=11_000)
    ours = ks_2samp(a, b)
    assert ours.method == "asymptotic"
    en = 12_000 * 11_000 / 23_000
    assert ours.p_value == pytest.approx(stats.kstwobign.sf(math.sqrt(en) * ours.statistic))
    # scipy's finite-n distribution at these sizes is within 0.01 of the limit.
    assert ours.p_value == pytest.approx(stats.ks_2samp(a, b, method="asymp").pvalue, abs=0.01)


@pytest.mark.parametrize("x", [0.2, 0.5, 0.9, 1.0, 1.36, 2.5])
def test_kolmogorov_tail_matches_scipy(x: float) -> None:
    # Drive the asymptotic path with "asymptotic" on samples giving D = x / sqrt(en).
    from redline.analytics.drift import _kolmogorov_sf

    assert _kolmogorov_sf(x) == pytest.approx(stats.kstwobign.sf(x), abs=1e-9)


def test_ks_of_an_empty_sample_is_undefined() -> None:
    result = ks_2samp([], [1.0, 2.0])
    assert math.isnan(result.statistic) and math.isnan(result.p_value)


# --------------------------------------------------------------------------- levels


def test_levels_from_settings() -> None:
    levels = DriftLevels.from_dict({"psi_alert": "0.3", "min_samples": 20, "unknown": 1})
    assert (levels.psi_alert, levels.min_samples, levels.psi_watch) == (0.3, 20, 0.1)
    with pytest.raises(ValueError, match="PSI"):
        DriftLevels.from_dict({"psi_watch": 0.5, "psi_alert": 0.2})
    assert levels.psi_level(0.31) == "alert"
    assert levels.psi_level(0.31, p_value=0.2) == "ok"  # within chance


# --------------------------------------------------------------------------- report


def _traffic(rng: np.random.Generator, n: int, window: str | None) -> pd.DataFrame:
    prompts = rng.choice(["support v3", "summarizer v2"], n, p=[0.7, 0.3])
    return pd.DataFrame(
        {
            "sample_id": [uuid.uuid4() for _ in range(n)],
            "window": window,
            "weight": 1.0,
            "score": rng.beta(6, 2, n),
            "prompt": prompts,
            "language": rng.choice(["en", "de", "fr"], n, p=[0.6, 0.2, 0.2]),
            "latency_ms": rng.lognormal(7, 0.3, n),
            "signal_edited": rng.binomial(1, 0.2, n).astype(float),
            "reviews_good": rng.binomial(1, 0.7, n).astype(float),
            "reviews_judged": 1.0,
        }
    )


def _report(
    reference: pd.DataFrame, current: pd.DataFrame, levels: DriftLevels | None = None
) -> DriftReport:
    frame = pd.concat([reference, current], ignore_index=True)
    mask = pd.Series([True] * len(reference) + [False] * len(current))
    return drift_report(
        frame,
        reference=mask,
        windows=[Window("w1", "week 1")],
        reference_window=Window("reference", "reference"),
        by="week",
        levels=levels,
    )


def test_no_shift_flags_nothing() -> None:
    rng = np.random.default_rng(21)
    report = _report(_traffic(rng, 1500, None), _traffic(rng, 1500, "w1"))
    assert report.flagged() == []
    quantities = {f.quantity for f in report.findings}
    assert {"score", "mix:language", "latency_ms", "signal:signal_edited", "satisfaction"} <= (
        quantities
    )


def test_a_score_shift_in_one_prompt_flags_exactly_that_slice() -> None:
    rng = np.random.default_rng(22)
    current = _traffic(rng, 1500, "w1")
    slice_ = current["prompt"] == "summarizer v2"
    current.loc[slice_, "score"] *= 0.6
    report = _report(_traffic(rng, 1500, None), current)
    flagged = report.flagged()
    assert [(f.quantity, f.slice_value, f.level) for f in flagged] == [
        ("score", "summarizer v2", "alert")
    ]
    assert flagged[0].sample_ids == frozenset(current.loc[slice_, "sample_id"])
    assert "shifted down" in flagged[0].message and "review the threshold" in flagged[0].message
    overall = next(f for f in report.findings if f.quantity == "score" and f.slice_field is None)
    assert overall.explained_by in (None, "prompt summarizer v2")  # never flagged on its own
    assert not overall.flagged


def test_a_new_language_is_flagged_and_the_queue_gets_its_samples() -> None:
    rng = np.random.default_rng(23)
    current = _traffic(rng, 1500, "w1")
    new = current.index[:300]
    current.loc[new, "language"] = "ja"
    report = _report(_traffic(rng, 1500, None), current)
    [finding] = report.flagged()
    assert finding.quantity == "mix:language"
    assert finding.detail["appeared"] == ["ja"]
    assert finding.sample_ids == frozenset(current.loc[new, "sample_id"])
    assert "new: ja" in finding.message
    suggestion = suggest_sampling(finding)
    assert suggestion.rule == "stratified:language:500"
    assert SamplingRule.parse(suggestion.rule).field == "language"


def test_a_vanished_language_is_flagged() -> None:
    rng = np.random.default_rng(24)
    current = _traffic(rng, 1500, "w1")
    current = current[current["language"] != "fr"]
    [finding] = _report(_traffic(rng, 1500, None), current).flagged()
    assert finding.quantity == "mix:language"
    assert finding.detail["vanished"] == ["fr"]
    assert "gone: fr" in finding.message


def test_a_latency_shift_is_found_by_ks_and_has_no_sampling_rule() -> None:
    rng = np.random.default_rng(25)
    current = _traffic(rng, 1500, "w1")
    current["latency_ms"] *= 1.5
    [finding] = _report(_traffic(rng, 1500, None), current).flagged()
    assert (finding.quantity, finding.method, finding.level) == ("latency_ms", "ks", "alert")
    assert finding.p_value is not None and finding.p_value < 1e-6
    assert "latency higher" in finding.message
    assert suggest_sampling(finding).rule is None


def test_a_rate_rise_is_flagged_with_its_intervals() -> None:
    rng = np.random.default_rng(26)
    current = _traffic(rng, 1500, "w1")
    current["signal_edited"] = rng.binomial(1, 0.4, 1500).astype(float)
    [finding] = _report(_traffic(rng, 1500, None), current).flagged()
    assert finding.quantity == "signal:signal_edited"
    assert finding.statistic == pytest.approx(0.2, abs=0.05)
    low, high = finding.detail["interval_current"]
    assert low < finding.detail["rate_current"] < high
    assert suggest_sampling(finding).rule == "negative:500"


def test_empty_and_small_windows_are_not_judged() -> None:
    rng = np.random.default_rng(27)
    empty = _report(_traffic(rng, 500, None), _traffic(rng, 0, "w1"))
    assert empty.findings == ()
    assert any("no samples" in note for note in empty.notes)
    small = _report(_traffic(rng, 500, None), _traffic(rng, 10, "w1"))
    assert small.flagged() == []
    assert {f.level for f in small.findings} == {"too_few"}
    no_reference = _report(_traffic(rng, 0, None), _traffic(rng, 500, "w1"))
    assert any("reference window has 0 samples" in note for note in no_reference.notes)
    assert no_reference.as_dict()["flagged"] == []


def test_score_suggestion_is_a_band_the_importer_accepts() -> None:
    rng = np.random.default_rng(28)
    current = _traffic(rng, 1500, "w1")
    current.loc[current["prompt"] == "summarizer v2", "score"] *= 0.6
    [finding] = _report(_traffic(rng, 1500, None), current).flagged()
    suggestion = suggest_sampling(finding)
    rule = SamplingRule.parse(suggestion.rule or "")
    assert rule.kind == "score_band"
    assert rule.low == 0.0 and rule.high is not None and 0.3 < rule.high < 0.8
    assert "No rule selects prompt summarizer v2 alone" in suggestion.explanation
