"""Overlap: a batch may ask for k reviewers per sample (Batch.reviewers_per_sample).

The review queue (`redline.review.queue`, "unreviewed") then keeps a sample of that
batch in everyone's queue who has not reviewed it until k people have; k = 1, the
default, keeps the plain "not reviewed by me" queue. The setting is a column of the
batch, so it syncs with it and works offline like every other batch field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, false, func, select

from redline import clock
from redline.errors import RedlineError
from redline.quality.data import live
from redline.store.models import Batch, Review, Sample
from redline.store.queries import find_batch, list_batches
from redline.store.session import session_scope

__all__ = ["MAX_REVIEWERS_PER_SAMPLE", "OverlapStatus", "overlap_status", "set_overlap"]

MAX_REVIEWERS_PER_SAMPLE = 10


@dataclass(frozen=True, slots=True)
class OverlapStatus:
    """How far a batch is from its overlap target.

    Attributes:
        done: samples with at least k reviews (they left every queue).
        started: samples with some reviews but fewer than k.
    """

    batch_id: uuid.UUID
    short_id: str
    source: str
    reviewers_per_sample: int
    samples: int
    done: int
    started: int

    @property
    def waiting(self) -> int:
        """Samples nobody reviewed yet."""
        return self.samples - self.done - self.started


def set_overlap(engine: Engine, batch: str, reviewers_per_sample: int) -> OverlapStatus:
    """Ask for `reviewers_per_sample` reviewers on each sample of the batch (an id or a
    unique prefix). The change is marked for sync, so the team's queues follow it.

    Raises:
        RedlineError: no such batch, or k outside 1..MAX_REVIEWERS_PER_SAMPLE.
    """
    if not 1 <= reviewers_per_sample <= MAX_REVIEWERS_PER_SAMPLE:
        raise RedlineError(
            f"reviewers per sample must be between 1 and {MAX_REVIEWERS_PER_SAMPLE} "
            f"(got {reviewers_per_sample})"
        )
    info = find_batch(engine, batch)
    with session_scope(engine) as session:
        row = session.get_one(Batch, info.id)
        if row.reviewers_per_sample != reviewers_per_sample:
            row.reviewers_per_sample = reviewers_per_sample
            row.revision += 1
            row.updated_at = clock.now()
            row.dirty = True
    return next(s for s in overlap_status(engine) if s.batch_id == info.id)


def overlap_status(engine: Engine) -> list[OverlapStatus]:
    """Every batch with its k and how many of its samples reached it, oldest first.

    Adjudications are a lead's decision, not a review, and do not count towards k.
    """
    batches = list_batches(engine)
    per_sample = (
        select(Sample.batch_id, Sample.id, func.count(Review.id).label("reviews"))
        .join(Review, Review.sample_id == Sample.id)
        .where(live(), Review.adjudicated == false())
        .group_by(Sample.batch_id, Sample.id)
        .subquery()
    )
    with session_scope(engine) as session:
        k_by_batch: dict[uuid.UUID, int] = {
            batch_id: k
            for batch_id, k in session.execute(select(Batch.id, Batch.reviewers_per_sample))
        }
        totals: dict[uuid.UUID, int] = {
            batch_id: count
            for batch_id, count in session.execute(
                select(Sample.batch_id, func.count()).group_by(Sample.batch_id)
            )
        }
        reviewed = session.execute(
            select(per_sample.c.batch_id, per_sample.c.reviews, func.count()).group_by(
                per_sample.c.batch_id, per_sample.c.reviews
            )
        ).all()
        done: dict[uuid.UUID, int] = {}
        started: dict[uuid.UUID, int] = {}
        for batch_id, reviews, count in reviewed:
            target = done if reviews >= k_by_batch.get(batch_id, 1) else started
            target[batch_id] = target.get(batch_id, 0) + count
    return [
        OverlapStatus(
            batch_id=b.id,
            short_id=b.short_id,
            source=b.source,
            reviewers_per_sample=k_by_batch.get(b.id, 1),
            samples=totals.get(b.id, 0),
            done=done.get(b.id, 0),
            started=started.get(b.id, 0),
        )
        for b in batches
    ]
