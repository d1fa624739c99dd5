"""The store reads behind the drift watch: one row per sample with what drift measures.

Lengths are computed by the database (`length()`), so the texts never leave it; review
verdicts come aggregated per sample. Everything is SQLAlchemy Core on the shared models,
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from redline.store.models import Batch, Policy, Review, Sample
from redline.store.session import session_scope

# Columns of each row `iter_drift_rows` yields, in order.
ROW_COLUMNS = (
    "sample_id",
    "batch_id",
    "captured_at",
    "model",
    "prompt_name",
    "prompt_version",
    "variant",
    "language",
    "segments",
    "score",
    "decision",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "input_chars",
    "output_chars",
    "signal_copied",
    "signal_edited",
    "signal_follow_up",
    "signal_thumbs",
    "inclusion_prob",
    "reviews_good",
    "reviews_judged",
)


def count_rows(engine: Engine, where: ColumnElement[bool]) -> int:
    """How many samples `where` selects (for progress)."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Sample).where(where)) or 0)


def iter_drift_rows(
    engine: Engine, where: ColumnElement[bool], *, chunk: int = 20_000
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The samples `where` selects, in chunks of rows (columns: `ROW_COLUMNS`)."""
    verdicts = (
        select(
            Review.sample_id.label("sample_id"),
            func.sum(case((Review.verdict == "good", 1), else_=0)).label("good"),
            func.count(Review.verdict).label("judged"),
        )
        .group_by(Review.sample_id)
        .subquery()
    )
    query = (
        select(
            Sample.id,
            Sample.batch_id,
            Sample.captured_at,
            Sample.model,
            Sample.prompt_name,
            Sample.prompt_version,
            Sample.variant,
            Sample.language,
            Sample.segments,
            Sample.score,
            Sample.decision,
            Sample.latency_ms,
            Sample.tokens_in,
            Sample.tokens_out,
            func.length(Sample.input_text),
            func.length(Sample.output),
            Sample.signal_copied,
            Sample.signal_edited,
            Sample.signal_follow_up,
            Sample.signal_thumbs,
            Sample.inclusion_prob,
            func.coalesce(verdicts.c.good, 0),
            func.coalesce(verdicts.c.judged, 0),
        )
        .outerjoin(verdicts, verdicts.c.sample_id == Sample.id)
        .where(where)
    )
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=chunk).execute(query)
        for part in result.partitions(chunk):
            yield [tuple(row) for row in part]


def captured_between(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    """Samples captured in [start, end) (an open side is unbounded)."""
    conditions: list[ColumnElement[bool]] = [Sample.captured_at.is_not(None)]
    if start is not None:
        conditions.append(Sample.captured_at >= start)
    if end is not None:
        conditions.append(Sample.captured_at < end)
    return and_(*conditions)


def in_batches(batch_ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
    return Sample.batch_id.in_(list(batch_ids))


def any_of(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(*conditions)


def all_of(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(*conditions)


def decided_by(prompt_names: Sequence[str]) -> ColumnElement[bool]:
    """Samples of these prompts (the traffic a policy decides on)."""
    return Sample.prompt_name.in_(list(prompt_names))


def batches_started(
    engine: Engine, start: datetime | None, end: datetime | None
) -> list[tuple[uuid.UUID, datetime, str]]:
    """(id, started_at, file name) of the batches started in [start, end), oldest first."""
    query = select(Batch.id, Batch.started_at, Batch.file_name).order_by(Batch.started_at, Batch.id)
    if start is not None:
        query = query.where(Batch.started_at >= start)
    if end is not None:
        query = query.where(Batch.started_at < end)
    with engine.connect() as conn:
        return [(row[0], row[1], row[2]) for row in conn.execute(query)]


def policy_row(engine: Engine, name: str) -> dict[str, Any] | None:
    """A policy's fields as a plain dict, or None."""
    with session_scope(engine) as session:
        policy = session.scalars(select(Policy).where(Policy.name == name)).first()
        if policy is None:
            return None
        return {
            "name": policy.name,
            "action": policy.action,
            "score_field": policy.score_field,
            "direction": policy.direction,
            "threshold": policy.threshold,
            "segment_field": policy.segment_field,
            "segment_thresholds": dict(policy.segment_thresholds or {}),
            "prompt_names": list(policy.prompt_names or []),
        }


def policy_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Policy.name).order_by(Policy.name)))
