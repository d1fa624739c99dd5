"""Everything the threshold studio draws for one choice of cohort, slicing and weighting.

Computed off the GUI thread (a Task) from `PolicyData`; afterwards every mouse move only
calls `ThresholdCurves.at`, which is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from redline.analytics.threshold import (
    CurveTable,
    SegmentCurves,
    ThresholdCurves,
    build_curves,
    segment_curves,
)
from redline.policies.samples import PolicyData
from redline.progress import NO_PROGRESS, Progress, check

__all__ = ["DIMENSIONS", "StudioView", "compute_view"]

# The slicings offered for small multiples, before the samples' own segment fields.
DIMENSIONS = ("language", "model", "prompt_version", "variant")
CURVE_POINTS = 241
MAX_MULTIPLES = 8


@dataclass(frozen=True)
class StudioView:
    """The curves of the chosen cohort (weighted and plain) and of each segment.

    Attributes:
        curves: what the figures show (weighted when `weighted`).
        plain: the unweighted curves beside it (None when not weighted).
        table: `curves` on a grid, for the curve plot.
        segments: small multiples by `dimension`, with their tables.
        within: "language = de" when the multiples compare inside the chosen cohort.
        bins: histogram bin edges for the score distributions.
    """

    data: PolicyData
    cohort: str | None
    dimension: str | None
    weighted: bool
    curves: ThresholdCurves
    plain: ThresholdCurves | None
    table: CurveTable
    segments: list[SegmentCurves]
    segment_tables: list[CurveTable]
    bins: npt.NDArray[np.float64]
    within: str | None = None


def compute_view(
    data: PolicyData,
    *,
    cohort: str | None,
    dimension: str | None,
    weighted: bool,
    limit: int = MAX_MULTIPLES,
    progress: Progress = NO_PROGRESS,
) -> StudioView:
    """The curves of `cohort` (None: all traffic) and, when `dimension` is one of the
    samples' segment dimensions, of its `limit` most reviewed values.

    Weighted only when asked and the samples carry inclusion weights; then the plain
    curves come along. The studio page and `redline threshold` both draw from this.
    """
    policy = data.policy
    samples = data.samples
    weighted = weighted and samples.has_weights
    options = {
        "direction": policy.direction,
        "target": policy.target(),
        "threshold": policy.threshold,
        "segment_field": data.segment_dimension,
        "segment_thresholds": policy.segment_thresholds,
    }
    progress.update(0, 3, "computing the curves")
    curves = build_curves(samples, segment=cohort, weighted=weighted, **options)  # type: ignore[arg-type]
    plain = (
        build_curves(samples, segment=cohort, weighted=False, **options)  # type: ignore[arg-type]
        if weighted
        else None
    )
    check(progress)
    low, high = curves.score_range
    pad = (high - low) * 0.02 or 0.01
    grid = np.linspace(low - pad, high + pad, CURVE_POINTS)
    table = curves.table(grid)
    progress.update(1, 3, "computing the segments")
    segments: list[SegmentCurves] = []
    within = None
    if dimension is not None and dimension in samples.segments:
        segments = segment_curves(
            samples,
            dimension,
            cohort=cohort,
            weighted=weighted,
            limit=limit,
            **options,  # type: ignore[arg-type]
        )
        if cohort is not None and dimension != data.segment_dimension:
            within = f"{policy.segment_field} = {cohort}"
    check(progress)
    segment_tables = [s.curves.table(grid) for s in segments]
    progress.update(3, 3, "")
    return StudioView(
        data=data,
        cohort=cohort,
        dimension=dimension,
        weighted=weighted,
        curves=curves,
        plain=plain,
        table=table,
        segments=segments,
        segment_tables=segment_tables,
        bins=np.linspace(low - pad, high + pad, 41),
        within=within,
    )
