"""Values the review service and the queue hand to their callers (the UI, the CLI).

Every value is a frozen dataclass: safe to pass between threads and to keep in caches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from redline.store.models import Verdict

__all__ = [
    "Changes",
    "OpenedSample",
    "QueueFilter",
    "QueueSort",
    "QueueStatus",
    "ReviewInput",
    "ReviewState",
    "RowStatus",
    "SampleDetail",
    "SampleRow",
    "Signal",
    "Verdict",
]

QueueStatus = Literal["all", "unreviewed", "reviewed_by_me", "flagged_bad", "has_correction"]
Signal = Literal["copied", "edited", "follow_up", "thumbs_down", "thumbs_up"]
# The current reviewer's state of a row: not reviewed yet, reviewed, or a draft pending.
RowStatus = Literal["unreviewed", "reviewed"]

# The sort columns the queue supports (QueueSort.column).
SORT_COLUMNS = (
    "captured_at",
    "score",
    "prompt_version",
    "model",
    "language",
    "rowid",
)


@dataclass(frozen=True, slots=True)
class ReviewInput:
    """What the reviewer entered for one sample (a submit or a draft)."""

    sample_id: uuid.UUID
    verdict: Verdict | None = None
    rating: int | None = None
    categories: tuple[str, ...] = ()
    note: str = ""
    correction: str | None = None
    flagged: bool = False
    # Time spent on this sample since the last submit; submit adds it to the review's total.
    time_spent_ms: int = 0


@dataclass(frozen=True, slots=True)
class ReviewState:
    """A stored review: the current one (reason None) or a history revision."""

    id: uuid.UUID
    sample_id: uuid.UUID
    reviewer: str
    verdict: Verdict | None
    rating: int | None
    categories: tuple[str, ...]
    note: str
    correction: str | None
    flagged: bool
    time_spent_ms: int
    revision: int
    updated_at: datetime
    # "edit", "undo", "conflict" for a history entry; None for a current review.
    reason: str | None = None
    device: str = ""
    # The review_history row of a history entry (`id` is the review's id in both cases).
    history_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class SampleDetail:
    """Everything the sample view shows about one sample."""

    id: uuid.UUID
    rowid: int
    batch_id: uuid.UUID
    source: str
    external_id: str
    captured_at: datetime | None
    model: str | None
    prompt_name: str | None
    prompt_version: str | None
    variant: str | None
    session_id: str | None
    system_prompt: str | None
    input_text: str
    input_messages: list[Any] | None
    output: str
    score: float | None
    decision: str | None
    latency_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    language: str | None
    language_guessed: bool
    segments: dict[str, Any] | None
    signal_copied: bool | None
    signal_edited: bool | None
    signal_follow_up: bool | None
    # End-user thumbs: +1 up, -1 down, None none.
    signal_thumbs: int | None
    inclusion_prob: float


@dataclass(frozen=True, slots=True)
class OpenedSample:
    """What the review views show for one sample, read together (`ReviewService.open_sample`).

    Attributes:
        detail: the sample itself.
        review: this reviewer's current review, or None.
        draft: this reviewer's half-written review, or None.
        history: every reviewer's current review and every kept revision, newest first.
    """

    detail: SampleDetail
    review: ReviewState | None
    draft: ReviewInput | None
    history: tuple[ReviewState, ...]


@dataclass(frozen=True, slots=True)
class SampleRow:
    """One row of the queue, as seen by the current reviewer."""

    rowid: int
    id: uuid.UUID
    status: RowStatus
    verdict: Verdict | None
    has_correction: bool
    flagged: bool
    score: float | None
    # "name vN" (or whichever part is known), "" when neither is.
    prompt_version: str
    model: str | None
    language: str | None
    captured_at: datetime | None
    # The input's first ≤ 120 characters on one line.
    input_preview: str
    # The current reviewer left a half-written review (a draft) on this sample.
    has_draft: bool = False


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which samples the queue shows. None / "" means "any"."""

    status: QueueStatus = "unreviewed"
    prompt_version: str | None = None
    model: str | None = None
    variant: str | None = None
    language: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    batch_id: uuid.UUID | None = None
    signal: Signal | None = None
    # Full-text query (SQLite FTS5 over input, output and corrections).
    text: str = ""
    # Exact prompt name, for "name vN" filters (prompt_version alone matches any name).
    prompt_name: str | None = None
    # An explicit selection from another workspace ("the 212 bad reviews of non-English
    # inputs" in patterns, a drifted slice): only these samples, described by the label.
    sample_ids: frozenset[uuid.UUID] | None = None
    selection_label: str = ""


@dataclass(frozen=True, slots=True)
class QueueSort:
    """The queue's order; ties are broken by rowid (import order)."""

    column: str = "captured_at"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Changes:
    """What a write changed, so each screen refreshes only what it shows (Anki OpChanges)."""

    sample_ids: frozenset[uuid.UUID] = frozenset()
    reviews: bool = False
    samples: bool = False
    # The changed samples' queue rows as the current reviewer sees them, read right after
    # the write (optional): the queue shows them without reading them again on the GUI
    # thread. Not part of what changed, so not compared.
    rows: tuple[SampleRow, ...] = field(default=(), compare=False)
    # The prompt catalog: a prompt, a version's content or status, guidelines, experiments.
    prompts: bool = False
