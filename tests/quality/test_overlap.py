"""Overlap: k reviewers per sample, and the reviewer's queue that follows it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, select, update
from tests.quality.helpers import add_batch, add_review, add_samples

from redline.errors import RedlineError
from redline.quality.overlap import overlap_status, set_overlap
from redline.review import queue
from redline.review.types import QueueFilter, QueueSort
from redline.store.models import Batch, Review

ME = "cy"


def unreviewed(engine: Engine, reviewer: str = ME) -> set[uuid.UUID]:
    """The ids in `reviewer`'s "unreviewed" queue, by the full snapshot and the first page."""
    f, s = QueueFilter(status="unreviewed"), QueueSort()
    rowids = queue.snapshot(engine, f, s, reviewer)
    head = queue.first_page(engine, f, s, reviewer, limit=1000)
    assert list(head) == list(rowids)
    return {row.id for row in queue.load_rows(engine, rowids, reviewer)}


def test_k1_keeps_the_plain_queue_everything_i_did_not_review(engine: Engine) -> None:
    batch = add_batch(engine)
    a, b, c = add_samples(engine, batch, [{}, {}, {}])
    add_review(engine, a, "ana", "good")
    add_review(engine, b, "ana", "good")
    add_review(engine, b, "ben", "bad")
    add_review(engine, c, ME, "good")
    assert unreviewed(engine) == {a, b}


def test_with_k2_samples_leave_every_queue_once_two_people_reviewed_them(engine: Engine) -> None:
    plain = add_batch(engine)
    overlap = add_batch(engine, reviewers_per_sample=2)
    (p,) = add_samples(engine, plain, [{}])
    once, twice, mine, adjudicated, withdrawn = add_samples(engine, overlap, [{}] * 5)
    add_review(engine, p, "ana", "good")
    add_review(engine, p, "ben", "good")  # k = 1 batch: stays, as before
    add_review(engine, once, "ana", "good")
    add_review(engine, twice, "ana", "good")
    add_review(engine, twice, "ben", "bad")
    add_review(engine, mine, "ana", "good")
    add_review(engine, mine, ME, "good")
    add_review(engine, adjudicated, "ana", "good")
    add_review(engine, adjudicated, "lead", "good", adjudicated=True)  # not a second review
    add_review(engine, withdrawn, "ana", "good")
    add_review(engine, withdrawn, "ben", "bad", deleted=True)  # an undone submit
    assert unreviewed(engine) == {p, once, adjudicated, withdrawn}
    # ana still sees what she has not reviewed: nothing of the overlap batch.
    assert unreviewed(engine, "ana") == set()
    assert unreviewed(engine, "dee") == {p, once, adjudicated, withdrawn}


def test_set_overlap_changes_the_queue_and_marks_the_batch_for_sync(engine: Engine) -> None:
    batch = add_batch(engine)
    a, b = add_samples(engine, batch, [{}, {}])
    add_review(engine, a, "ana", "good")
    add_review(engine, a, "ben", "good")
    with engine.begin() as conn:
        conn.execute(update(Batch).values(dirty=False))
        revision = conn.execute(select(Batch.revision)).scalar_one()
    assert unreviewed(engine) == {a, b}

    status = set_overlap(engine, batch.hex[:10], 2)
    assert (status.reviewers_per_sample, status.samples, status.done, status.waiting) == (
        2,
        2,
        1,
        1,
    )
    assert unreviewed(engine) == {b}
    with engine.begin() as conn:
        dirty, new_revision = conn.execute(select(Batch.dirty, Batch.revision)).one()
    assert dirty and new_revision == revision + 1

    set_overlap(engine, batch.hex, 3)
    assert unreviewed(engine) == {a, b}
    (status,) = overlap_status(engine)
    assert (status.done, status.started, status.waiting) == (0, 1, 1)


@pytest.mark.parametrize("k", [0, 11])
def test_set_overlap_refuses_a_bad_k_or_batch(engine: Engine, k: int) -> None:
    batch = add_batch(engine)
    with pytest.raises(RedlineError, match="between 1 and 10"):
        set_overlap(engine, batch.hex, k)
    with pytest.raises(RedlineError, match="no batch id starts with"):
        set_overlap(engine, "ffff", 2)


def test_overlap_status_ignores_adjudications(engine: Engine) -> None:
    batch = add_batch(engine, reviewers_per_sample=2)
    (a,) = add_samples(engine, batch, [{}])
    add_review(engine, a, "ana", "good")
    add_review(engine, a, "lead", "bad", adjudicated=True)
    (status,) = overlap_status(engine)
    assert (status.done, status.started) == (0, 1)
    with engine.begin() as conn:
        assert conn.execute(select(Review.id)).all()
