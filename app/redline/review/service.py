"""The reviewer's service: read a sample, submit / edit / undo / redo reviews, drafts.

Every write is one committed transaction on the local store. With WAL and
`synchronous = NORMAL` (redline.store.engine) a committed submit survives the process
being killed at any moment; only a power cut may lose the last few.

Nothing is ever thrown away: an edit copies the revision it replaces into
review_history (reason "edit"), an undo copies the revision it removes or overwrites
(reason "undo"), a redo likewise (reason "redo"). Every local change bumps the
revision and marks the review dirty, so sync pushes it (higher revision wins).

A review is never deleted: undoing a first submit leaves a tombstone (`deleted` set,
revision bumped) so the withdrawal syncs like any other change; a tombstone reads as
"no review" everywhere, and a later submit brings the same row back.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import Engine, Integer, and_, delete, func, literal_column, or_, select
from sqlalchemy.orm import Session

from redline import clock
from redline.errors import RedlineError
from redline.review.types import (
    Changes,
    OpenedSample,
    ReviewInput,
    ReviewState,
    SampleDetail,
    Verdict,
)
from redline.store.models import Review, ReviewDraft, ReviewHistory, Sample
from redline.store.session import session_scope

__all__ = ["UNDO_LIMIT", "ReviewService", "review_id"]

# Review actions kept for undo in one session.
UNDO_LIMIT = 1000

# Namespace of review ids (see review_id).
_REVIEW_ID_NAMESPACE = uuid.UUID("5b0c7a3e-2f4d-4c1e-9a57-7d8e4f2a6b10")


def review_id(sample_id: uuid.UUID, reviewer: str) -> uuid.UUID:
    """The id of `reviewer`'s review of a sample: the same on every machine.

    There is one review per (sample, reviewer). A random (v7) id would give the same
    reviewer two rows for one sample when they start it offline on two machines, and
    the shared database's uniqueness would refuse the second; with a name-based id
    (UUIDv5) both machines write revisions of one row, which sync knows how to merge.
    """
    return uuid.uuid5(_REVIEW_ID_NAMESPACE, f"{sample_id.hex}/{reviewer}")


@dataclass(frozen=True, slots=True)
class _Values:
    """What a reviewer decides (time spent is effort, not a decision: undo keeps it)."""

    verdict: str | None
    rating: int | None
    categories: tuple[str, ...]
    note: str
    correction: str | None
    flagged: bool

    @classmethod
    def of(cls, review: Review | ReviewInput) -> _Values:
        verdict = review.verdict
        return cls(
            verdict=None if verdict is None else str(Verdict(verdict)),
            rating=review.rating,
            categories=tuple(review.categories),
            note=review.note,
            correction=review.correction,
            flagged=bool(review.flagged),
        )

    def apply(self, review: Review) -> None:
        review.verdict = self.verdict
        review.rating = self.rating
        review.categories = list(self.categories)
        review.note = self.note
        review.correction = self.correction
        review.flagged = self.flagged


@dataclass(frozen=True, slots=True)
class _Action:
    """One undoable step: the sample's review went from `before` (None: no review) to
    `after` (None: removed)."""

    sample_id: uuid.UUID
    before: _Values | None
    after: _Values | None


def _state(review: Review) -> ReviewState:
    return _state_of(review, id=review.id, updated_at=review.updated_at)


def _history_state(entry: ReviewHistory) -> ReviewState:
    return _state_of(
        entry,
        id=entry.review_id,
        updated_at=entry.review_updated_at,
        reason=entry.reason,
        history_id=entry.id,
    )


def _state_of(row: Any, **identity: Any) -> ReviewState:
    """The review fields a current review and a kept revision share, plus their identity
    (`row`: a Review or ReviewHistory object, or a row of either table)."""
    return ReviewState(
        sample_id=row.sample_id,
        reviewer=row.reviewer,
        verdict=None if row.verdict is None else Verdict(row.verdict),
        rating=row.rating,
        categories=tuple(row.categories),
        note=row.note,
        correction=row.correction,
        flagged=row.flagged,
        time_spent_ms=row.time_spent_ms,
        revision=row.revision,
        device=row.device,
        **identity,
    )


def _check(review: ReviewInput) -> ReviewInput:
    if review.rating is not None and not 1 <= review.rating <= 5:
        raise RedlineError(f"rating {review.rating} is not between 1 and 5")
    if review.time_spent_ms < 0:
        raise RedlineError(f"time spent {review.time_spent_ms} ms is negative")
    if review.verdict is not None:
        Verdict(review.verdict)  # a plain "good" string is fine, "great" is not
    categories = tuple(dict.fromkeys(c.strip() for c in review.categories if c.strip()))
    return replace(review, categories=categories)


def _detail(sample: Any, rowid: int) -> SampleDetail:
    """A SampleDetail from a sample (an ORM object or a row with the same column names)."""
    return SampleDetail(
        id=sample.id,
        rowid=int(rowid),
        batch_id=sample.batch_id,
        source=sample.source,
        external_id=sample.external_id,
        captured_at=sample.captured_at,
        model=sample.model,
        prompt_name=sample.prompt_name,
        prompt_version=sample.prompt_version,
        variant=sample.variant,
        session_id=sample.session_id,
        system_prompt=sample.system_prompt,
        input_text=sample.input_text,
        input_messages=sample.input_messages,
        output=sample.output,
        score=sample.score,
        decision=sample.decision,
        latency_ms=sample.latency_ms,
        tokens_in=sample.tokens_in,
        tokens_out=sample.tokens_out,
        language=sample.language,
        language_guessed=sample.language_guessed,
        segments=sample.segments,
        signal_copied=sample.signal_copied,
        signal_edited=sample.signal_edited,
        signal_follow_up=sample.signal_follow_up,
        signal_thumbs=sample.signal_thumbs,
        inclusion_prob=sample.inclusion_prob,
    )


def _draft(sample_id: uuid.UUID, fields: dict[str, Any]) -> ReviewInput:
    verdict = fields.get("verdict")
    return ReviewInput(
        sample_id=sample_id,
        verdict=Verdict(verdict) if verdict else None,
        rating=fields.get("rating"),
        categories=tuple(fields.get("categories") or ()),
        note=fields.get("note") or "",
        correction=fields.get("correction"),
        flagged=bool(fields.get("flagged")),
        time_spent_ms=int(fields.get("time_spent_ms") or 0),
    )


def _newest_first(states: list[ReviewState]) -> list[ReviewState]:
    # The current review first among equal times: it is the newest of its revisions.
    states.sort(key=lambda s: (s.updated_at, s.reason is None, s.revision), reverse=True)
    return states


# Core tables for `open_sample`: plain rows convert several times faster than ORM
# objects, and the read-ahead runs beside the GUI thread, competing for the GIL.
_SAMPLE = Sample.__table__
_DRAFT = ReviewDraft.__table__
_REVIEW = Review.__table__
_HISTORY = ReviewHistory.__table__


class ReviewService:
    """One reviewer's review actions on the local store (synchronous, no Qt).

    Not thread-safe: the UI calls it from its one database-writer task thread. The undo
    stack lives in this object, i.e. one app session.
    """

    def __init__(self, engine: Engine, *, reviewer: str, device: str) -> None:
        if not reviewer:
            raise RedlineError("no reviewer name", hint="set your name in the settings")
        self.engine = engine
        self.reviewer = reviewer
        self.device = device
        self._undo: list[_Action] = []
        self._redo: list[_Action] = []

    # -- reading ----------------------------------------------------------------------

    def sample_detail(self, sample_id: uuid.UUID) -> SampleDetail:
        """Everything about one sample; RedlineError if it does not exist."""
        with session_scope(self.engine) as session:
            found = session.execute(
                select(Sample, literal_column("sample.rowid", Integer)).where(
                    Sample.id == sample_id
                )
            ).one_or_none()
            if found is None:
                raise RedlineError(f"sample {sample_id} does not exist")
            sample, rowid = found
            return _detail(sample, rowid)

    def current_review(self, sample_id: uuid.UUID) -> ReviewState | None:
        """This reviewer's current review of the sample, or None."""
        with session_scope(self.engine) as session:
            review = self._mine(session, sample_id)
            return None if review is None or review.deleted else _state(review)

    def history(self, sample_id: uuid.UUID) -> list[ReviewState]:
        """Every reviewer's current review and every earlier revision, newest first."""
        with session_scope(self.engine) as session:
            states = [
                _state(r)
                for r in session.scalars(
                    select(Review).where(Review.sample_id == sample_id, Review.deleted.is_(False))
                )
            ]
            states += [
                _history_state(h)
                for h in session.scalars(
                    select(ReviewHistory).where(ReviewHistory.sample_id == sample_id)
                )
            ]
        return _newest_first(states)

    def open_sample(self, sample_id: uuid.UUID) -> OpenedSample:
        """Everything the review views show for one sample, in one read.

        The sample with this reviewer's draft (one statement), then every review and
        kept revision of it (one more), on one connection in one transaction: one
        consistent snapshot, and one connection opened instead of one per part.

        Raises:
            RedlineError: the sample does not exist.
        """
        with self.engine.connect() as conn:
            found = conn.execute(
                select(
                    _SAMPLE,
                    literal_column("sample.rowid", Integer).label("sample_rowid"),
                    _DRAFT.c.fields.label("draft_fields"),
                )
                .select_from(
                    _SAMPLE.outerjoin(
                        _DRAFT,
                        and_(
                            _DRAFT.c.sample_id == _SAMPLE.c.id,
                            _DRAFT.c.reviewer == self.reviewer,
                        ),
                    )
                )
                .where(_SAMPLE.c.id == sample_id)
            ).one_or_none()
            if found is None:
                raise RedlineError(f"sample {sample_id} does not exist")
            reviews = conn.execute(
                select(_REVIEW).where(
                    _REVIEW.c.sample_id == sample_id, _REVIEW.c.deleted.is_(False)
                )
            ).all()
            kept = conn.execute(select(_HISTORY).where(_HISTORY.c.sample_id == sample_id)).all()
        states = [_state_of(r, id=r.id, updated_at=r.updated_at) for r in reviews]
        mine = next((s for s in states if s.reviewer == self.reviewer), None)
        for h in kept:
            states.append(
                _state_of(
                    h,
                    id=h.review_id,
                    updated_at=h.review_updated_at,
                    reason=h.reason,
                    history_id=h.id,
                )
            )
        return OpenedSample(
            detail=_detail(found, found.sample_rowid),
            review=mine,
            draft=None if found.draft_fields is None else _draft(sample_id, found.draft_fields),
            history=tuple(_newest_first(states)),
        )

    def progress(
        self, batch_id: uuid.UUID | None = None, *, total: int | None = None
    ) -> tuple[int, int]:
        """(samples this reviewer reviewed, samples) in the batch, or in the whole store.

        Counting a million samples takes a while; a caller that knows the total (it
        changes only with imports) passes it and only the reviews are counted.
        """
        with session_scope(self.engine) as session:
            total_q = select(func.count()).select_from(Sample)
            # A pairwise choice alone is no verdict on the sample (see
            # redline.review.queue.VERDICT_REVIEW, the queue's same rule).
            mine_q = (
                select(func.count())
                .select_from(Review)
                .where(
                    Review.reviewer == self.reviewer,
                    Review.deleted.is_(False),
                    or_(Review.verdict.is_not(None), Review.preference.is_(None)),
                )
            )
            if batch_id is not None:
                total_q = total_q.where(Sample.batch_id == batch_id)
                mine_q = mine_q.join(Sample, Sample.id == Review.sample_id).where(
                    Sample.batch_id == batch_id
                )
            mine = session.execute(mine_q).scalar_one()
            return mine, total if total is not None else session.execute(total_q).scalar_one()

    # -- writing ----------------------------------------------------------------------

    def submit(self, review: ReviewInput) -> Changes:
        """Save the review at once (one committed transaction) and clear the sample's draft.

        A first review is created at revision 1; an edit copies the current revision to
        history and bumps it. `time_spent_ms` is added to the review's total. Submitting
        exactly what is stored, with no time spent, changes nothing (and is not undoable).
        """
        review = _check(review)
        after = _Values.of(review)
        with session_scope(self.engine) as session:
            self._drop_draft(session, review.sample_id)
            current = self._mine(session, review.sample_id)
            if current is None or current.deleted:
                if session.get(Sample, review.sample_id) is None:
                    raise RedlineError(f"sample {review.sample_id} does not exist")
                if current is None:
                    current = self._revive(session, review.sample_id)
                    session.add(current)
                # A tombstone comes back to life under its id, with its time spent.
                current.deleted = False
                after.apply(current)
                current.time_spent_ms += review.time_spent_ms
                self._bump(current)
                before = None
            else:
                before = _Values.of(current)
                if before == after and review.time_spent_ms == 0:
                    return Changes(frozenset({review.sample_id}))
                self._set_aside(session, current, "edit")
                after.apply(current)
                current.time_spent_ms += review.time_spent_ms
                self._bump(current)
        if before != after:
            self._push_undo(_Action(review.sample_id, before, after))
        return Changes(frozenset({review.sample_id}), reviews=True)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> Changes | None:
        """Undo this session's last review action; None when there is none.

        Undoing a first submit withdraws the review (a tombstone; its revision stays in
        history, reason "undo"); undoing an edit restores the earlier values as a new
        revision. Either way what was submitted comes back as the sample's draft, so the
        reviewer can change it and submit again instead of writing it anew.
        """
        if not self._undo:
            return None
        action = self._undo[-1]
        self._apply(action.sample_id, action.before, reason="undo", draft=action.after)
        # Moved only once committed: a failed undo can be tried again.
        self._redo.append(self._undo.pop())
        return Changes(frozenset({action.sample_id}), reviews=True)

    def redo(self) -> Changes | None:
        """Redo the last undone action (its draft, left by the undo, goes); None when
        there is none."""
        if not self._redo:
            return None
        action = self._redo[-1]
        self._apply(action.sample_id, action.after, reason="redo", drop_draft=True)
        self._undo.append(self._redo.pop())
        return Changes(frozenset({action.sample_id}), reviews=True)

    # -- drafts -----------------------------------------------------------------------

    def save_draft(self, draft: ReviewInput) -> None:
        """Keep a half-written review (autosave), replacing the sample's previous draft."""
        fields: dict[str, Any] = {
            "verdict": None if draft.verdict is None else str(Verdict(draft.verdict)),
            "rating": draft.rating,
            "categories": list(draft.categories),
            "note": draft.note,
            "correction": draft.correction,
            "flagged": draft.flagged,
            "time_spent_ms": draft.time_spent_ms,
        }
        with session_scope(self.engine) as session:
            self._put_draft(session, draft.sample_id, fields)

    def load_draft(self, sample_id: uuid.UUID) -> ReviewInput | None:
        """The sample's draft, or None."""
        with session_scope(self.engine) as session:
            stored = session.get(ReviewDraft, (sample_id, self.reviewer))
            if stored is None:
                return None
            fields = stored.fields
        return _draft(sample_id, fields)

    def discard_draft(self, sample_id: uuid.UUID) -> None:
        """Forget the sample's draft (nothing happens when there is none)."""
        with session_scope(self.engine) as session:
            self._drop_draft(session, sample_id)

    # -- internals --------------------------------------------------------------------

    def _mine(self, session: Session, sample_id: uuid.UUID) -> Review | None:
        return session.scalars(
            select(Review).where(Review.sample_id == sample_id, Review.reviewer == self.reviewer)
        ).one_or_none()

    def _put_draft(self, session: Session, sample_id: uuid.UUID, fields: dict[str, Any]) -> None:
        stored = session.get(ReviewDraft, (sample_id, self.reviewer))
        if stored is None:
            session.add(ReviewDraft(sample_id=sample_id, reviewer=self.reviewer, fields=fields))
        else:
            stored.fields = fields
            stored.updated_at = clock.now()

    def _drop_draft(self, session: Session, sample_id: uuid.UUID) -> None:
        session.execute(
            delete(ReviewDraft).where(
                ReviewDraft.sample_id == sample_id, ReviewDraft.reviewer == self.reviewer
            )
        )

    def _set_aside(self, session: Session, review: Review, reason: str) -> None:
        """Copy the review's current revision into history."""
        session.add(ReviewHistory.kept_from(review, device=self.device, reason=reason))

    def _bump(self, review: Review) -> None:
        review.revision += 1
        review.updated_at = clock.now()
        review.device = self.device
        review.dirty = True

    def _apply(
        self,
        sample_id: uuid.UUID,
        values: _Values | None,
        *,
        reason: str,
        draft: _Values | None = None,
        drop_draft: bool = False,
    ) -> None:
        """Make the review hold `values` (None: no review, a tombstone), setting the
        current one aside; in the same transaction, make `draft` the sample's draft, or
        drop its draft."""
        with session_scope(self.engine) as session:
            if draft is not None:
                # No time spent: the review it came from keeps that (undo keeps it).
                fields = {**asdict(draft), "categories": list(draft.categories)}
                self._put_draft(session, sample_id, {**fields, "time_spent_ms": 0})
            elif drop_draft:
                self._drop_draft(session, sample_id)
            current = self._mine(session, sample_id)
            if current is not None and not current.deleted:
                self._set_aside(session, current, reason)
            if values is None:
                if current is not None and not current.deleted:
                    current.deleted = True
                    self._bump(current)
                return
            if current is None:
                current = self._revive(session, sample_id)
                session.add(current)
            current.deleted = False
            values.apply(current)
            self._bump(current)

    def _revive(self, session: Session, sample_id: uuid.UUID) -> Review:
        """A new current review (revision 0, to be bumped). One that was removed (by an
        undo before tombstones existed) comes back under its id, after its last revision
        and with its time spent, so its history stays one line and sync sees a newer
        revision of the same row. A review never seen gets `review_id(sample, reviewer)`,
        so the same reviewer starting it on two machines makes one row, not two."""
        last = session.scalars(
            select(ReviewHistory)
            .where(ReviewHistory.sample_id == sample_id, ReviewHistory.reviewer == self.reviewer)
            .order_by(ReviewHistory.revision.desc(), ReviewHistory.review_updated_at.desc())
            .limit(1)
        ).one_or_none()
        return Review(
            id=last.review_id if last else review_id(sample_id, self.reviewer),
            sample_id=sample_id,
            reviewer=self.reviewer,
            revision=last.revision if last else 0,
            time_spent_ms=last.time_spent_ms if last else 0,
            device=self.device,
            created_at=clock.now(),
        )

    def _push_undo(self, action: _Action) -> None:
        self._undo.append(action)
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()
