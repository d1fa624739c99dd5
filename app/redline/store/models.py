"""The data model (one schema for the local SQLite store and the shared PostgreSQL).

Every row that syncs has:
- `id`: a client-made UUIDv7;
- `revision`: bumped on every local change; the server keeps the higher one;
- `seq`: the server's change sequence (set by a trigger on the shared database,
  copied locally on pull; NULL for rows the server has not seen);
- `dirty`: local only in meaning (always false on the server): the row has changes
  not yet committed on the server. A row is marked clean only after the server commit.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from redline import clock
from redline.store.base import Base, BigIntId, uuid7


class Verdict(enum.StrEnum):
    GOOD = "good"
    BAD = "bad"
    UNSURE = "unsure"


class Preference(enum.StrEnum):
    """A pairwise judgment of a candidate output against a baseline one, same input."""

    CANDIDATE = "candidate"
    BASELINE = "baseline"
    TIE = "tie"
    BOTH_BAD = "both_bad"


class BatchStatus(enum.StrEnum):
    IMPORTING = "importing"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    FAILED = "failed"


class PromptVersionStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DEPLOYED = "deployed"
    RETIRED = "retired"
    REJECTED = "rejected"


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


def _enum_check(column: str, values: type[enum.StrEnum]) -> str:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({allowed})"


class SyncedMixin:
    """Columns every synced row carries (see the module docstring)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)


class DemoMarker:
    """`is_demo`: the row is demo data (`redline demo`, migration 0007), which sync never
    pushes unless asked (redline.sync.demo_rows)."""

    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Batch(SyncedMixin, DemoMarker, Base):
    """One import: where it came from, how it was mapped and sampled, what happened."""

    __tablename__ = "batch"
    __table_args__ = (CheckConstraint(_enum_check("status", BatchStatus), name="status"),)

    source: Mapped[str] = mapped_column(String(200), index=True)
    file_name: Mapped[str] = mapped_column(String(1000))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    format: Mapped[str] = mapped_column(String(40))
    shape: Mapped[str] = mapped_column(String(40))
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sampling: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.IMPORTING.value)
    records_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_imported: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_duplicate: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_bad: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_not_sampled: Mapped[int] = mapped_column(BigInteger, default=0)
    # Records on lines up to here are committed: a resumed import starts after it.
    resume_line: Mapped[int] = mapped_column(BigInteger, default=0)
    reviewers_per_sample: Mapped[int] = mapped_column(Integer, default=1)
    imported_by: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]
    message: Mapped[str] = mapped_column(Text, default="")


class ImportProblem(Base):
    """One bad record of an import: its line (or record number) and why it was rejected."""

    __tablename__ = "import_problem"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("batch.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")


class SourceMapping(Base):
    """The field mapping a user chose for a source, reused by its next import."""

    __tablename__ = "source_mapping"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


# Sample indexes that serve only the local store (review queue, statistics). Migration
# 0005 drops them on PostgreSQL: the shared database never queries by them (sync reads
# samples by id, by (source, external_id) and by seq), yet each pushed sample paid for
# them. The models keep them (one schema for both); the Alembic environment and the
# schema test leave them out of the comparison on PostgreSQL.
LOCAL_ONLY_INDEXES = frozenset(
    {
        "ix_sample_queue",
        "ix_sample_prompt",
        "ix_sample_batch_id",
        "ix_sample_score",
        "ix_sample_language",
    }
)


def compared_on(dialect: str, type_: str, name: str | None) -> bool:
    """Whether schema comparison (Alembic autogenerate) should look at this object."""
    return not (dialect == "postgresql" and type_ == "index" and name in LOCAL_ONLY_INDEXES)


class Sample(SyncedMixin, Base):
    """One production interaction. Immutable after import."""

    __tablename__ = "sample"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_sample_prompt", "prompt_name", "prompt_version"),
        # The review queue's one covering index: every queue filter in the default
        # (captured_at) order is a scan of this index alone, no sort, no row reads.
        Index(
            "ix_sample_queue",
            "captured_at",
            "language",
            "model",
            "prompt_name",
            "prompt_version",
            "variant",
            "score",
            "signal_thumbs",
            "signal_copied",
            "signal_edited",
            "signal_follow_up",
            "batch_id",
        ),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("batch.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    # From the record, or "sha256:<hash of the raw record>" when it has none: the
    # idempotency key, so re-importing a file adds nothing.
    external_id: Mapped[str] = mapped_column(String(200))
    # Hash of system prompt + input + output, for de-duplication at export (grouped
    # there; not indexed, because every index is paid for by every imported row).
    content_hash: Mapped[str] = mapped_column(String(32))
    captured_at: Mapped[datetime | None]  # indexed first in ix_sample_queue
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_name: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(100))
    variant: Mapped[str | None] = mapped_column(String(100))
    session_id: Mapped[str | None] = mapped_column(String(200))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    # The input as display text; for chat records also the messages themselves.
    input_text: Mapped[str] = mapped_column(Text, default="")
    input_messages: Mapped[list[Any] | None]
    output: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float, index=True)
    decision: Mapped[str | None] = mapped_column(String(100))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(16), index=True)
    language_guessed: Mapped[bool] = mapped_column(Boolean, default=False)
    segments: Mapped[dict[str, Any] | None]
    signal_copied: Mapped[bool | None] = mapped_column(Boolean)
    signal_edited: Mapped[bool | None] = mapped_column(Boolean)
    signal_follow_up: Mapped[bool | None] = mapped_column(Boolean)
    # End-user thumbs: +1 up, -1 down, NULL none.
    signal_thumbs: Mapped[int | None] = mapped_column(Integer)
    # Probability this record was included by the import's sampling rule, so statistics
    # can be re-weighted to production traffic (1.0 = everything imported).
    inclusion_prob: Mapped[float] = mapped_column(Float, default=1.0)


class ReviewFields:
    """What a reviewer says about a sample: the current review and each kept revision."""

    sample_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sample.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str | None] = mapped_column(String(10))
    rating: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    correction: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    time_spent_ms: Mapped[int] = mapped_column(Integer, default=0)
    device: Mapped[str] = mapped_column(String(200), default="")
    # Pairwise review (redline.review.pairwise): this review's sample is the candidate
    # output; `compared_sample_id` the baseline output for the same input, and
    # `preference` which of the two the reviewer preferred. NULL on plain reviews.
    compared_sample_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    preference: Mapped[str | None] = mapped_column(String(12))
    preference_ms: Mapped[int | None] = mapped_column(Integer)


# What a reviewer says, as column names (a kept revision copies them all).
REVIEW_FIELD_NAMES = tuple(n for n in ReviewFields.__annotations__ if not n.startswith("_"))


class Review(ReviewFields, SyncedMixin, Base):
    """One reviewer's current judgment of one sample; older revisions go to ReviewHistory."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("sample_id", "reviewer"),
        CheckConstraint(_enum_check("verdict", Verdict), name="verdict"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
        CheckConstraint(_enum_check("preference", Preference), name="preference"),
        Index("ix_review_reviewer_updated", "reviewer", "updated_at"),
        # Counting reviewed samples reads only these two columns: a covering index, so
        # statistics never read the review rows (tombstones are skipped by `deleted`).
        Index("ix_review_sample_live", "sample_id", "deleted"),
    )

    # An adjudicated review is a lead's final word on a disputed sample.
    adjudicated: Mapped[bool] = mapped_column(Boolean, default=False)
    # A tombstone: the review was withdrawn (undo of a first submit). The row stays so
    # the withdrawal syncs; everything that counts reviews must skip deleted ones.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ReviewHistory(ReviewFields, SyncedMixin, Base):
    """A previous revision of a review, kept forever (edits, undone submits, lost conflicts)."""

    __tablename__ = "review_history"
    __table_args__ = (UniqueConstraint("review_id", "revision", "device", "reason"),)

    review_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    review_updated_at: Mapped[datetime]
    # Why this revision was set aside: "edit", "undo", "conflict".
    reason: Mapped[str] = mapped_column(String(20), default="edit")

    @classmethod
    def kept_from(cls, review: Review, *, device: str, reason: str) -> ReviewHistory:
        """`review`'s current revision, set aside on `device`. Every ReviewFields column is
        copied, so a column added there is kept in history without touching the callers."""
        said = {name: getattr(review, name) for name in REVIEW_FIELD_NAMES if name != "device"}
        said["categories"] = list(review.categories)
        return cls(
            id=uuid7(),
            review_id=review.id,
            # The revision set aside (history rows never change, so this is also the
            # row's own sync revision).
            revision=review.revision,
            review_updated_at=review.updated_at,
            reason=reason,
            dirty=True,
            # The device that set it aside: the same revision set aside on two machines
            # is two entries, not a clash.
            device=device,
            **said,
        )


class ReviewDraft(Base):
    """A half-written review (local only), restored after a crash or restart."""

    __tablename__ = "review_draft"

    sample_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sample.id"), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(200), primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Policy(SyncedMixin, DemoMarker, Base):
    """A named decision rule: score >= t (or <= t) leads to an action, per segment."""

    __tablename__ = "policy"
    __table_args__ = (CheckConstraint("direction IN ('ge', 'le')", name="direction"),)

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    score_field: Mapped[str] = mapped_column(String(100), default="score")
    direction: Mapped[str] = mapped_column(String(2), default="ge")
    action: Mapped[str] = mapped_column(String(200), default="")
    threshold: Mapped[float] = mapped_column(Float)
    segment_field: Mapped[str | None] = mapped_column(String(100))
    # {segment value: threshold} overriding `threshold` for that segment.
    segment_thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    # The verdict the action is right for ('good' or 'bad'); NULL: inferred from the
    # action's name (see redline.analytics.threshold.action_target).
    target_verdict: Mapped[str | None] = mapped_column(String(10))
    # The prompts whose traffic the policy decides on; empty: inferred from the samples'
    # recorded decisions (see redline.policies.scope).
    prompt_names: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))


class ThresholdProposal(SyncedMixin, Base):
    """A proposed threshold change with the evidence at the old and new values."""

    __tablename__ = "threshold_proposal"
    __table_args__ = (CheckConstraint(_enum_check("status", ProposalStatus), name="status"),)

    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("policy.id"), index=True)
    segment: Mapped[str | None] = mapped_column(String(200))
    old_value: Mapped[float] = mapped_column(Float)
    new_value: Mapped[float] = mapped_column(Float)
    rationale: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proposer: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.PROPOSED.value)
    decider: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Prompt(SyncedMixin, DemoMarker, Base):
    """A prompt in the catalog."""

    __tablename__ = "prompt"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    guidelines: Mapped[str] = mapped_column(Text, default="")


class PromptVersion(SyncedMixin, Base):
    """One version of a prompt; immutable once submitted for review."""

    __tablename__ = "prompt_version"
    __table_args__ = (
        UniqueConstraint("prompt_id", "version"),
        CheckConstraint(_enum_check("status", PromptVersionStatus), name="status"),
    )

    prompt_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("prompt.id"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(Text, default="")
    variables: Mapped[list[str]] = mapped_column(default=list)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tools: Mapped[list[Any]] = mapped_column(default=list)
    change_note: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("prompt_version.id"))
    author: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=PromptVersionStatus.DRAFT.value)
    submitted_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]


class Experiment(SyncedMixin, DemoMarker, Base):
    """An A/B comparison of two prompt versions (or variants)."""

    __tablename__ = "experiment"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    prompt_name: Mapped[str | None] = mapped_column(String(200))
    control_variant: Mapped[str | None] = mapped_column(String(100))
    treatment_variant: Mapped[str | None] = mapped_column(String(100))
    control_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("prompt_version.id")
    )
    treatment_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("prompt_version.id")
    )
    metric: Mapped[str] = mapped_column(String(50), default="satisfaction")
    min_samples_per_arm: Mapped[int] = mapped_column(Integer, default=200)
    planned_split: Mapped[float] = mapped_column(Float, default=0.5)
    status: Mapped[str] = mapped_column(String(20), default="running")
    created_by: Mapped[str] = mapped_column(String(200), default="")


class AuditEvent(Base):
    """Append-only: who did what to which entity, chained by hash to detect tampering."""

    __tablename__ = "audit_event"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    position: Mapped[int] = mapped_column(BigInteger, unique=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger, index=True)


class SharedAuditEvent(Base):
    """Local only: a read-only copy of the shared database's audit trail (pulled).

    Kept apart from `audit_event`, the local chain: the server numbers its own chain,
    so its positions collide with local ones, and its hash is computed by the server's
    function (redline.store.audit.shared_event_hash mirrors it) over the JSON text the
    server wrote, kept here in `before_text` / `after_text` so the copy can be verified.
    """

    __tablename__ = "shared_audit_event"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The server's position and change sequence.
    position: Mapped[int] = mapped_column(BigInteger, unique=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    before_text: Mapped[str | None] = mapped_column(Text)
    after_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))


class SyncState(Base):
    """Local only: the pull cursor per shared database profile and table."""

    __tablename__ = "sync_state"

    profile: Mapped[str] = mapped_column(String(200), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
