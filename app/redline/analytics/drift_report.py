"""The drift report: every quantity of every window measured against a reference.

Windows, slices and the quantities come in as one data frame (see `drift_report`);
findings come out with plain-words messages, the level from `DriftLevels`, and the ids
of the drifted samples so a screen can open them in the review queue. The measures
themselves (PSI, KS, levels) are in `redline.analytics.drift`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from redline.analytics.drift import (
    LEVEL_ORDER,
    MISSING,
    DriftLevels,
    Level,
    binned_psi,
    ks_2samp,
    mix_psi,
    psi_p_value,
    shares,
)
from redline.analytics.stats import Rate, effective_n, proportions_compared, rate, weighted_rate

__all__ = [
    "CONTINUOUS_QUANTITIES",
    "MIX_QUANTITIES",
    "SIGNAL_QUANTITIES",
    "DriftFinding",
    "DriftReport",
    "Window",
    "WindowBy",
    "WindowSummary",
    "drift_report",
    "score_finding",
]

WindowBy = Literal["batch", "day", "week"]

# Frame column -> what a user calls it. Segment keys come as "segment.<key>".
MIX_QUANTITIES: dict[str, str] = {
    "language": "language mix",
    "model": "model mix",
    "prompt": "prompt version mix",
    "variant": "A/B variant mix",
}
CONTINUOUS_QUANTITIES: dict[str, str] = {
    "input_chars": "input length",
    "output_chars": "output length",
    "latency_ms": "latency",
    "tokens_in": "input tokens",
    "tokens_out": "output tokens",
}
SIGNAL_QUANTITIES: dict[str, str] = {
    "signal_copied": "copied rate",
    "signal_edited": "edited rate",
    "signal_follow_up": "follow-up rate",
    "thumbs_down": "thumbs-down rate",
    "thumbs_up": "thumbs-up rate",
}


@dataclass(frozen=True)
class Window:
    """One window of the report (a batch, a day or a 7-day week) or the reference.

    `start`/`end` bound captured_at (end exclusive); batch windows have None.
    """

    key: str
    label: str
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class DriftFinding:
    """One quantity of one slice in one window, measured against the reference.

    Attributes:
        quantity: "score", "mix:<field>", a continuous column, "signal:<column>" or
            "satisfaction".
        label: the quantity in words ("score distribution", "language mix").
        slice: the traffic it concerns in words ("all traffic", "prompt summarizer v2").
        slice_field, slice_value: the frame column and value of the slice (None for all).
        window: the window's key.
        method: "psi", "ks" or "rate".
        statistic: the PSI, the KS statistic D, or the rate difference (current − ref).
        p_value: for KS and rates; None for PSI.
        level: "ok", "watch", "alert" or "too_few".
        n_reference, n_current: samples compared.
        message: the finding in plain words.
        detail: what moved (top category, bin shares, rates, ...), JSON-ready.
        sample_ids: the drifted samples of the current window, for flagged findings.
        explained_by: for an overall finding, the slices that account for it.
    """

    quantity: str
    label: str
    slice: str
    slice_field: str | None
    slice_value: str | None
    window: str
    method: str
    statistic: float
    p_value: float | None
    level: Level
    n_reference: int
    n_current: int
    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    sample_ids: frozenset[uuid.UUID] = frozenset()
    explained_by: str | None = None

    @property
    def flagged(self) -> bool:
        """Worth a look: watch or alert, and not explained by a slice shown on its own."""
        return self.level in ("watch", "alert") and self.explained_by is None

    @property
    def severity(self) -> int:
        return LEVEL_ORDER[self.level]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (without the sample ids: they can be many)."""

        def clean(value: float | None) -> float | None:
            return None if value is None or math.isnan(value) else value

        return {
            "quantity": self.quantity,
            "label": self.label,
            "slice": self.slice,
            "window": self.window,
            "method": self.method,
            "statistic": clean(self.statistic),
            "p_value": clean(self.p_value),
            "level": self.level,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "message": self.message,
            "detail": dict(self.detail),
            "samples": len(self.sample_ids),
            "explained_by": self.explained_by,
        }


@dataclass(frozen=True)
class WindowSummary:
    """What one window looked like (for the over-time plots).

    Attributes:
        window: its key ("reference" for the reference window).
        n: samples.
        score_quantiles: the score's 10th, 50th and 90th percentiles (NaN if none).
        mixes: {field: {category: share}}.
        medians: {continuous column: median}.
        rates: {signal column or "satisfaction": Rate with its Wilson interval}.
    """

    window: str
    n: int
    score_quantiles: tuple[float, float, float]
    mixes: Mapping[str, Mapping[str, float]]
    medians: Mapping[str, float]
    rates: Mapping[str, Rate]


@dataclass(frozen=True)
class DriftReport:
    """Every window measured against the reference.

    Attributes:
        by: "batch", "day" or "week".
        reference: the reference window.
        windows: the windows after it, in time order.
        summaries: the reference's summary first, then one per window.
        findings: every comparison (flagged or not), window by window.
        levels: the levels used.
        notes: caveats in plain words (re-weighting, too few samples, ...).
    """

    by: str
    reference: Window
    windows: tuple[Window, ...]
    summaries: tuple[WindowSummary, ...]
    findings: tuple[DriftFinding, ...]
    levels: DriftLevels
    notes: tuple[str, ...] = ()

    def flagged(self) -> list[DriftFinding]:
        """The flagged findings, most severe and largest first."""
        return sorted(
            (f for f in self.findings if f.flagged),
            key=lambda f: (-f.severity, -_magnitude(f)),
        )

    def window(self, key: str) -> Window:
        return next(w for w in (self.reference, *self.windows) if w.key == key)

    def as_dict(self) -> dict[str, Any]:
        def window(w: Window) -> dict[str, Any]:
            return {
                "key": w.key,
                "label": w.label,
                "start": w.start.isoformat() if w.start else None,
                "end": w.end.isoformat() if w.end else None,
            }

        return {
            "by": self.by,
            "reference": window(self.reference),
            "windows": [window(w) for w in self.windows],
            "levels": {f.name: getattr(self.levels, f.name) for f in fields(self.levels)},
            "notes": list(self.notes),
            "flagged": [f.as_dict() for f in self.flagged()],
            "findings": [f.as_dict() for f in self.findings],
        }


def _magnitude(finding: DriftFinding) -> float:
    value = abs(finding.statistic)
    return 0.0 if math.isnan(value) else value


# Columns `drift_report` reads from the frame (missing optional ones are skipped).
FRAME_COLUMNS = (
    "sample_id",
    "window",
    "score",
    "prompt",
    "weight",
    *MIX_QUANTITIES,
    *CONTINUOUS_QUANTITIES,
    *SIGNAL_QUANTITIES,
    "reviews_good",
    "reviews_judged",
)


def drift_report(
    frame: pd.DataFrame,
    *,
    reference: pd.Series,
    windows: Sequence[Window],
    reference_window: Window,
    by: str,
    levels: DriftLevels | None = None,
) -> DriftReport:
    """Measure every quantity of every window against the reference.

    Args:
        frame: one row per sample. Columns: `sample_id`, `window` (the key of the
            window it falls in, or None), `weight` (1 / inclusion probability),
            `score`, `prompt` ("name version"), the mix columns (`MIX_QUANTITIES`,
            plus any `segment.<key>`), the continuous ones (`CONTINUOUS_QUANTITIES`),
            the signals as 0/1 or NaN (`SIGNAL_QUANTITIES`), and `reviews_good` /
            `reviews_judged` (reviews saying "good" / reviews with a verdict).
        reference: boolean, aligned with `frame`: the rows of the reference window
            (they may also belong to a window).
        windows: the windows to measure, in time order.
        reference_window: how to name the reference.
        by: how the windows were cut ("batch", "day", "week").
        levels: flag levels (defaults: `DriftLevels()`).
    """
    levels = levels or DriftLevels()
    frame = frame.reset_index(drop=True)
    reference = pd.Series(np.asarray(reference, dtype=bool))
    ref = frame[reference]
    mix_fields = [c for c in MIX_QUANTITIES if c in frame] + sorted(
        c for c in frame.columns if str(c).startswith("segment.")
    )
    notes: list[str] = []
    weights_differ = "weight" in frame and bool((frame["weight"] != 1.0).any())
    if weights_differ:
        notes.append(
            "Some samples were imported by a weighted sampling rule: mixes, score bins and "
            "rates are re-weighted to production traffic; the KS tests on lengths, latency "
            "and tokens are not."
        )
    if len(ref) < levels.min_samples:
        notes.append(
            f"The reference window has {len(ref)} samples (fewer than {levels.min_samples}): "
            "nothing can be judged against it; pick a longer reference."
        )
    findings: list[DriftFinding] = []
    summaries = [_summary(reference_window.key, ref, mix_fields)]
    for window in windows:
        cur = frame[frame["window"] == window.key]
        summaries.append(_summary(window.key, cur, mix_fields))
        if cur.empty:
            notes.append(f"{window.label}: no samples.")
            continue
        findings.extend(_window_findings(window, ref, cur, mix_fields, levels))
    return DriftReport(
        by=by,
        reference=reference_window,
        windows=tuple(windows),
        summaries=tuple(summaries),
        findings=tuple(findings),
        levels=levels,
        notes=tuple(notes),
    )


def _weights(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    if "weight" in frame:
        return frame["weight"].to_numpy(dtype=float)
    return np.ones(len(frame))


def _ids(frame: pd.DataFrame) -> frozenset[uuid.UUID]:
    return frozenset(frame["sample_id"]) if "sample_id" in frame else frozenset()


def _too_few(n_ref: int, n_cur: int, levels: DriftLevels) -> bool:
    return min(n_ref, n_cur) < levels.min_samples


def _window_findings(
    window: Window,
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    mix_fields: Sequence[str],
    levels: DriftLevels,
) -> list[DriftFinding]:
    found: list[DriftFinding] = []
    # Scores: all traffic, then each prompt version on its own.
    if "score" in cur:
        overall = score_finding(ref, cur, window=window.key, levels=levels)
        slices: list[DriftFinding] = []
        if "prompt" in cur:
            names = sorted(set(ref["prompt"].dropna()) | set(cur["prompt"].dropna()))
            for name in names:
                slices.append(
                    score_finding(
                        ref[ref["prompt"] == name],
                        cur[cur["prompt"] == name],
                        window=window.key,
                        levels=levels,
                        slice_field="prompt",
                        slice_value=str(name),
                        slice_label=f"prompt {name}",
                    )
                )
        found.append(_explain(overall, ref, cur, slices=slices, window=window, levels=levels))
        found.extend(slices)
    for column in mix_fields:
        found.append(_mix_finding(column, ref, cur, window, levels))
    for column, label in CONTINUOUS_QUANTITIES.items():
        if column in cur:
            found.append(
                _continuous_finding(column, label, ref=ref, cur=cur, window=window, levels=levels)
            )
    for column, label in SIGNAL_QUANTITIES.items():
        if column in cur:
            finding = _rate_finding(column, label, ref=ref, cur=cur, window=window, levels=levels)
            if finding is not None:
                found.append(finding)
    if "reviews_judged" in cur:
        finding = _satisfaction_finding(ref, cur, window, levels)
        if finding is not None:
            found.append(finding)
    return found


def score_finding(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    *,
    window: str,
    levels: DriftLevels,
    slice_field: str | None = None,
    slice_value: str | None = None,
    slice_label: str = "all traffic",
) -> DriftFinding:
    """The score distribution of one slice: PSI over reference-decile bins (+ KS detail)."""
    r = ref[ref["score"].notna()]
    c = cur[cur["score"].notna()]
    shift = binned_psi(
        r["score"], c["score"], reference_weights=_weights(r), current_weights=_weights(c)
    )
    ks = ks_2samp(r["score"], c["score"])
    noise = psi_p_value(
        shift.psi, effective_n(_weights(r)), effective_n(_weights(c)), len(shift.reference)
    )
    level: Level = (
        "too_few" if _too_few(len(r), len(c), levels) else levels.psi_level(shift.psi, noise)
    )
    r_median = float(r["score"].median()) if len(r) else math.nan
    c_median = float(c["score"].median()) if len(c) else math.nan
    where = "" if slice_value is None else f" of {slice_label}"
    if level == "too_few":
        message = f"score distribution{where}: too few samples to judge ({len(r)} vs {len(c)})"
    elif level == "ok":
        chance = _noise(shift.psi, noise, levels)
        message = f"score distribution{where} stable: PSI {shift.psi:.2f}{chance}"
    else:
        direction = "down" if c_median < r_median else "up"
        advice = "review the threshold" if level == "alert" else "keep an eye on it"
        message = (
            f"score distribution{where} shifted {direction} "
            f"(median {r_median:.2f} → {c_median:.2f}): PSI {shift.psi:.2f}, {advice}"
        )
    grown = shift.grown_range()
    flagged = level in ("watch", "alert")
    return DriftFinding(
        quantity="score",
        label="score distribution",
        slice=slice_label,
        slice_field=slice_field,
        slice_value=slice_value,
        window=window,
        method="psi",
        statistic=shift.psi,
        p_value=None,
        level=level,
        n_reference=len(r),
        n_current=len(c),
        message=message,
        detail={
            "psi_p_value": _json_float(noise),
            "median_reference": _json_float(r_median),
            "median_current": _json_float(c_median),
            "ks_statistic": _json_float(ks.statistic),
            "ks_p_value": _json_float(ks.p_value),
            "bin_edges": list(shift.edges),
            "bins_reference": list(shift.reference),
            "bins_current": list(shift.current),
            "grown_range": None if grown is None else [_json_float(v) for v in grown],
        },
        sample_ids=_ids(c) if flagged else frozenset(),
    )


def _explain(
    overall: DriftFinding,
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    *,
    slices: Sequence[DriftFinding],
    window: Window,
    levels: DriftLevels,
) -> DriftFinding:
    """Mark the overall score shift as explained when the flagged slices account for it.

    Without them (the rest of the traffic) the shift must fall below the overall level,
    so a lead looks at the prompt that moved instead of at "all traffic".
    """
    culprits = [s for s in slices if s.level in ("watch", "alert")]
    if not overall.flagged or not culprits:
        return overall
    names = {s.slice_value for s in culprits}
    rest = score_finding(
        ref[~ref["prompt"].isin(names)],
        cur[~cur["prompt"].isin(names)],
        window=window.key,
        levels=levels,
    )
    if LEVEL_ORDER[rest.level] >= LEVEL_ORDER[overall.level]:
        return overall
    explained = ", ".join(s.slice for s in culprits)
    return replace(
        overall,
        explained_by=explained,
        message=f"{overall.message} (explained by {explained}; "
        f"without it PSI {rest.statistic:.2f})",
        sample_ids=frozenset(),
    )


def _mix_finding(
    column: str, ref: pd.DataFrame, cur: pd.DataFrame, window: Window, levels: DriftLevels
) -> DriftFinding:
    label = MIX_QUANTITIES.get(column, f"segment {column.removeprefix('segment.')} mix")
    shift = mix_psi(
        ref[column],
        cur[column],
        reference_weights=_weights(ref),
        current_weights=_weights(cur),
    )
    noise = psi_p_value(
        shift.psi, effective_n(_weights(ref)), effective_n(_weights(cur)), len(shift.categories)
    )
    level: Level = (
        "too_few" if _too_few(len(ref), len(cur), levels) else levels.psi_level(shift.psi, noise)
    )
    mover = shift.top_mover()
    if level == "too_few":
        message = f"{label}: too few samples to judge ({len(ref)} vs {len(cur)})"
    elif level == "ok":
        message = f"{label} stable: PSI {shift.psi:.2f}{_noise(shift.psi, noise, levels)}"
    else:
        parts = []
        if shift.appeared:
            parts.append("new: " + ", ".join(shift.appeared))
        if shift.vanished:
            parts.append("gone: " + ", ".join(shift.vanished))
        if mover is not None and mover not in shift.appeared:
            i = shift.categories.index(mover)
            parts.append(
                f"{mover} {100 * shift.reference[i]:.0f} % → {100 * shift.current[i]:.0f} %"
            )
        what = f" ({'; '.join(parts)})" if parts else ""
        message = f"{label} shifted{what}: PSI {shift.psi:.2f}"
    flagged = level in ("watch", "alert")
    drifted = cur
    if mover is not None:
        drifted = cur[cur[column].astype(object).where(cur[column].notna(), MISSING) == mover]
    return DriftFinding(
        quantity=f"mix:{column}",
        label=label,
        slice="all traffic",
        slice_field=column,
        slice_value=mover,
        window=window.key,
        method="psi",
        statistic=shift.psi,
        p_value=None,
        level=level,
        n_reference=len(ref),
        n_current=len(cur),
        message=message,
        detail={
            "psi_p_value": _json_float(noise),
            "categories": list(shift.categories),
            "shares_reference": list(shift.reference),
            "shares_current": list(shift.current),
            "appeared": list(shift.appeared),
            "vanished": list(shift.vanished),
            "top_mover": mover,
        },
        sample_ids=_ids(drifted) if flagged else frozenset(),
    )


def _continuous_finding(
    column: str,
    label: str,
    *,
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    window: Window,
    levels: DriftLevels,
) -> DriftFinding:
    r = ref[column].dropna().to_numpy(dtype=float)
    c_frame = cur[cur[column].notna()]
    c = c_frame[column].to_numpy(dtype=float)
    result = ks_2samp(r, c)
    level: Level = "too_few" if _too_few(r.size, c.size, levels) else levels.ks_level(result)
    r_median = float(np.median(r)) if r.size else math.nan
    c_median = float(np.median(c)) if c.size else math.nan
    if level == "too_few":
        message = f"{label}: too few samples to judge ({r.size} vs {c.size})"
    elif level == "ok":
        message = f"{label} stable: KS D {result.statistic:.2f}"
    else:
        direction = "longer" if "length" in label else "higher"
        if c_median < r_median:
            direction = "shorter" if "length" in label else "lower"
        message = (
            f"{label} {direction} (median {r_median:,.0f} → {c_median:,.0f}): "
            f"KS D {result.statistic:.2f}, p {_p(result.p_value)}"
        )
    drifted = c_frame
    if level in ("watch", "alert") and r.size:
        # The drifted samples: those beyond the reference's 95th (or 5th) percentile.
        if c_median >= r_median:
            drifted = c_frame[c > np.quantile(r, 0.95)]
        else:
            drifted = c_frame[c < np.quantile(r, 0.05)]
    return DriftFinding(
        quantity=column,
        label=label,
        slice="all traffic",
        slice_field=None,
        slice_value=None,
        window=window.key,
        method="ks",
        statistic=result.statistic,
        p_value=result.p_value,
        level=level,
        n_reference=int(r.size),
        n_current=int(c.size),
        message=message,
        detail={
            "median_reference": _json_float(r_median),
            "median_current": _json_float(c_median),
            "ks_method": result.method,
        },
        sample_ids=_ids(drifted) if level in ("watch", "alert") else frozenset(),
    )


def _window_rate(frame: pd.DataFrame, hits: pd.Series) -> Rate:
    weights = _weights(frame)
    if np.all(weights == 1.0):
        return rate(float(hits.sum()), float(len(hits)))
    return weighted_rate(hits.to_numpy(dtype=bool), weights)


def _rate_finding(
    column: str,
    label: str,
    *,
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    window: Window,
    levels: DriftLevels,
) -> DriftFinding | None:
    r_frame = ref[ref[column].notna()]
    c_frame = cur[cur[column].notna()]
    if r_frame.empty and c_frame.empty:
        return None  # this signal is not logged at all
    r_rate = _window_rate(r_frame, r_frame[column].astype(bool))
    c_rate = _window_rate(c_frame, c_frame[column].astype(bool))
    return _rate_compared(
        quantity=f"signal:{column}",
        label=label,
        r_rate=r_rate,
        c_rate=c_rate,
        window=window,
        levels=levels,
        drifted=c_frame[c_frame[column].astype(bool)],
        n=(len(r_frame), len(c_frame)),
    )


def _satisfaction_finding(
    ref: pd.DataFrame, cur: pd.DataFrame, window: Window, levels: DriftLevels
) -> DriftFinding | None:
    r_judged, c_judged = float(ref["reviews_judged"].sum()), float(cur["reviews_judged"].sum())
    if r_judged == 0 and c_judged == 0:
        return None
    r_rate = rate(float(ref["reviews_good"].sum()), r_judged)
    c_rate = rate(float(cur["reviews_good"].sum()), c_judged)
    bad = cur[(cur["reviews_judged"] > 0) & (cur["reviews_good"] < cur["reviews_judged"])]
    return _rate_compared(
        quantity="satisfaction",
        label="satisfaction (reviews judged good)",
        r_rate=r_rate,
        c_rate=c_rate,
        window=window,
        levels=levels,
        drifted=bad,
        n=(int(r_judged), int(c_judged)),
    )


def _rate_compared(
    *,
    quantity: str,
    label: str,
    r_rate: Rate,
    c_rate: Rate,
    window: Window,
    levels: DriftLevels,
    drifted: pd.DataFrame,
    n: tuple[int, int],
) -> DriftFinding:
    if r_rate.defined and c_rate.defined:
        test = proportions_compared(
            round(r_rate.successes), max(1, round(r_rate.n)),
            round(c_rate.successes), max(1, round(c_rate.n)),
        )  # fmt: skip
        difference = c_rate.value - r_rate.value
        p_value = test.p_value
    else:
        difference, p_value = math.nan, math.nan
    level: Level = "too_few" if _too_few(*n, levels) else levels.rate_level(difference, p_value)
    if level == "too_few":
        message = f"{label}: too few samples to judge ({n[0]} vs {n[1]})"
    elif level == "ok":
        message = f"{label} stable: {r_rate.percent()} → {c_rate.percent()}"
    else:
        direction = "rose" if difference > 0 else "fell"
        message = f"{label} {direction}: {r_rate.percent()} → {c_rate.percent()}, p {_p(p_value)}"
    return DriftFinding(
        quantity=quantity,
        label=label,
        slice="all traffic",
        slice_field=None,
        slice_value=None,
        window=window.key,
        method="rate",
        statistic=difference,
        p_value=p_value,
        level=level,
        n_reference=n[0],
        n_current=n[1],
        message=message,
        detail={
            "rate_reference": _json_float(r_rate.value),
            "rate_current": _json_float(c_rate.value),
            "interval_reference": [r_rate.low, r_rate.high],
            "interval_current": [c_rate.low, c_rate.high],
        },
        sample_ids=_ids(drifted) if level in ("watch", "alert") else frozenset(),
    )


def _summary(key: str, frame: pd.DataFrame, mix_fields: Sequence[str]) -> WindowSummary:
    scores = frame["score"].dropna() if "score" in frame else pd.Series(dtype=float)
    quantiles = (
        tuple(float(v) for v in np.quantile(scores, [0.1, 0.5, 0.9]))
        if len(scores)
        else (math.nan, math.nan, math.nan)
    )
    mixes = {
        column: {str(k): float(v) for k, v in shares(frame[column], None).items()}
        for column in mix_fields
    }
    medians = {
        column: float(frame[column].median()) if frame[column].notna().any() else math.nan
        for column in CONTINUOUS_QUANTITIES
        if column in frame
    }
    rates: dict[str, Rate] = {}
    for column in SIGNAL_QUANTITIES:
        if column in frame:
            known = frame[frame[column].notna()]
            rates[column] = _window_rate(known, known[column].astype(bool))
    if "reviews_judged" in frame:
        rates["satisfaction"] = rate(
            float(frame["reviews_good"].sum()), float(frame["reviews_judged"].sum())
        )
    return WindowSummary(
        window=key,
        n=len(frame),
        score_quantiles=(quantiles[0], quantiles[1], quantiles[2]),
        mixes=mixes,
        medians=medians,
        rates=rates,
    )


def _noise(value: float, p_value: float, levels: DriftLevels) -> str:
    if value >= levels.psi_watch and not p_value < levels.psi_alpha:
        return f" (within chance at these sample sizes, p {_p(p_value)})"
    return ""


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _p(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
