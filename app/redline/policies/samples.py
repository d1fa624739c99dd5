"""The reviewed (and unreviewed) samples a policy decides on, as arrays for the analysis.

Scope: the policy's prompts (`redline.policies.scope.prompts_in_scope`: as the policy
names them, else inferred from the samples' recorded decisions; empty: every sample with
a score); `prompts` overrides it for one analysis.

Ground truth: each sample's current reviews, resolved by
`redline.analytics.threshold.resolve_verdicts` (adjudicated first, else majority;
unsure and ties left out and counted).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Engine, func, select

from redline.analytics.threshold import ScoredSamples, resolve_verdicts
from redline.policies.scope import prompts_in_scope
from redline.policies.service import SCORE_COLUMNS, SEGMENT_COLUMNS, PolicyInfo
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.models import Review, Sample
from redline.store.session import session_scope

__all__ = ["PolicyData", "load_policy_data", "segment_dimension"]

CHUNK = 20_000


@dataclass(frozen=True)
class PolicyData:
    """A policy with the samples it decides on.

    Attributes:
        policy: the policy as stored when the data was read.
        samples: scores, labels, weights and segment values (see ScoredSamples).
        prompts: the prompt names in scope (empty: every scored sample).
    """

    policy: PolicyInfo
    samples: ScoredSamples
    prompts: tuple[str, ...]

    @property
    def segment_dimension(self) -> str | None:
        """The dimension of `samples.segments` the policy's segment field names."""
        field = self.policy.segment_field
        return segment_dimension(field) if field else None


def segment_dimension(field: str) -> str:
    """'language' -> 'language'; 'plan' or 'segments.plan' -> 'segments.plan'."""
    name = field.removeprefix("segments.")
    return name if name in SEGMENT_COLUMNS else f"segments.{name}"


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def load_policy_data(
    engine: Engine,
    policy: PolicyInfo,
    *,
    prompts: Sequence[str] | None = None,
    progress: Progress = NO_PROGRESS,
) -> PolicyData:
    """Read the policy's samples and their reviews (in chunks, cancellable)."""
    scope = prompts_in_scope(engine, policy.action, prompts or policy.prompt_names)
    where: list[ColumnElement[bool]] = []
    if scope:
        where.append(Sample.prompt_name.in_(scope))
    score_key = None if policy.score_field in SCORE_COLUMNS else policy.score_field
    if score_key is None:
        where.append(Sample.score.is_not(None))
    score_key = score_key.removeprefix("segments.") if score_key else None

    with session_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(Sample).where(*where)) or 0
        unscored = 0
        if score_key is None:
            unscored = (
                session.scalar(
                    select(func.count())
                    .select_from(Sample)
                    .where(*where[:-1], Sample.score.is_(None))  # scope without "has a score"
                )
                or 0
            )
    ids: list[uuid.UUID] = []
    scores: list[float] = []
    probs: list[float] = []
    columns: dict[str, list[str]] = {name: [] for name in SEGMENT_COLUMNS}
    segment_rows: list[dict[str, Any] | None] = []
    query = select(
        Sample.id,
        Sample.score,
        Sample.inclusion_prob,
        Sample.language,
        Sample.model,
        Sample.prompt_name,
        Sample.prompt_version,
        Sample.variant,
        Sample.segments,
    ).where(*where)
    without_score = unscored
    done = 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=CHUNK).execute(query)
        for chunk in result.partitions():
            for row in chunk:
                segments = row.segments if isinstance(row.segments, dict) else None
                score = row.score if score_key is None else (segments or {}).get(score_key)
                number = _number(score)
                if math.isnan(number):
                    without_score += 1
                    continue
                ids.append(row.id)
                scores.append(number)
                probs.append(row.inclusion_prob if row.inclusion_prob is not None else 1.0)
                columns["language"].append(_text(row.language))
                columns["model"].append(_text(row.model))
                version = " ".join(v for v in (row.prompt_name, row.prompt_version) if v)
                columns["prompt_version"].append(version)
                columns["variant"].append(_text(row.variant))
                segment_rows.append(segments)
            done += len(chunk)
            progress.update(done, total, "reading samples")
            check(progress)

    index = {sample_id: i for i, sample_id in enumerate(ids)}
    review_index: list[int] = []
    verdicts: list[str | None] = []
    adjudicated: list[bool] = []
    reviews = (
        select(Review.sample_id, Review.verdict, Review.adjudicated)
        .join(Sample, Sample.id == Review.sample_id)
        .where(*where)
    )
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=CHUNK).execute(reviews)
        for chunk in result.partitions():
            for sample_id, verdict, adj in chunk:
                i = index.get(sample_id)
                if i is not None:
                    review_index.append(i)
                    verdicts.append(verdict)
                    adjudicated.append(bool(adj))
            progress.update(done, total, "reading reviews")
            check(progress)

    n = len(ids)
    truth = resolve_verdicts(
        np.array(review_index, dtype=np.int64),
        np.array(verdicts, dtype=object),
        np.array(adjudicated, dtype=bool),
        n,
    )
    segments = {name: np.array(values, dtype=object) for name, values in columns.items()}
    keys = sorted({k for row in segment_rows if row for k in row})
    for key in keys:
        segments[f"segments.{key}"] = np.array(
            [_text(row.get(key)) if row else "" for row in segment_rows], dtype=object
        )
    samples = ScoredSamples(
        scores=np.array(scores, dtype=float),
        labels=truth.labels,
        inclusion_prob=np.array(probs, dtype=float),
        segments=segments,
        truth=truth,
        without_score=without_score,
        sample_ids=np.array(ids, dtype=object),
    )
    return PolicyData(policy=policy, samples=samples, prompts=scope)
