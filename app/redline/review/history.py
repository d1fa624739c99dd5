"""A sample's review history as a reviewer reads it: who, when, what, what changed, why.

`ReviewService.history` returns every current review and every kept revision; this
turns them into timeline entries, each saying what changed against the same review's
previous revision and why the revision was set aside (an edit, an undo, a redo, or a
sync conflict it lost).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from redline.review.types import ReviewState, Verdict

__all__ = ["REASONS", "HistoryEntry", "history_entries"]

# Why a revision is in history, as the panel says it; None is the current review.
REASONS: dict[str | None, str] = {
    None: "current",
    "edit": "edited later",
    "undo": "undone",
    "redo": "replaced by a redo",
    "conflict": "lost a sync conflict",
}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One revision of one reviewer's review of the sample."""

    reviewer: str
    when: datetime
    revision: int
    verdict: Verdict | None
    rating: int | None
    # What this revision changed against the review's previous one ("first review" for
    # the first), e.g. "verdict good → bad; rating 4; correction".
    changes: str
    # REASONS[reason]: "current", "edited later", "undone", "lost a sync conflict", …
    status: str
    reason: str | None
    device: str


def _changes(before: ReviewState | None, after: ReviewState) -> str:
    if before is None:
        return "first review"
    parts: list[str] = []
    if before.verdict != after.verdict:
        old = before.verdict.value if before.verdict else "none"
        new = after.verdict.value if after.verdict else "none"
        parts.append(f"verdict {old} → {new}")
    if before.rating != after.rating:
        parts.append(f"rating {before.rating or '–'} → {after.rating or '–'}")
    added = [c for c in after.categories if c not in before.categories]
    removed = [c for c in before.categories if c not in after.categories]
    if added or removed:
        signed = [f"+{c}" for c in added] + [f"−{c}" for c in removed]
        parts.append("categories " + ", ".join(signed))
    if before.flagged != after.flagged:
        parts.append("flagged" if after.flagged else "unflagged")
    if before.note != after.note:
        parts.append("note")
    if before.correction != after.correction:
        parts.append("correction removed" if after.correction is None else "correction")
    return "; ".join(parts) or "no change"


def history_entries(states: Iterable[ReviewState]) -> list[HistoryEntry]:
    """Timeline entries for a sample's reviews and revisions, newest first."""
    by_review: dict[uuid.UUID, list[ReviewState]] = defaultdict(list)
    for state in states:
        by_review[state.id].append(state)
    entries: list[HistoryEntry] = []
    for revisions in by_review.values():
        # Oldest first; the current review is the newest of its revisions.
        revisions.sort(key=lambda s: (s.revision, s.reason is None, s.updated_at))
        previous: ReviewState | None = None
        for state in revisions:
            entries.append(
                HistoryEntry(
                    reviewer=state.reviewer,
                    when=state.updated_at,
                    revision=state.revision,
                    verdict=state.verdict,
                    rating=state.rating,
                    changes=_changes(previous, state),
                    status=REASONS.get(state.reason, state.reason or ""),
                    reason=state.reason,
                    device=state.device,
                )
            )
            previous = state
    entries.sort(key=lambda e: (e.when, e.reason is None, e.revision), reverse=True)
    return entries
