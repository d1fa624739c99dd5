"""The numbers behind a version's quality and an experiment: samples and reviews as frames.

The store side of `redline.analytics.quality` and `redline.analytics.experiments`:
queries that load one version's (or one arm's) samples and their reviews, and the
services that hand them to the analytics.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine, select

from redline.analytics.experiments import ArmData, ExperimentResult, compare_arms
from redline.analytics.quality import (
    REVIEW_COLUMNS,
    SAMPLE_COLUMNS,
    VersionQuality,
    version_quality,
)
from redline.errors import RedlineError
from redline.store.models import Experiment, PromptVersion, Review, Sample
from redline.store.session import session_scope

# Any select over Sample (its column types vary by query).
_Q = TypeVar("_Q", bound=Any)

__all__ = [
    "ExperimentInfo",
    "arm_data",
    "experiment_result",
    "list_experiments",
    "version_quality_of",
]


@dataclass(frozen=True, slots=True)
class ExperimentInfo:
    id: uuid.UUID
    name: str
    prompt_name: str | None
    control: str  # "v3 / A"
    treatment: str
    control_version: str | None
    treatment_version: str | None
    control_variant: str | None
    treatment_variant: str | None
    min_samples_per_arm: int
    planned_split: float
    status: str
    metric: str


def _filters(query: _Q, prompt_name: str, version: str | None, variant: str | None) -> _Q:
    query = query.where(Sample.prompt_name == prompt_name)
    if version is not None:
        query = query.where(Sample.prompt_version == version)
    if variant is not None:
        query = query.where(Sample.variant == variant)
    return query


def arm_data(
    engine: Engine, name: str, prompt_name: str, version: str | None, variant: str | None = None
) -> ArmData:
    """The samples of a prompt version (and A/B variant) and their reviews."""
    sample_query = _filters(
        select(
            Sample.id,
            Sample.inclusion_prob,
            Sample.tokens_in,
            Sample.tokens_out,
            Sample.latency_ms,
            Sample.decision,
            Sample.variant,
            Sample.session_id,
        ),
        prompt_name,
        version,
        variant,
    )
    review_query = _filters(
        select(
            Review.sample_id,
            Review.verdict,
            Review.rating,
            Review.categories,
            Review.correction,
            Review.adjudicated,
        )
        .join(Sample, Sample.id == Review.sample_id)
        # A withdrawn review (a tombstone kept for sync) is no judgment.
        .where(Review.deleted.is_(False)),
        prompt_name,
        version,
        variant,
    )
    with session_scope(engine) as session:
        samples = pd.DataFrame(
            session.execute(sample_query).all(),
            columns=[*SAMPLE_COLUMNS, "variant", "session_id"],
        )
        reviews = pd.DataFrame(session.execute(review_query).all(), columns=list(REVIEW_COLUMNS))
    return ArmData(name, samples, reviews)


def version_quality_of(
    engine: Engine, prompt_name: str, version: str, *, variant: str | None = None
) -> VersionQuality:
    """Per-version quality from the reviews of its samples (see `analytics.quality`)."""
    label = f"{prompt_name} {version}" + (f" / {variant}" if variant else "")
    data = arm_data(engine, label, prompt_name, version, variant)
    return version_quality(label, data.samples, data.reviews)


def _info(row: Experiment, versions: dict[uuid.UUID, str]) -> ExperimentInfo:
    cv = versions.get(row.control_version_id) if row.control_version_id else None
    tv = versions.get(row.treatment_version_id) if row.treatment_version_id else None

    def arm(version: str | None, variant: str | None) -> str:
        return " / ".join(p for p in (version, variant) if p) or "?"

    return ExperimentInfo(
        id=row.id,
        name=row.name,
        prompt_name=row.prompt_name,
        control=arm(cv, row.control_variant),
        treatment=arm(tv, row.treatment_variant),
        control_version=cv,
        treatment_version=tv,
        control_variant=row.control_variant,
        treatment_variant=row.treatment_variant,
        min_samples_per_arm=row.min_samples_per_arm,
        planned_split=row.planned_split,
        status=row.status,
        metric=row.metric,
    )


def list_experiments(engine: Engine) -> list[ExperimentInfo]:
    """Every experiment, newest first."""
    with session_scope(engine) as session:
        versions = dict(session.execute(select(PromptVersion.id, PromptVersion.version)).all())
        rows = session.scalars(select(Experiment).order_by(Experiment.created_at.desc()))
        return [_info(row, versions) for row in rows]


def find_experiment(engine: Engine, name: str) -> ExperimentInfo:
    experiments = list_experiments(engine)
    exact = [e for e in experiments if e.name == name]
    matches = exact or [e for e in experiments if e.name.lower().startswith(name.lower())]
    if len(matches) != 1:
        known = "; ".join(e.name for e in experiments) or "none"
        what = "no experiment" if not matches else "more than one experiment"
        raise RedlineError(f"{what} matches {name!r}", hint=f"experiments: {known}")
    return matches[0]


def experiment_result(
    engine: Engine, name: str, *, min_samples_per_arm: int | None = None
) -> tuple[ExperimentInfo, ExperimentResult]:
    """Load both arms of an experiment and compare them (control first).

    `min_samples_per_arm` overrides the experiment's own minimum.
    """
    info = find_experiment(engine, name)
    if info.prompt_name is None:
        raise RedlineError("the experiment names no prompt", where=info.name)
    control = arm_data(
        engine, info.control, info.prompt_name, info.control_version, info.control_variant
    )
    treatment = arm_data(
        engine, info.treatment, info.prompt_name, info.treatment_version, info.treatment_variant
    )
    split = info.planned_split
    result = compare_arms(
        info.name,
        [control, treatment],
        planned=(split, 1.0 - split),
        min_samples_per_arm=(
            min_samples_per_arm if min_samples_per_arm is not None else info.min_samples_per_arm
        ),
    )
    return info, result
