"""The disagreement queue and adjudication: a lead's final word, individual reviews kept."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, Row, select
from tests.quality.helpers import T0, add_batch, add_review, add_samples

from redline.analytics.quality import sample_outcomes
from redline.errors import RedlineError
from redline.quality.data import TimeRange, load_reviews
from redline.quality.disagreements import Adjudication, adjudicate, disagreement, disagreements
from redline.quality.rules import may_adjudicate
from redline.review.types import Verdict
from redline.roles import NotAllowed, Role
from redline.store.models import Review, ReviewHistory


def _store(engine: Engine) -> list[uuid.UUID]:
    batch = add_batch(engine)
    split, agreed, unsure, single = add_samples(engine, batch, [{}, {}, {}, {}])
    add_review(engine, split, "ana", "good", rating=4)
    add_review(engine, split, "ben", "bad", rating=2, categories=["tone"], correction="Better.")
    add_review(engine, agreed, "ana", "bad")
    add_review(engine, agreed, "ben", "bad")
    add_review(engine, unsure, "ana", "good")
    add_review(engine, unsure, "ben", "unsure")
    add_review(engine, unsure, "cy", "good", deleted=True)  # withdrawn: not a review
    add_review(engine, single, "ana", "bad")
    return [split, agreed, unsure, single]


LEAD = Role.LEAD


def _reviews(engine: Engine) -> Sequence[Row[uuid.UUID, str, str | None, int]]:
    with engine.begin() as conn:
        return conn.execute(
            select(Review.sample_id, Review.reviewer, Review.verdict, Review.revision)
            .where(Review.adjudicated.is_(False))
            .order_by(Review.sample_id, Review.reviewer)
        ).all()


def test_the_queue_lists_samples_whose_reviewers_disagree(engine: Engine) -> None:
    split, _agreed, unsure, _single = _store(engine)
    found = disagreements(engine)
    assert {d.sample_id for d in found} == {split, unsure}
    item = next(d for d in found if d.sample_id == split)
    assert item.verdicts == "bad / good"
    assert [(r.reviewer, r.verdict) for r in item.reviews] == [("ana", "good"), ("ben", "bad")]
    assert item.reviews[1].correction == "Better."
    assert not item.resolved
    assert disagreements(engine, TimeRange(since=T0.replace(year=2027))) == []


def test_adjudication_settles_the_sample_and_keeps_every_review(engine: Engine) -> None:
    split, *_ = _store(engine)
    before = _reviews(engine)
    changes = adjudicate(
        engine,
        Adjudication(split, Verdict.BAD, correction="The ideal answer.", categories=("tone",)),
        lead="lea",
        role=LEAD,
        device="laptop",
    )
    assert changes.sample_ids == {split} and changes.reviews
    assert _reviews(engine) == before  # the individual reviews are untouched
    settled = disagreement(engine, split)
    assert settled.adjudication is not None
    assert (settled.adjudication.reviewer, settled.adjudication.verdict) == ("lea", "bad")
    assert settled.adjudication.correction == "The ideal answer."
    assert split not in {d.sample_id for d in disagreements(engine)}
    assert split in {d.sample_id for d in disagreements(engine, include_resolved=True)}
    # The final verdict everything downstream reads is the lead's.
    outcomes = sample_outcomes(load_reviews(engine))
    assert outcomes.loc[split, "verdict"] == "bad"  # type: ignore[index]  # a UUID label works


def test_a_second_adjudication_replaces_the_first_and_keeps_it_in_history(engine: Engine) -> None:
    split, *_ = _store(engine)
    adjudicate(engine, Adjudication(split, Verdict.BAD), lead="lea", role=LEAD, device="laptop")
    adjudicate(
        engine,
        Adjudication(split, Verdict.GOOD, note="on reflection"),
        lead="lea",
        role=LEAD,
        device="x",
    )
    with engine.begin() as conn:
        final = conn.execute(
            select(Review.verdict, Review.revision, Review.note, Review.dirty).where(
                Review.adjudicated.is_(True)
            )
        ).all()
        kept = conn.execute(select(ReviewHistory.verdict, ReviewHistory.reason)).all()
    assert final == [("good", 2, "on reflection", True)]
    assert kept == [("bad", "edit")]


def test_a_reviewer_of_the_sample_cannot_adjudicate_it(engine: Engine) -> None:
    split, *_ = _store(engine)
    with pytest.raises(RedlineError, match="ben reviewed this sample"):
        adjudicate(
            engine, Adjudication(split, Verdict.GOOD), lead="ben", role=LEAD, device="laptop"
        )
    with pytest.raises(NotAllowed, match="no one is signed in"):
        adjudicate(engine, Adjudication(split, Verdict.GOOD), lead="", role=LEAD, device="laptop")
    with pytest.raises(RedlineError, match="between 1 and 5"):
        adjudicate(
            engine, Adjudication(split, Verdict.GOOD, rating=9), lead="lea", role=LEAD, device="x"
        )


def test_a_withdrawn_review_of_the_lead_is_no_obstacle(engine: Engine) -> None:
    _split, _agreed, unsure, _single = _store(engine)
    adjudicate(engine, Adjudication(unsure, Verdict.GOOD), lead="cy", role=LEAD, device="laptop")
    settled = disagreement(engine, unsure)
    assert settled.adjudication is not None and settled.adjudication.reviewer == "cy"


def test_only_a_lead_may_adjudicate(engine: Engine) -> None:
    split, *_ = _store(engine)
    before = _reviews(engine)
    with pytest.raises(NotAllowed, match="only leads may adjudicate") as refused:
        adjudicate(
            engine, Adjudication(split, Verdict.BAD), lead="lea", role=Role.REVIEWER, device="x"
        )
    assert refused.value.hint == "ask a lead to settle it"
    assert _reviews(engine) == before
    assert disagreement(engine, split).adjudication is None
    assert may_adjudicate(actor="lea", role=Role.LEAD)
    assert not may_adjudicate(actor="lea", role=Role.REVIEWER)
    assert not may_adjudicate(actor=" ", role=Role.LEAD)
