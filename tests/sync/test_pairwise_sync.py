"""Pairwise choices travel like reviews: pushed by one reviewer, pulled by another."""

from __future__ import annotations

from sqlalchemy import select, text
from tests.sync.conftest import MakeMachine, SharedDb, records

from redline.review.pairwise import Preference, record_preference
from redline.store.models import Review, ReviewHistory


def test_a_pairwise_choice_pushed_by_ana_is_pulled_by_ben(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(2))
    baseline, candidate = ana.sample_ids()
    record_preference(ana.store, candidate, baseline, Preference.CANDIDATE, reviewer=ana.user,
                      device=ana.device, time_ms=3_500)  # fmt: skip
    report = ana.sync()
    assert report.pushed.get("review") == 1
    with shared_db.admin.connect() as conn:
        on_server = conn.execute(
            text("SELECT preference, compared_sample_id, preference_ms FROM review")
        ).one()
    assert tuple(on_server) == ("candidate", baseline, 3_500)

    ben.sync()
    with ben.store.connect() as conn:
        pulled = conn.execute(
            select(Review.reviewer, Review.preference, Review.compared_sample_id).where(
                Review.sample_id == candidate
            )
        ).one()
    assert tuple(pulled) == (ana.user, "candidate", baseline)

    # Ana changes her mind: ben gets the new choice, the old one stays in history.
    record_preference(ana.store, candidate, baseline, Preference.TIE, reviewer=ana.user,
                      device=ana.device)  # fmt: skip
    ana.sync()
    ben.sync()
    with ben.store.connect() as conn:
        assert (
            conn.execute(
                select(Review.preference).where(Review.sample_id == candidate)
            ).scalar_one()
            == "tie"
        )
        kept = conn.execute(select(ReviewHistory.preference)).scalars().all()
    assert "candidate" in kept
