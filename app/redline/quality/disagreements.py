"""The disagreement queue and adjudication.

A sample is disputed when its current (non-adjudicated) reviews carry more than one
verdict. A lead settles it by recording a final verdict and correction: a Review of
the lead's own with `adjudicated` set, so it syncs and is permission-checked like any
review, and the individual reviews stay exactly as they were. Export and the threshold
studio read a sample's adjudicated review first (`redline.analytics.quality`,
`redline.export.resolve`).

Only leads adjudicate (`redline.quality.rules`). A lead who reviewed the sample
themselves cannot adjudicate it: there is one review per (sample, reviewer), and
judging one's own dispute is no adjudication either.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Select, false, func, select

from redline import clock
from redline.errors import RedlineError
from redline.quality.data import ALL_TIME, TimeRange, live
from redline.quality.rules import authorize_adjudication
from redline.review.service import review_id
from redline.review.types import Changes, Verdict
from redline.roles import Role
from redline.store.models import Review, ReviewHistory, Sample
from redline.store.session import session_scope

__all__ = [
    "Adjudication",
    "Disagreement",
    "ReviewView",
    "adjudicate",
    "disagreement",
    "disagreements",
]


@dataclass(frozen=True, slots=True)
class ReviewView:
    """One review as the disagreement queue shows it."""

    reviewer: str
    verdict: str | None
    rating: int | None
    categories: tuple[str, ...]
    note: str
    correction: str | None
    updated_at: datetime
    adjudicated: bool


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A disputed sample: its reviews side by side and the adjudication, if any."""

    sample_id: uuid.UUID
    captured_at: datetime | None
    prompt: str
    language: str | None
    score: float | None
    input_text: str
    output: str
    reviews: tuple[ReviewView, ...]
    adjudication: ReviewView | None

    @property
    def verdicts(self) -> str:
        """'good / bad' for the queue's list."""
        return " / ".join(sorted({r.verdict or "—" for r in self.reviews}))

    @property
    def resolved(self) -> bool:
        return self.adjudication is not None


@dataclass(frozen=True, slots=True)
class Adjudication:
    """A lead's final word on a sample."""

    sample_id: uuid.UUID
    verdict: Verdict
    correction: str | None = None
    note: str = ""
    categories: tuple[str, ...] = ()
    rating: int | None = None


def _disputed_ids(period: TimeRange) -> Select[uuid.UUID]:
    query = (
        select(Review.sample_id)
        .where(live(), Review.adjudicated == false(), Review.verdict.is_not(None))
        .group_by(Review.sample_id)
        .having(func.count(func.distinct(Review.verdict)) > 1)
    )
    if period.since is not None:
        query = query.having(func.max(Review.updated_at) >= period.since)
    if period.until is not None:
        query = query.having(func.min(Review.updated_at) < period.until)
    return query


def _view(review: Review) -> ReviewView:
    return ReviewView(
        reviewer=review.reviewer,
        verdict=review.verdict,
        rating=review.rating,
        categories=tuple(review.categories or ()),
        note=review.note,
        correction=review.correction,
        updated_at=review.updated_at,
        adjudicated=review.adjudicated,
    )


def disagreements(
    engine: Engine,
    period: TimeRange = ALL_TIME,
    *,
    include_resolved: bool = False,
    limit: int | None = None,
) -> list[Disagreement]:
    """The disputed samples, open ones first, then newest first within each."""
    with session_scope(engine) as session:
        ids = list(session.scalars(_disputed_ids(period)))
        if not ids:
            return []
        samples = {s.id: s for s in session.scalars(select(Sample).where(Sample.id.in_(ids)))}
        reviews: dict[uuid.UUID, list[Review]] = {}
        for review in session.scalars(
            select(Review)
            .where(Review.sample_id.in_(ids), live())
            .order_by(Review.updated_at, Review.reviewer)
        ):
            reviews.setdefault(review.sample_id, []).append(review)
        items = [_item(samples[i], reviews.get(i, [])) for i in ids if i in samples]
    if not include_resolved:
        items = [d for d in items if not d.resolved]
    items.sort(key=lambda d: (d.resolved, -(max(r.updated_at for r in d.reviews).timestamp())))
    return items[:limit] if limit is not None else items


def _item(sample: Sample, reviews: list[Review]) -> Disagreement:
    plain = tuple(_view(r) for r in reviews if not r.adjudicated)
    final = [r for r in reviews if r.adjudicated]
    prompt = " ".join(p for p in (sample.prompt_name, sample.prompt_version) if p)
    return Disagreement(
        sample_id=sample.id,
        captured_at=sample.captured_at,
        prompt=prompt,
        language=sample.language,
        score=sample.score,
        input_text=sample.input_text,
        output=sample.output,
        reviews=plain,
        adjudication=_view(final[-1]) if final else None,
    )


def disagreement(engine: Engine, sample_id: uuid.UUID) -> Disagreement:
    """One sample's reviews side by side (whether disputed or not)."""
    with session_scope(engine) as session:
        sample = session.get(Sample, sample_id)
        if sample is None:
            raise RedlineError(f"sample {sample_id} does not exist")
        reviews = list(
            session.scalars(
                select(Review)
                .where(Review.sample_id == sample_id, live())
                .order_by(Review.updated_at, Review.reviewer)
            )
        )
        return _item(sample, reviews)


def adjudicate(
    engine: Engine, decision: Adjudication, *, lead: str, role: Role, device: str
) -> Changes:
    """Record `lead`'s final verdict (and correction) on a sample, in one transaction.

    A second adjudication by the same lead replaces the first, which is kept in the
    review history (reason "edit"), as any edited review is.

    Raises:
        NotAllowed: `role` is not a lead's, or no lead name (`redline.quality.rules`).
        RedlineError: the sample does not exist, the lead reviewed it themselves, or
            the rating is out of range.
    """
    authorize_adjudication(actor=lead, role=role, sample=f"sample {decision.sample_id}")
    verdict = Verdict(decision.verdict)
    if decision.rating is not None and not 1 <= decision.rating <= 5:
        raise RedlineError(f"rating {decision.rating} is not between 1 and 5")
    correction = (
        decision.correction if decision.correction and decision.correction.strip() else None
    )
    categories = list(dict.fromkeys(c.strip() for c in decision.categories if c.strip()))
    with session_scope(engine) as session:
        if session.get(Sample, decision.sample_id) is None:
            raise RedlineError(f"sample {decision.sample_id} does not exist")
        current = session.scalars(
            select(Review).where(Review.sample_id == decision.sample_id, Review.reviewer == lead)
        ).one_or_none()
        if current is not None and not current.deleted and not current.adjudicated:
            raise RedlineError(
                f"{lead} reviewed this sample as a reviewer, so cannot adjudicate it",
                where=f"sample {decision.sample_id}",
                hint="ask another lead to settle it",
            )
        if current is None:
            current = Review(
                id=review_id(decision.sample_id, lead),
                sample_id=decision.sample_id,
                reviewer=lead,
                revision=0,
                created_at=clock.now(),
            )
            session.add(current)
        elif not current.deleted:
            session.add(ReviewHistory.kept_from(current, device=device, reason="edit"))
        current.deleted = False
        current.adjudicated = True
        current.verdict = verdict.value
        current.rating = decision.rating
        current.categories = categories
        current.note = decision.note
        current.correction = correction
        current.flagged = False
        current.device = device
        current.revision += 1
        current.updated_at = clock.now()
        current.dirty = True
    return Changes(frozenset({decision.sample_id}), reviews=True)
