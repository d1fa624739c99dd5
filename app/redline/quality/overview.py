"""Agreement, feedback patterns and implicit signals for a range, from the store: what the
Quality workspace shows, `redline agreement` / `redline patterns` print and the weekly
report embeds (one computation, so all three give the same numbers)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from redline.analytics.agreement import AgreementReport, agreement_report
from redline.analytics.patterns import (
    Pattern,
    SignalRelation,
    implicit_signals,
    rank_patterns,
)
from redline.analytics.quality import sample_outcomes
from redline.progress import NO_PROGRESS, Progress, check
from redline.quality.columns import IdCache
from redline.quality.data import (
    ALL_TIME,
    SIGNALS,
    TimeRange,
    load_reviews,
    load_samples,
    pattern_frame,
)

__all__ = ["QualityData", "QualityOverview", "load_quality_data", "quality_overview"]


@dataclass(frozen=True)
class QualityData:
    """The frames of a range: reviews (one row per review) and the reviewed samples."""

    period: TimeRange
    reviews: pd.DataFrame
    samples: pd.DataFrame


@dataclass(frozen=True)
class QualityOverview:
    """Everything the Quality workspace shows for a range.

    Attributes:
        judged: samples with a final verdict.
        bad: of those, samples whose final verdict is bad.
        dimensions: the dimensions the patterns were ranked over (segment fields
            included), in the order they are offered.
    """

    period: TimeRange
    reviews: int
    judged: int
    bad: int
    agreement: AgreementReport
    patterns: tuple[Pattern, ...]
    signals: tuple[SignalRelation, ...]
    dimensions: tuple[str, ...] = ()


def load_quality_data(
    engine: Engine, period: TimeRange = ALL_TIME, progress: Progress = NO_PROGRESS
) -> QualityData:
    ids: IdCache = {}
    reviews = load_reviews(engine, period, progress, ids=ids)
    check(progress)
    samples = load_samples(engine, period, progress, ids=ids)
    return QualityData(period, reviews, samples)


def overview_of(
    data: QualityData, *, min_bad: int = 3, progress: Progress = NO_PROGRESS
) -> QualityOverview:
    """The overview of frames already loaded."""
    progress.update(0, 0, "final verdict of each sample")
    outcomes = sample_outcomes(data.reviews)
    check(progress)
    progress.update(0, 0, "measuring agreement")
    scores = data.samples.set_index("sample_id")["score"].dropna()
    agreement = agreement_report(data.reviews, scores, outcomes=outcomes)
    check(progress)
    progress.update(0, 0, "ranking feedback patterns")
    frame, dimensions = pattern_frame(data.samples, outcomes)
    patterns = rank_patterns(frame, dimensions, min_bad=min_bad)
    signals = implicit_signals(frame, SIGNALS)
    return QualityOverview(
        period=data.period,
        reviews=int((~data.reviews["adjudicated"]).sum()) if len(data.reviews) else 0,
        judged=len(frame),
        bad=int(frame["bad"].sum()) if len(frame) else 0,
        agreement=agreement,
        patterns=tuple(patterns),
        signals=tuple(signals),
        dimensions=tuple(dimensions),
    )


def quality_overview(
    engine: Engine, period: TimeRange = ALL_TIME, progress: Progress = NO_PROGRESS
) -> QualityOverview:
    """Agreement, patterns and implicit signals of the samples reviewed in `period`."""
    return overview_of(load_quality_data(engine, period, progress), progress=progress)
