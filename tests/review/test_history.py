"""The review history as the panel shows it: who, when, verdict, what changed, why."""

from __future__ import annotations

from tests.review.conftest import MakeSamples

from redline.review.history import history_entries
from redline.review.service import ReviewService
from redline.review.types import ReviewInput, Verdict


def test_edits_and_undo_read_as_a_timeline(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    (sample_id,) = make_samples(1)
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD, rating=4))
    service.submit(
        ReviewInput(sample_id, verdict=Verdict.BAD, rating=2, categories=("tone",),
                    correction="Better.", note="rude")
    )  # fmt: skip
    service.submit(ReviewInput(sample_id, verdict=Verdict.BAD, rating=1, categories=("tone",),
                               correction="Better.", note="rude", flagged=True))  # fmt: skip
    service.undo()

    entries = history_entries(service.history(sample_id))
    assert [(e.revision, e.status) for e in entries] == [
        (4, "current"),
        (3, "undone"),
        (2, "edited later"),
        (1, "edited later"),
    ]
    by_revision = {e.revision: e for e in entries}
    assert by_revision[1].changes == "first review"
    assert by_revision[2].changes == (
        "verdict good → bad; rating 4 → 2; categories +tone; note; correction"
    )
    assert by_revision[3].changes == "rating 2 → 1; flagged"
    # The undo restored revision 2's values as revision 4.
    assert by_revision[4].changes == "rating 1 → 2; unflagged"
    assert {e.reviewer for e in entries} == {service.reviewer}


def test_every_reviewer_has_their_own_line(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    (sample_id,) = make_samples(1)
    other = ReviewService(service.engine, reviewer="ben", device="other")
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD))
    other.submit(ReviewInput(sample_id, verdict=Verdict.BAD))
    entries = history_entries(service.history(sample_id))
    assert sorted((e.reviewer, e.changes, e.status) for e in entries) == sorted(
        [("ben", "first review", "current"), (service.reviewer, "first review", "current")]
    )
