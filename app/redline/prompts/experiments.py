"""Creating an A/B experiment between two versions (or variants) of one prompt.

An experiment names its control and treatment arms, the planned traffic split (the
control's share, which the sample-ratio check and `assign_arm` use), and the judged
samples each arm needs before a conclusion. Creating one is audited like every other
catalog change. The comparison itself is `redline.prompts.evidence.experiment_result`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Engine, select

from redline.errors import RedlineError
from redline.prompts.catalog import find_version
from redline.prompts.evidence import ExperimentInfo, find_experiment
from redline.store.audit import append_event
from redline.store.base import uuid7
from redline.store.models import Experiment
from redline.store.session import session_scope

__all__ = ["ENTITY_EXPERIMENT", "ExperimentSpec", "create_experiment", "validate_spec"]

ENTITY_EXPERIMENT = "experiment"
DEFAULT_MIN_SAMPLES = 200


@dataclass(frozen=True)
class ExperimentSpec:
    """What an experiment compares.

    Attributes:
        name: unique, as production logs name the experiment (it is hashed into the
            sticky assignment, so it must not change once traffic flows).
        prompt_name: the prompt both arms belong to.
        control_version / treatment_version: version labels of that prompt.
        control_variant / treatment_variant: the A/B variant labels in the logs, when
            one version runs under several (optional).
        planned_split: the control's share of traffic, strictly between 0 and 1.
        min_samples_per_arm: judged samples per arm before a conclusion (at least 1).
        metric: what is compared (satisfaction: share judged good).
    """

    name: str
    prompt_name: str
    control_version: str
    treatment_version: str
    control_variant: str | None = None
    treatment_variant: str | None = None
    planned_split: float = 0.5
    min_samples_per_arm: int = DEFAULT_MIN_SAMPLES
    metric: str = "satisfaction"


def validate_spec(engine: Engine, spec: ExperimentSpec) -> None:
    """Raise RedlineError naming the first problem of `spec` (nothing is written)."""
    where = f"experiment {spec.name!r}" if spec.name.strip() else "new experiment"
    if not spec.name.strip():
        raise RedlineError("the experiment needs a name", where=where)
    if not (math.isfinite(spec.planned_split) and 0 < spec.planned_split < 1):
        raise RedlineError(
            f"the planned split must be between 0 and 1, exclusive (got {spec.planned_split})",
            where=where,
            hint="the control's share of traffic, e.g. 0.5 for an even split",
        )
    if spec.min_samples_per_arm < 1:
        raise RedlineError(
            f"the minimum must be at least 1 judged sample per arm "
            f"(got {spec.min_samples_per_arm})",
            where=where,
        )
    if spec.metric != "satisfaction":
        raise RedlineError(f"unknown metric {spec.metric!r}", where=where, hint="satisfaction")
    same_arm = (spec.control_version, spec.control_variant) == (
        spec.treatment_version,
        spec.treatment_variant,
    )
    if same_arm:
        raise RedlineError(
            "control and treatment are the same arm",
            where=where,
            hint="choose two versions, or one version under two variants",
        )
    # Both versions must be in the catalog (these raise with the known versions).
    find_version(engine, spec.prompt_name, spec.control_version)
    find_version(engine, spec.prompt_name, spec.treatment_version)
    with session_scope(engine) as session:
        taken = session.scalars(select(Experiment.id).where(Experiment.name == spec.name.strip()))
        if taken.first() is not None:
            raise RedlineError("an experiment with this name exists already", where=where)


def create_experiment(engine: Engine, spec: ExperimentSpec, *, actor: str) -> ExperimentInfo:
    """Add a running experiment (audited); RedlineError when `spec` is not valid."""
    if not actor.strip():
        raise RedlineError("no one is signed in", hint="set your name first (Settings → reviewer)")
    validate_spec(engine, spec)
    control = find_version(engine, spec.prompt_name, spec.control_version)
    treatment = find_version(engine, spec.prompt_name, spec.treatment_version)
    with session_scope(engine) as session:
        row = Experiment(
            id=uuid7(),
            name=spec.name.strip(),
            prompt_name=spec.prompt_name,
            control_version_id=control.id,
            treatment_version_id=treatment.id,
            control_variant=spec.control_variant or None,
            treatment_variant=spec.treatment_variant or None,
            metric=spec.metric,
            min_samples_per_arm=spec.min_samples_per_arm,
            planned_split=spec.planned_split,
            status="running",
            created_by=actor,
            revision=1,
            dirty=True,
        )
        session.add(row)
        session.flush()
        append_event(
            session,
            actor=actor,
            action="create",
            entity_type=ENTITY_EXPERIMENT,
            entity_id=str(row.id),
            before=None,
            after={
                "name": row.name,
                "prompt": spec.prompt_name,
                "control": f"{spec.control_version}" + _variant(spec.control_variant),
                "treatment": f"{spec.treatment_version}" + _variant(spec.treatment_variant),
                "planned_split": spec.planned_split,
                "min_samples_per_arm": spec.min_samples_per_arm,
            },
        )
    return find_experiment(engine, spec.name.strip())


def _variant(variant: str | None) -> str:
    return f" / {variant}" if variant else ""
