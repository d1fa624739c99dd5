"""ReviewService on a real SQLite store: submit, edit, history, undo/redo, drafts, progress."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import Engine, event, func, select, update

from redline.errors import RedlineError
from redline.review.service import ReviewService
from redline.review.types import Changes, ReviewInput, Verdict
from redline.store.models import Review, ReviewDraft, ReviewHistory

MakeSamples = Callable[..., list[uuid.UUID]]


def test_sample_detail_has_every_field(service: ReviewService, make_samples: MakeSamples) -> None:
    (sample_id,) = make_samples(
        [
            {
                "model": "gpt-4o",
                "prompt_name": "support",
                "prompt_version": "v3",
                "variant": "B",
                "input_messages": [{"role": "user", "content": "hi"}],
                "score": 0.25,
                "language": "fr",
                "segments": {"tier": "pro"},
                "signal_thumbs": -1,
                "signal_copied": True,
            }
        ]
    )
    detail = service.sample_detail(sample_id)
    assert detail.id == sample_id
    assert detail.rowid >= 1
    assert (detail.model, detail.prompt_name, detail.prompt_version) == ("gpt-4o", "support", "v3")
    assert detail.input_messages == [{"role": "user", "content": "hi"}]
    assert detail.segments == {"tier": "pro"}
    assert (detail.signal_thumbs, detail.signal_copied, detail.signal_edited) == (-1, True, None)
    assert detail.inclusion_prob == 1.0
    assert detail.captured_at is not None and detail.captured_at.tzinfo is not None
    with pytest.raises(RedlineError):
        service.sample_detail(uuid.uuid4())


def test_open_sample_reads_what_the_four_reads_do_on_one_connection(
    engine: Engine, service: ReviewService, make_samples: MakeSamples
) -> None:
    first, second = make_samples([{"model": "m1"}, {"model": "m2"}])
    bob = ReviewService(engine, reviewer="bob@example.com", device="desktop")
    service.submit(ReviewInput(first, verdict=Verdict.GOOD, note="fine"))
    service.submit(ReviewInput(first, verdict=Verdict.BAD, correction="Better."))
    bob.submit(ReviewInput(first, verdict=Verdict.UNSURE))
    service.save_draft(ReviewInput(first, verdict=Verdict.GOOD, note="half", time_spent_ms=40))
    bob.save_draft(ReviewInput(second, note="not mine"))
    checkouts: list[object] = []

    def count(*args: object) -> None:
        checkouts.append(args)

    event.listen(engine, "checkout", count)
    try:
        opened = service.open_sample(first)
        empty = service.open_sample(second)
    finally:
        event.remove(engine, "checkout", count)
    assert len(checkouts) == 2  # one connection (one read transaction) per sample
    assert opened.detail == service.sample_detail(first)
    assert opened.review == service.current_review(first)
    assert opened.draft == service.load_draft(first)
    assert list(opened.history) == service.history(first)
    assert [(h.reviewer, h.verdict, h.reason) for h in opened.history] == [
        ("bob@example.com", Verdict.UNSURE, None),
        ("ann@example.com", Verdict.BAD, None),
        ("ann@example.com", Verdict.GOOD, "edit"),
    ]
    assert (empty.review, empty.draft, empty.history) == (None, None, ())
    with pytest.raises(RedlineError):
        service.open_sample(uuid.uuid4())


def test_first_submit_creates_revision_one(
    service: ReviewService, make_samples: MakeSamples, engine: Engine
) -> None:
    (sample_id,) = make_samples(1)
    changes = service.submit(
        ReviewInput(
            sample_id,
            verdict=Verdict.BAD,
            rating=2,
            categories=("hallucination", " tone ", "hallucination"),
            note="made up a refund policy",
            correction="We cannot refund after 30 days.",
            flagged=True,
            time_spent_ms=4200,
        )
    )
    assert changes == Changes(frozenset({sample_id}), reviews=True)
    state = service.current_review(sample_id)
    assert state is not None
    assert state.verdict is Verdict.BAD
    assert state.categories == ("hallucination", "tone")
    assert (state.rating, state.flagged, state.time_spent_ms, state.revision) == (2, True, 4200, 1)
    assert state.reviewer == "ann@example.com" and state.device == "laptop"
    with engine.connect() as conn:
        assert conn.execute(select(Review.dirty)).scalar_one() is True
        assert conn.execute(select(func.count()).select_from(ReviewHistory)).scalar_one() == 0


def test_edit_bumps_revision_keeps_history_and_accumulates_time(
    service: ReviewService, make_samples: MakeSamples, engine: Engine
) -> None:
    (sample_id,) = make_samples(1)
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD, time_spent_ms=1000))
    with engine.begin() as conn:  # as if sync had pushed it
        conn.execute(update(Review).values(dirty=False))
    service.submit(ReviewInput(sample_id, verdict=Verdict.BAD, note="no", time_spent_ms=500))

    state = service.current_review(sample_id)
    assert state is not None
    assert (state.verdict, state.note, state.revision, state.time_spent_ms) == (
        Verdict.BAD,
        "no",
        2,
        1500,
    )
    with engine.connect() as conn:
        assert conn.execute(select(Review.dirty)).scalar_one() is True
    history = service.history(sample_id)
    assert [(h.revision, h.verdict, h.reason) for h in history] == [
        (2, Verdict.BAD, None),
        (1, Verdict.GOOD, "edit"),
    ]
    assert history[1].id == state.id and history[1].history_id is not None


def test_submitting_the_same_again_changes_nothing(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    (sample_id,) = make_samples(1)
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD))
    assert service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD)) == Changes(
        frozenset({sample_id})
    )
    state = service.current_review(sample_id)
    assert state is not None and state.revision == 1
    # Time spent alone is still recorded (a new revision, so sync carries it).
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD, time_spent_ms=300))
    state = service.current_review(sample_id)
    assert state is not None and (state.revision, state.time_spent_ms) == (2, 300)


def test_history_shows_every_reviewer(
    engine: Engine, service: ReviewService, make_samples: MakeSamples
) -> None:
    (sample_id,) = make_samples(1)
    bob = ReviewService(engine, reviewer="bob@example.com", device="desktop")
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD))
    bob.submit(ReviewInput(sample_id, verdict=Verdict.BAD))
    bob.submit(ReviewInput(sample_id, verdict=Verdict.UNSURE))
    history = service.history(sample_id)
    assert [(h.reviewer, h.verdict, h.reason) for h in history] == [
        ("bob@example.com", Verdict.UNSURE, None),
        ("bob@example.com", Verdict.BAD, "edit"),
        ("ann@example.com", Verdict.GOOD, None),
    ]
    mine = service.current_review(sample_id)
    assert mine is not None and mine.verdict is Verdict.GOOD


def test_undo_first_submit_removes_review_but_keeps_revision(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    (sample_id,) = make_samples(1)
    service.submit(ReviewInput(sample_id, verdict=Verdict.BAD, time_spent_ms=700))
    assert service.can_undo() and not service.can_redo()

    assert service.undo() == Changes(frozenset({sample_id}), reviews=True)
    assert service.current_review(sample_id) is None
    assert [(h.revision, h.verdict, h.reason) for h in service.history(sample_id)] == [
        (1, Verdict.BAD, "undo")
    ]
    assert service.undo() is None

    assert service.redo() == Changes(frozenset({sample_id}), reviews=True)
    state = service.current_review(sample_id)
    assert state is not None
    # The same review comes back, after its tombstone (revision 2, so the withdrawal
    # syncs), with its time spent.
    assert (state.verdict, state.revision, state.time_spent_ms) == (Verdict.BAD, 3, 700)
    assert state.id == service.history(sample_id)[1].id
    assert service.redo() is None


def test_undo_edit_restores_previous_values_as_new_revision(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    (sample_id,) = make_samples(1)
    service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD, rating=5, note="fine"))
    service.submit(ReviewInput(sample_id, verdict=Verdict.BAD, rating=1, correction="better"))

    service.undo()
    state = service.current_review(sample_id)
    assert state is not None
    assert (state.verdict, state.rating, state.note, state.correction, state.revision) == (
        Verdict.GOOD,
        5,
        "fine",
        None,
        3,
    )
    service.redo()
    state = service.current_review(sample_id)
    assert state is not None
    assert (state.verdict, state.correction, state.revision) == (Verdict.BAD, "better", 4)

    # Every revision is kept: 1 (edit), 2 (undo), 3 (redo), 4 current.
    assert [(h.revision, h.verdict, h.reason) for h in service.history(sample_id)] == [
        (4, Verdict.BAD, None),
        (3, Verdict.GOOD, "redo"),
        (2, Verdict.BAD, "undo"),
        (1, Verdict.GOOD, "edit"),
    ]


def test_undo_brings_the_submitted_review_back_as_a_draft(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    a, b = make_samples(2)
    submitted = ReviewInput(
        a, verdict=Verdict.BAD, rating=2, categories=("tone",), note="rude",
        correction="Better.", flagged=True, time_spent_ms=900,
    )  # fmt: skip
    service.submit(submitted)
    service.undo()
    assert service.current_review(a) is None
    # Everything the reviewer had entered, ready to change and submit again; the time
    # spent stays with the withdrawn review (it is not counted twice).
    assert service.load_draft(a) == replace(submitted, time_spent_ms=0)
    service.redo()
    assert service.load_draft(a) is None
    state = service.current_review(a)
    assert state is not None and state.correction == "Better."

    # Undoing an edit: the stored review goes back, the edit waits as the draft.
    service.submit(ReviewInput(b, verdict=Verdict.GOOD))
    service.submit(ReviewInput(b, verdict=Verdict.BAD, note="on second thought"))
    service.undo()
    state = service.current_review(b)
    assert state is not None and state.verdict is Verdict.GOOD
    draft = service.load_draft(b)
    assert draft is not None and (draft.verdict, draft.note) == (Verdict.BAD, "on second thought")


def test_undo_walks_back_across_samples_and_new_submit_clears_redo(
    service: ReviewService, make_samples: MakeSamples
) -> None:
    a, b = make_samples(2)
    service.submit(ReviewInput(a, verdict=Verdict.GOOD))
    service.submit(ReviewInput(b, verdict=Verdict.BAD))
    assert service.undo() == Changes(frozenset({b}), reviews=True)
    assert service.undo() == Changes(frozenset({a}), reviews=True)
    assert service.current_review(a) is None and service.current_review(b) is None
    service.redo()
    service.submit(ReviewInput(b, verdict=Verdict.UNSURE))
    assert not service.can_redo()
    state_a, state_b = service.current_review(a), service.current_review(b)
    assert state_a is not None and state_a.verdict is Verdict.GOOD
    assert state_b is not None and state_b.verdict is Verdict.UNSURE
    # b's earlier review was undone (tombstone, revision 2); submitting again continues
    # its revisions.
    assert state_b.revision == 3


def test_submit_rejects_bad_input(service: ReviewService, make_samples: MakeSamples) -> None:
    (sample_id,) = make_samples(1)
    with pytest.raises(RedlineError, match="rating"):
        service.submit(ReviewInput(sample_id, rating=6))
    with pytest.raises(RedlineError, match="does not exist"):
        service.submit(ReviewInput(uuid.uuid4(), verdict=Verdict.GOOD))
    assert not service.can_undo()


def test_drafts_round_trip_and_submit_clears_them(
    service: ReviewService, make_samples: MakeSamples, engine: Engine
) -> None:
    a, b = make_samples(2)
    assert service.load_draft(a) is None
    draft = ReviewInput(
        a,
        verdict=Verdict.UNSURE,
        rating=3,
        categories=("tone",),
        note="half",
        correction="draft text",
        flagged=True,
        time_spent_ms=1234,
    )
    service.save_draft(draft)
    assert service.load_draft(a) == draft
    service.save_draft(ReviewInput(a, note="again"))
    assert service.load_draft(a) == ReviewInput(a, note="again")
    # Another reviewer's drafts are theirs.
    bob = ReviewService(engine, reviewer="bob@example.com", device="d")
    assert bob.load_draft(a) is None

    service.save_draft(ReviewInput(b, note="b"))
    service.discard_draft(b)
    assert service.load_draft(b) is None
    service.discard_draft(b)  # nothing to discard: no error

    service.submit(ReviewInput(a, verdict=Verdict.GOOD))
    assert service.load_draft(a) is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ReviewDraft)).scalar_one() == 0


def test_progress_counts_my_reviews_per_batch(
    engine: Engine, service: ReviewService, make_samples: MakeSamples
) -> None:
    first = make_samples(5)
    second = make_samples(3)
    bob = ReviewService(engine, reviewer="bob@example.com", device="d")
    for sample_id in first[:2] + second[:1]:
        service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD))
    bob.submit(ReviewInput(first[4], verdict=Verdict.GOOD))

    batch_of_first = service.sample_detail(first[0]).batch_id
    assert service.progress(batch_of_first) == (2, 5)
    assert service.progress(service.sample_detail(second[0]).batch_id) == (1, 3)
    assert service.progress(None) == (3, 8)
    assert bob.progress(batch_of_first) == (1, 5)
    assert service.progress(uuid.uuid4()) == (0, 0)


def test_a_reviewer_is_required(engine: Engine) -> None:
    with pytest.raises(RedlineError):
        ReviewService(engine, reviewer="", device="d")
