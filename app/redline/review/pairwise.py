"""Pairwise review: two outputs for the same input, and which one is better.

A pair is a candidate sample (B: a new version's output, imported on a regression set
by `redline.prompts.regression.import_regression_outputs`) and its baseline (A: the
case it was made from, whose id is in B's segment field `regression_of`). A reviewer's
choice is stored on their review of the candidate sample (`Review.preference`,
`compared_sample_id`, `preference_ms`), so sync carries it like any review and the
shared database's row-level security lets each person write only their own. Each
change of a choice keeps the previous revision in review history, as review edits do.

The reviewer sees the two outputs in an order drawn per pair and reviewer (`shown_first`,
blind), but the choice is stored as candidate / baseline. `pairwise_results` gives each
pair one vote, its reviewers' most common choice (`pair_vote`; a pair whose reviewers
split evenly between two choices has none), so a pair judged by three people weighs as
much as a pair judged by one and the observations stay independent: the candidate's
win rate among decided pairs (Wilson interval) and the exact sign test on them. Ties,
"both bad" and split pairs are counted and left out of both (stated in `summary`); the
choices of every reviewer are counted too, as a secondary line (`choices_summary`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from redline import clock
from redline.analytics.stats import Rate, TestResult, rate, sign_test
from redline.errors import RedlineError
from redline.review.regression_cases import REGRESSION_PREFIX, cases, chunks, regression_outputs
from redline.review.service import review_id
from redline.store.models import Preference, Review, ReviewHistory, Sample
from redline.store.session import session_scope

__all__ = [
    "PairChoice",
    "PairItem",
    "PairVotes",
    "PairwiseResult",
    "Preference",
    "PreferencePair",
    "list_pairs",
    "pair_vote",
    "pairwise_results",
    "pairwise_sets",
    "preference_pairs",
    "record_preference",
    "restore_choice",
    "shown_first",
]


@dataclass(frozen=True, slots=True)
class PairChoice:
    """A reviewer's stored choice on one pair (what undo puts back)."""

    preference: Preference
    baseline_id: uuid.UUID
    time_ms: int


@dataclass(frozen=True, slots=True)
class PairItem:
    """One pair as the reviewer sees it (outputs as stored: candidate and baseline)."""

    candidate_id: uuid.UUID
    baseline_id: uuid.UUID
    prompt_name: str
    candidate_version: str
    baseline_version: str | None
    system_prompt: str | None
    input_text: str
    input_messages: list[Any] | None
    candidate_output: str
    baseline_output: str
    choice: PairChoice | None  # this reviewer's, if any


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """A decided pair for training data: the input, the preferred and the other output."""

    candidate_id: uuid.UUID
    baseline_id: uuid.UUID
    reviewer: str
    preference: Preference
    system_prompt: str | None
    input_text: str
    input_messages: list[Any] | None
    candidate_output: str
    baseline_output: str


@dataclass(frozen=True, slots=True)
class PairVotes:
    """One vote per judged pair: its reviewers' most common choice, or split."""

    candidate: int = 0
    baseline: int = 0
    ties: int = 0
    both_bad: int = 0
    split: int = 0  # the reviewers' most common choice is shared by two kinds

    @property
    def decided(self) -> int:
        return self.candidate + self.baseline

    @property
    def judged(self) -> int:
        return self.decided + self.ties + self.both_bad + self.split


@dataclass(frozen=True)
class PairwiseResult:
    """The candidate version against its baselines, one vote per pair.

    Attributes:
        pairs: pairs available (candidate outputs with a baseline).
        judged_pairs: pairs with at least one choice.
        votes: the judged pairs by their vote (`pair_vote`), split pairs apart.
        candidate / baseline / ties / both_bad: choices of each kind (one per reviewer
            and pair, so a pair judged by two people counts twice): the secondary line.
        win_rate: candidate wins among decided pairs (ties, both bad, split excluded).
        test: the exact sign test on the decided pairs.
    """

    prompt_name: str
    version: str
    pairs: int
    judged_pairs: int
    candidate: int
    baseline: int
    ties: int
    both_bad: int
    reviewers: int
    win_rate: Rate
    test: TestResult
    votes: PairVotes

    @property
    def choices(self) -> int:
        return self.candidate + self.baseline + self.ties + self.both_bad

    @property
    def decided(self) -> int:
        """Decided pairs: what the win rate and the sign test count."""
        return self.votes.decided

    def summary(self) -> str:
        """One sentence for a person: the per-pair result."""
        if not self.pairs:
            return f"no pairs for {self.version} yet (import its outputs on a regression set)"
        if not self.choices:
            return f"{self.pairs:,} pairs of {self.version}, no preference recorded yet"
        v = self.votes
        text = (
            f"{self.version} preferred in {v.candidate:,} of {v.decided:,} decided "
            f"pairs: {self.win_rate.percent()}"
        )
        if v.decided:
            text += f", sign test p = {self.test.p_value:.3g}"
        return (
            text + f"; {v.ties:,} tied, {v.both_bad:,} both bad and {v.split:,} split "
            f"pair{'s' if v.split != 1 else ''} left out; {self.judged_pairs:,} of "
            f"{self.pairs:,} pairs judged by {self.reviewers:,} "
            f"reviewer{'s' if self.reviewers != 1 else ''}, one vote per pair (its "
            "reviewers' most common choice)"
        )

    def choices_summary(self) -> str:
        """The secondary line: every reviewer's choice counted on its own."""
        return (
            f"{self.choices:,} choice{'s' if self.choices != 1 else ''} by reviewer: "
            f"{self.candidate:,} {self.version}, {self.baseline:,} baseline, "
            f"{self.ties:,} tie, {self.both_bad:,} both bad"
        )


def pair_vote(choices: Iterable[Preference]) -> Preference | None:
    """A pair's vote: its reviewers' most common choice; None when two kinds share the
    top count (the reviewers split, e.g. one candidate and one baseline) or no choice."""
    ranked = Counter(choices).most_common(2)
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def shown_first(candidate_id: uuid.UUID, reviewer: str) -> str:
    """Which output this reviewer sees on the left: "candidate" or "baseline".

    Drawn per pair and reviewer from a hash, so the order looks random (the reviewer
    cannot tell which version is which) yet stays the same when they come back.
    """
    digest = hashlib.sha256(f"{candidate_id.hex}:{reviewer}".encode()).digest()
    return "candidate" if digest[0] & 1 else "baseline"


def pairwise_sets(engine: Engine) -> list[tuple[str, str]]:
    """The (prompt, version) whose outputs were imported on a regression set."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Sample.prompt_name, Sample.prompt_version)
            .where(Sample.source.startswith(REGRESSION_PREFIX, autoescape=True))
            .distinct()
        ).all()
    return sorted(
        (r.prompt_name, r.prompt_version) for r in rows if r.prompt_name and r.prompt_version
    )


def _links(session: Session, prompt_name: str, version: str) -> dict[uuid.UUID, Any]:
    """Candidate sample id -> its row and the case id (the baseline), for `version`."""
    outputs = regression_outputs(
        session, prompt_name, version,
        Sample.output, Sample.system_prompt, Sample.input_text, Sample.input_messages,
    )  # fmt: skip
    return {row.id: (row, case) for row, case in outputs}


def _choices(
    session: Session, candidate_ids: list[uuid.UUID], reviewer: str | None = None
) -> list[Any]:
    """Live pairwise choices on these candidates (of one reviewer, or everyone's)."""
    found: list[Any] = []
    for chunk in chunks(candidate_ids):
        query = select(
            Review.sample_id,
            Review.reviewer,
            Review.preference,
            Review.compared_sample_id,
            Review.preference_ms,
        ).where(
            Review.sample_id.in_(chunk),
            Review.deleted.is_(False),
            Review.preference.is_not(None),
        )
        if reviewer is not None:
            query = query.where(Review.reviewer == reviewer)
        found.extend(session.execute(query).all())
    return found


def list_pairs(engine: Engine, prompt_name: str, version: str, *, reviewer: str) -> list[PairItem]:
    """Every pair of `version` (candidate) with its baseline, in case id order, with
    `reviewer`'s own choices."""
    with session_scope(engine) as session:
        links = _links(session, prompt_name, version)
        baselines = cases(session, sorted({case for _row, case in links.values()}))
        mine = {
            c.sample_id: PairChoice(
                Preference(c.preference), c.compared_sample_id, c.preference_ms or 0
            )
            for c in _choices(session, list(links), reviewer)
        }
    items = []
    for candidate_id, (row, case) in links.items():
        base = baselines.get(case)
        if base is None:  # the case is not in this store (yet): nothing to compare with
            continue
        items.append(
            PairItem(
                candidate_id=candidate_id,
                baseline_id=case,
                prompt_name=prompt_name,
                candidate_version=version,
                baseline_version=base.prompt_version,
                system_prompt=row.system_prompt,
                input_text=row.input_text or "",
                input_messages=row.input_messages,
                candidate_output=row.output or "",
                baseline_output=base.output or "",
                choice=mine.get(candidate_id),
            )
        )
    items.sort(key=lambda item: item.baseline_id)
    return items


def record_preference(
    engine: Engine,
    candidate_id: uuid.UUID,
    baseline_id: uuid.UUID,
    preference: Preference | None,
    *,
    reviewer: str,
    device: str,
    time_ms: int = 0,
) -> PairChoice | None:
    """Store `reviewer`'s choice on a pair at once (None withdraws it); returns the
    choice it replaced, which `record_preference` puts back to undo.

    `time_ms` is added to the time already spent on the pair. The review's previous
    revision goes to history, as every review edit does; a review that held nothing
    but the choice becomes a tombstone when the choice is withdrawn (so that syncs too).
    """
    if not reviewer:
        raise RedlineError("no reviewer name", hint="set your name in the settings")
    if candidate_id == baseline_id:
        raise RedlineError("a sample cannot be compared with itself", where=str(candidate_id))
    with session_scope(engine) as session:
        if session.get(Sample, candidate_id) is None or session.get(Sample, baseline_id) is None:
            raise RedlineError(
                "no such pair in this store", where=f"{candidate_id} vs {baseline_id}"
            )
        row = session.scalars(
            select(Review).where(Review.sample_id == candidate_id, Review.reviewer == reviewer)
        ).one_or_none()
        live = row is not None and not row.deleted
        before = (
            PairChoice(Preference(row.preference), row.compared_sample_id, row.preference_ms or 0)
            if row is not None and live and row.preference and row.compared_sample_id
            else None
        )
        if preference is None and before is None:
            return None
        if row is None:
            row = Review(
                id=review_id(candidate_id, reviewer),
                sample_id=candidate_id,
                reviewer=reviewer,
                revision=0,
                time_spent_ms=0,
                created_at=clock.now(),
            )
            session.add(row)
        elif not live:
            # A withdrawn review comes back holding only the choice.
            row.verdict, row.rating, row.categories = None, None, []
            row.note, row.correction, row.flagged = "", None, False
            row.compared_sample_id = row.preference = row.preference_ms = None
            row.deleted = False
        else:
            session.add(ReviewHistory.kept_from(row, device=device, reason="edit"))
        spent = (row.preference_ms or 0) + max(0, int(time_ms))
        if preference is None:
            row.preference = row.compared_sample_id = None
            row.preference_ms = spent
            if _empty(row):
                row.deleted = True
        else:
            row.preference = Preference(preference).value
            row.compared_sample_id = baseline_id
            row.preference_ms = spent
        row.revision = (row.revision or 0) + 1
        row.updated_at = clock.now()
        row.device = device
        row.dirty = True
    return before


def restore_choice(
    engine: Engine,
    candidate_id: uuid.UUID,
    baseline_id: uuid.UUID,
    choice: PairChoice | None,
    *,
    reviewer: str,
    device: str,
) -> PairChoice | None:
    """Undo: put back the choice `record_preference` returned (None: no choice)."""
    return record_preference(
        engine,
        candidate_id,
        choice.baseline_id if choice else baseline_id,
        choice.preference if choice else None,
        reviewer=reviewer,
        device=device,
    )


def _empty(row: Review) -> bool:
    """Whether the review says nothing but (had) a pairwise choice."""
    return (
        row.verdict is None
        and row.rating is None
        and not row.categories
        and not row.note
        and row.correction is None
        and not row.flagged
    )


def pairwise_results(
    engine: Engine, prompt_name: str, version: str, *, reviewer: str | None = None
) -> PairwiseResult:
    """Count the choices on `version`'s pairs (everyone's, or one reviewer's)."""
    with session_scope(engine) as session:
        links = _links(session, prompt_name, version)
        baselines = cases(session, sorted({case for _row, case in links.values()}))
        paired = [c for c, (_row, case) in links.items() if case in baselines]
        choices = [
            c
            for c in _choices(session, paired, reviewer)
            if c.compared_sample_id == links[c.sample_id][1]
        ]
    counts = Counter(Preference(c.preference) for c in choices)
    by_pair: dict[uuid.UUID, list[Preference]] = {}
    for choice in choices:
        by_pair.setdefault(choice.sample_id, []).append(Preference(choice.preference))
    tally = Counter(pair_vote(group) for group in by_pair.values())
    votes = PairVotes(
        candidate=tally[Preference.CANDIDATE],
        baseline=tally[Preference.BASELINE],
        ties=tally[Preference.TIE],
        both_bad=tally[Preference.BOTH_BAD],
        split=tally[None],
    )
    return PairwiseResult(
        prompt_name=prompt_name,
        version=version,
        pairs=len(paired),
        judged_pairs=len(by_pair),
        candidate=counts[Preference.CANDIDATE],
        baseline=counts[Preference.BASELINE],
        ties=counts[Preference.TIE],
        both_bad=counts[Preference.BOTH_BAD],
        reviewers=len({c.reviewer for c in choices}),
        win_rate=rate(votes.candidate, votes.decided),
        test=sign_test(votes.candidate, votes.baseline),
        votes=votes,
    )


def preference_pairs(
    engine: Engine,
    *,
    prompt_name: str | None = None,
    version: str | None = None,
    reviewer: str | None = None,
) -> Iterator[PreferencePair]:
    """Every live pairwise choice (optionally of one prompt, version or reviewer) with
    both outputs and the input, for training data (redline.export.dpo)."""
    with session_scope(engine) as session:
        query = select(
            Review.sample_id, Review.reviewer, Review.preference, Review.compared_sample_id
        ).where(
            Review.deleted.is_(False),
            Review.preference.is_not(None),
            Review.compared_sample_id.is_not(None),
        )
        if reviewer is not None:
            query = query.where(Review.reviewer == reviewer)
        choices = session.execute(query.order_by(Review.sample_id, Review.reviewer)).all()
        ids = sorted({c.sample_id for c in choices} | {c.compared_sample_id for c in choices})
        samples: dict[uuid.UUID, Any] = {}
        for chunk in chunks(ids):
            for row in session.execute(
                select(
                    Sample.id,
                    Sample.prompt_name,
                    Sample.prompt_version,
                    Sample.system_prompt,
                    Sample.input_text,
                    Sample.input_messages,
                    Sample.output,
                ).where(Sample.id.in_(chunk))
            ):
                samples[row.id] = row
    for choice in choices:
        candidate = samples.get(choice.sample_id)
        baseline = samples.get(choice.compared_sample_id)
        if candidate is None or baseline is None:
            continue
        if prompt_name is not None and candidate.prompt_name != prompt_name:
            continue
        if version is not None and candidate.prompt_version != version:
            continue
        yield PreferencePair(
            candidate_id=choice.sample_id,
            baseline_id=choice.compared_sample_id,
            reviewer=choice.reviewer,
            preference=Preference(choice.preference),
            system_prompt=candidate.system_prompt,
            input_text=candidate.input_text or "",
            input_messages=candidate.input_messages,
            candidate_output=candidate.output or "",
            baseline_output=baseline.output or "",
        )
