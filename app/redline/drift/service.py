"""Drift from the store: windows by batch, day or week after `since`, each measured
against a reference window the user picks (dates or batches).

Days are UTC calendar days; weeks are 7-day windows counted from `since` (so "since
Monday" gives calendar weeks, and the same call gives the same windows every day).

`policy_drift` is the small entry point for other screens: the threshold studio's
warning and the weekly report ask it whether a policy's score distribution drifted.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.sql.elements import ColumnElement

from redline import clock
from redline.analytics.drift import LEVEL_ORDER, DriftLevels
from redline.analytics.drift_report import (
    DriftFinding,
    DriftReport,
    Window,
    WindowBy,
    drift_report,
    score_finding,
)
from redline.drift import queries
from redline.drift.options import DEFAULT_REFERENCE_DAYS, REFERENCE_HELP, SINCE_HELP
from redline.errors import RedlineError
from redline.policies.scope import prompts_in_scope
from redline.progress import NO_PROGRESS, Progress, check

__all__ = [
    "ReferenceSpec",
    "compute_drift",
    "load_frame",
    "parse_since",
    "policy_drift",
    "policy_drifts",
]

# A segment key with more values than this is an id, not a mix worth a PSI.
MAX_SEGMENT_VALUES = 50


# --------------------------------------------------------------------------- parsing


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """A moment in UTC from a date, a datetime or "<N>d" / "<N>w" back from now."""
    now = now or clock.now()
    value = text.strip()
    span = re.fullmatch(r"(\d+)\s*([dw])", value.lower())
    if span:
        days = int(span.group(1)) * (7 if span.group(2) == "w" else 1)
        start = now - timedelta(days=days)
        return clock.start_of_day(start.date())
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RedlineError(f"{text!r} is not a date", hint=f"use {SINCE_HELP}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(text: str) -> datetime:
    try:
        return clock.start_of_day(date.fromisoformat(text.strip()))
    except ValueError:
        raise RedlineError(f"{text!r} is not a date (YYYY-MM-DD)", hint=REFERENCE_HELP) from None


@dataclass(frozen=True)
class ReferenceSpec:
    """The reference window: samples captured in [start, end), or those of some batches."""

    start: datetime | None = None
    end: datetime | None = None
    batch_ids: tuple[uuid.UUID, ...] = ()
    label: str = ""

    @classmethod
    def between(cls, start: datetime, end: datetime) -> ReferenceSpec:
        if not start < end:
            raise RedlineError("the reference window ends before it starts", hint=REFERENCE_HELP)
        last = (end - timedelta(microseconds=1)).date()
        return cls(start=start, end=end, label=f"{start.date()} – {last}")

    @classmethod
    def parse(cls, text: str, engine: Engine) -> ReferenceSpec:
        """From the CLI form (see REFERENCE_HELP); batch prefixes are looked up."""
        value = text.strip()
        if ".." in value:
            first, _, last = value.partition("..")
            return cls.between(_day(first), _day(last) + timedelta(days=1))
        from redline.store.queries import find_batch

        batches = [find_batch(engine, part) for part in value.split(",") if part.strip()]
        if not batches:
            raise RedlineError("the reference is empty", hint=REFERENCE_HELP)
        label = "batch " + ", ".join(b.short_id for b in batches)
        return cls(batch_ids=tuple(b.id for b in batches), label=label)

    def condition(self) -> ColumnElement[bool]:
        if self.batch_ids:
            return queries.in_batches(self.batch_ids)
        return queries.captured_between(self.start, self.end)

    def window(self) -> Window:
        return Window("reference", f"reference ({self.label})", self.start, self.end)


def default_reference(since: datetime) -> ReferenceSpec:
    return ReferenceSpec.between(since - timedelta(days=DEFAULT_REFERENCE_DAYS), since)


# --------------------------------------------------------------------------- frame


def load_frame(
    engine: Engine, where: ColumnElement[bool], progress: Progress = NO_PROGRESS
) -> pd.DataFrame:
    """The samples `where` selects as the frame `analytics.drift.drift_report` reads
    (plus `batch_id`, `captured_at`, `decision`), read in chunks with progress."""
    total = queries.count_rows(engine, where)
    rows: list[tuple[Any, ...]] = []
    progress.update(0, total, "reading samples")
    for part in queries.iter_drift_rows(engine, where):
        rows.extend(part)
        progress.update(len(rows), total, "reading samples")
        check(progress)
    raw = pd.DataFrame(rows, columns=list(queries.ROW_COLUMNS))
    return _frame(raw)


def _frame(raw: pd.DataFrame) -> pd.DataFrame:
    frame = raw.drop(columns=["segments", "inclusion_prob", "signal_thumbs"])
    frame["captured_at"] = pd.to_datetime(raw["captured_at"], utc=True)
    names = raw["prompt_name"].astype(object)
    versions = raw["prompt_version"].astype(object)
    frame["prompt"] = [
        None if n is None else (n if v is None else f"{n} {v}")
        for n, v in zip(names, versions, strict=True)
    ]
    prob = raw["inclusion_prob"].astype(float).where(raw["inclusion_prob"].notna(), 1.0)
    frame["weight"] = 1.0 / prob.clip(lower=1e-9)
    for column in ("score", "latency_ms", "tokens_in", "tokens_out"):
        frame[column] = pd.to_numeric(raw[column], errors="coerce").astype(float)
    for column in ("input_chars", "output_chars", "reviews_good", "reviews_judged"):
        frame[column] = pd.to_numeric(raw[column], errors="coerce").astype(float)
    for column in ("signal_copied", "signal_edited", "signal_follow_up"):
        frame[column] = raw[column].map(lambda v: np.nan if v is None else float(bool(v)))
    thumbs = raw["signal_thumbs"]
    if thumbs.notna().any():
        # No thumb is "no thumbs down" once the source logs thumbs at all.
        frame["thumbs_down"] = (thumbs == -1).astype(float)
        frame["thumbs_up"] = (thumbs == 1).astype(float)
    else:
        frame["thumbs_down"] = np.nan
        frame["thumbs_up"] = np.nan
    for key, values in _segment_columns(raw["segments"]).items():
        frame[f"segment.{key}"] = values
    return frame


def _segment_columns(segments: pd.Series) -> dict[str, list[Any]]:
    keys: dict[str, set[str]] = {}
    for value in segments:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str | int | float | bool):
                    keys.setdefault(str(key), set()).add(str(item))
    columns: dict[str, list[Any]] = {}
    for key, seen in sorted(keys.items()):
        if len(seen) > MAX_SEGMENT_VALUES:
            continue
        columns[key] = [
            str(v[key]) if isinstance(v, dict) and v.get(key) is not None else None
            for v in segments
        ]
    return columns


# --------------------------------------------------------------------------- windows


def _time_windows(by: WindowBy, since: datetime, until: datetime) -> list[Window]:
    if by == "day":
        start = clock.start_of_day(since.date())
        step = timedelta(days=1)
    else:
        start, step = since, timedelta(days=7)
    windows: list[Window] = []
    while start < until:
        end = min(start + step, until)
        if by == "day":
            label = start.strftime("%a %Y-%m-%d")
        else:
            last = (end - timedelta(microseconds=1)).date()
            label = f"{start.date()} – {last}"
        windows.append(Window(start.strftime("%Y-%m-%dT%H:%M"), label, start, end))
        start = end
    return windows


def compute_drift(
    engine: Engine,
    *,
    since: datetime,
    until: datetime | None = None,
    by: WindowBy = "week",
    reference: ReferenceSpec | None = None,
    levels: DriftLevels | None = None,
    progress: Progress = NO_PROGRESS,
) -> DriftReport:
    """Every window after `since` (until `until`, default now) against the reference.

    Raises:
        RedlineError: a bad window choice, or no samples at all in the period.
        Cancelled: the user cancelled while the samples were read.
    """
    if by not in get_args(WindowBy):
        raise RedlineError(f"cannot cut windows by {by!r}", hint="use batch, day or week")
    until = until or clock.now()
    if not since < until:
        raise RedlineError(f"--since {since:%Y-%m-%d %H:%M} is not in the past", hint=SINCE_HELP)
    reference = reference or default_reference(since)
    if by == "batch":
        batches = queries.batches_started(engine, since, until)
        batch_labels = {
            b: f"{str(b).replace('-', '')[:8]} ({started:%Y-%m-%d}, {name.rsplit('/', 1)[-1]})"
            for b, started, name in batches
        }
        windows = [Window(str(b), batch_labels[b]) for b, _, _ in batches]
        period = queries.in_batches([b for b, _, _ in batches])
    else:
        windows = _time_windows(by, since, until)
        period = queries.captured_between(since, until)
    frame = load_frame(engine, queries.any_of(period, reference.condition()), progress)
    check(progress)
    if by == "batch":
        frame["window"] = frame["batch_id"].map(
            lambda b: str(b) if str(b) in _keys(windows) else None
        )
    else:
        frame["window"] = _assign_times(frame["captured_at"], windows)
    in_reference = _reference_mask(frame, reference)
    if frame.empty:
        raise RedlineError(
            "there are no samples in the period or the reference window",
            hint="pick an earlier --since or another --reference (`redline stats` shows "
            "what the store holds)",
        )
    progress.update(0, 0, "measuring drift")
    report = drift_report(
        frame,
        reference=in_reference,
        windows=windows,
        reference_window=reference.window(),
        by=by,
        levels=levels,
    )
    overlap = bool((in_reference & frame["window"].notna()).any())
    if overlap:
        report = replace(
            report,
            notes=(
                *report.notes,
                "The reference overlaps the windows watched: drift there is understated.",
            ),
        )
    return report


def _keys(windows: Sequence[Window]) -> set[str]:
    return {w.key for w in windows}


def _assign_times(captured: pd.Series, windows: Sequence[Window]) -> pd.Series:
    keys = pd.Series([None] * len(captured), index=captured.index, dtype=object)
    for window in windows:
        assert window.start is not None and window.end is not None
        inside = (captured >= window.start) & (captured < window.end)
        keys[inside] = window.key
    return keys


def _reference_mask(frame: pd.DataFrame, reference: ReferenceSpec) -> pd.Series:
    if reference.batch_ids:
        wanted = set(reference.batch_ids)
        return frame["batch_id"].map(lambda b: b in wanted).astype(bool)
    mask = frame["captured_at"].notna()
    if reference.start is not None:
        mask &= frame["captured_at"] >= reference.start
    if reference.end is not None:
        mask &= frame["captured_at"] < reference.end
    return mask.fillna(False).astype(bool)


# --------------------------------------------------------------------------- policies


def policy_drift(
    engine: Engine,
    policy_name: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    reference: ReferenceSpec | None = None,
    levels: DriftLevels | None = None,
    progress: Progress = NO_PROGRESS,
) -> DriftFinding | None:
    """Has the score distribution a policy decides on drifted past the levels?

    The policy's traffic is the samples of the prompts whose production decision is the
    policy's action (any prompt with a decision when none says so). It is measured as a
    whole and per value of the policy's segment field; the most severe flagged finding
    is returned (its `message` is ready for a warning), or None when nothing drifted or
    there are too few samples to tell.

    Args:
        since: start of the window watched (default: 7 days ago).
        until: its end (default: now).
        reference: what "normal" is (default: the 28 days before `since`).
        levels: flag levels (default `DriftLevels()`; PSI ≥ 0.1 watch, ≥ 0.25 alert).

    Raises:
        RedlineError: no policy has this name.
    """
    policy = queries.policy_row(engine, policy_name)
    if policy is None:
        raise RedlineError(f"there is no policy named {policy_name!r}")
    levels = levels or DriftLevels()
    until = until or clock.now()
    since = since or until - timedelta(days=7)
    reference = reference or default_reference(since)
    # The same scope as the threshold studio's (one definition, redline.policies.scope).
    prompts = prompts_in_scope(engine, policy["action"], policy["prompt_names"])
    period = queries.captured_between(since, until)
    where = queries.any_of(period, reference.condition())
    if prompts:
        where = queries.all_of(where, queries.decided_by(prompts))
    frame = load_frame(engine, where, progress)
    if frame.empty:
        return None
    in_reference = _reference_mask(frame, reference)
    current = (frame["captured_at"] >= since) & (frame["captured_at"] < until)
    ref, cur = frame[in_reference], frame[current.fillna(False).astype(bool)]
    window = f"{since:%Y-%m-%d} – {(until - timedelta(microseconds=1)):%Y-%m-%d}"
    label = f"policy {policy['name']}"
    candidates = [score_finding(ref, cur, window=window, levels=levels, slice_label=label)]
    segment = policy["segment_field"]
    column = _segment_column(frame, segment)
    if column is not None:
        values = sorted(set(ref[column].dropna()) | set(cur[column].dropna()))
        for value in values:
            candidates.append(
                score_finding(
                    ref[ref[column] == value],
                    cur[cur[column] == value],
                    window=window,
                    levels=levels,
                    slice_field=column,
                    slice_value=str(value),
                    slice_label=f"{label}, {segment} {value}",
                )
            )
    flagged = [f for f in candidates if f.level in ("watch", "alert")]
    if not flagged:
        return None
    worst = max(flagged, key=lambda f: (LEVEL_ORDER[f.level], _finite(f.statistic)))
    return replace(worst, quantity="policy-score")


def policy_drifts(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    reference: ReferenceSpec | None = None,
    levels: DriftLevels | None = None,
) -> list[DriftFinding]:
    """`policy_drift` for every policy; only those that drifted (for the weekly report)."""
    found = []
    for name in queries.policy_names(engine):
        finding = policy_drift(
            engine, name, since=since, until=until, reference=reference, levels=levels
        )
        if finding is not None:
            found.append(finding)
    return found


def _segment_column(frame: pd.DataFrame, field: str | None) -> str | None:
    if not field:
        return None
    for candidate in (field, f"segment.{field.removeprefix('segment.')}"):
        if candidate in frame.columns:
            return candidate
    return None


def _finite(value: float) -> float:
    return 0.0 if math.isnan(value) else value
