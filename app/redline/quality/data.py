"""The frames the quality analyses read: reviews and the samples they judge, for a range.

A range selects the samples with at least one review submitted in it (a review's
`updated_at`), then every current review of those samples, so a pair of reviews split
over two weeks is still compared. Tombstones (withdrawn reviews) are never read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Executable, Select, false, func, literal, or_, select

from redline.analytics.patterns import input_length_bucket
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.models import Review, Sample
from redline.store.session import session_scope

__all__ = [
    "ALL_TIME",
    "CODE_MARKERS",
    "REVIEW_FRAME_COLUMNS",
    "SIGNALS",
    "TimeRange",
    "live",
    "load_reviews",
    "load_samples",
    "pattern_frame",
]

CHUNK = 5000
# Text that marks code in an input (compared case-sensitively: "SELECT " is SQL,
# "select the plan" is prose).
CODE_MARKERS = ("```", "def ", "SELECT ", "function ", "#include", "=> ", "();", "</", "{\n")
SIGNALS = ("copied", "edited", "follow_up", "thumbs_down", "thumbs_up")
# Segment fields with more values than this are identifiers, not dimensions.
MAX_SEGMENT_VALUES = 50

REVIEW_FRAME_COLUMNS = (
    "sample_id",
    "reviewer",
    "verdict",
    "rating",
    "categories",
    "note",
    "correction",
    "adjudicated",
    "updated_at",
    "time_spent_ms",
)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """[since, until) in UTC; None is open-ended."""

    since: datetime | None = None
    until: datetime | None = None

    def label(self) -> str:
        def day(value: datetime | None, open_text: str) -> str:
            return value.strftime("%Y-%m-%d") if value else open_text

        return f"{day(self.since, 'the start')} – {day(self.until, 'now')}"


ALL_TIME = TimeRange()


def live() -> ColumnElement[bool]:
    """A current review, not a tombstone (an undone first submit)."""
    return Review.deleted == false()


def _reviewed_in(period: TimeRange) -> Select[uuid.UUID]:
    query = select(Review.sample_id).where(live())
    if period.since is not None:
        query = query.where(Review.updated_at >= period.since)
    if period.until is not None:
        query = query.where(Review.updated_at < period.until)
    return query.distinct()


def load_reviews(
    engine: Engine, period: TimeRange = ALL_TIME, progress: Progress = NO_PROGRESS
) -> pd.DataFrame:
    """Every current review of the samples reviewed in `period`, one row each."""
    query = (
        select(
            Review.sample_id,
            Review.reviewer,
            Review.verdict,
            Review.rating,
            Review.categories,
            Review.note,
            Review.correction,
            Review.adjudicated,
            Review.updated_at,
            Review.time_spent_ms,
        )
        .where(live(), Review.sample_id.in_(_reviewed_in(period)))
        .order_by(Review.sample_id, Review.updated_at)
    )
    rows = _read(engine, query, progress, "reading reviews")
    frame = pd.DataFrame(rows, columns=list(REVIEW_FRAME_COLUMNS))
    frame["categories"] = [list(c or ()) for c in frame["categories"]]
    frame["adjudicated"] = frame["adjudicated"].astype(bool)
    return frame


def _read(engine: Engine, query: Executable, progress: Progress, text: str) -> list[Any]:
    rows: list[Any] = []
    with session_scope(engine) as session:
        for chunk in session.execute(query.execution_options(yield_per=CHUNK)).partitions():
            rows.extend(tuple(r) for r in chunk)
            progress.update(len(rows), 0, f"{text}: {len(rows):,}")
            check(progress)
    return rows


def _contains(engine: Engine, text: str) -> ColumnElement[bool]:
    # Case-sensitive substring test (LIKE is case-insensitive on SQLite).
    if engine.dialect.name == "sqlite":
        return func.instr(Sample.input_text, literal(text)) > 0
    return func.strpos(Sample.input_text, literal(text)) > 0


SAMPLE_FRAME_COLUMNS = (
    "sample_id",
    "batch_id",
    "captured_at",
    "model",
    "prompt_name",
    "prompt_version",
    "variant",
    "language",
    "score",
    "decision",
    "inclusion_prob",
    "tokens_in",
    "tokens_out",
    "latency_ms",
    "input_length",
    "code",
    "segments",
    "signal_copied",
    "signal_edited",
    "signal_follow_up",
    "signal_thumbs",
)


def load_samples(
    engine: Engine, period: TimeRange = ALL_TIME, progress: Progress = NO_PROGRESS
) -> pd.DataFrame:
    """The samples reviewed in `period` (see the module docstring), one row each, with
    the input's length and whether it holds code instead of the input itself."""
    code = or_(*(_contains(engine, marker) for marker in CODE_MARKERS))
    query = select(
        Sample.id,
        Sample.batch_id,
        Sample.captured_at,
        Sample.model,
        Sample.prompt_name,
        Sample.prompt_version,
        Sample.variant,
        Sample.language,
        Sample.score,
        Sample.decision,
        Sample.inclusion_prob,
        Sample.tokens_in,
        Sample.tokens_out,
        Sample.latency_ms,
        func.length(Sample.input_text),
        code,
        Sample.segments,
        Sample.signal_copied,
        Sample.signal_edited,
        Sample.signal_follow_up,
        Sample.signal_thumbs,
    ).where(Sample.id.in_(_reviewed_in(period)))
    rows = _read(engine, query, progress, "reading reviewed samples")
    return pd.DataFrame(rows, columns=list(SAMPLE_FRAME_COLUMNS))


def prompt_label(name: Any, version: Any) -> str | None:
    parts = [str(p) for p in (name, version) if isinstance(p, str) and p]
    return " ".join(parts) or None


def pattern_frame(samples: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per judged sample (index sample_id) with `bad`, the pattern dimensions and
    the implicit signals; and the names of the dimensions.

    `outcomes` is `analytics.quality.sample_outcomes` of the reviews: the final verdict
    and the failure categories of each sample.
    """
    judged = outcomes[outcomes["verdict"].notna()]
    base = samples.set_index("sample_id").reindex(judged.index)
    frame = pd.DataFrame(index=judged.index)
    frame["bad"] = (judged["verdict"] == "bad").to_numpy()
    frame["language"] = base["language"]
    frame["prompt version"] = [
        prompt_label(n, v) for n, v in zip(base["prompt_name"], base["prompt_version"], strict=True)
    ]
    frame["model"] = base["model"]
    frame["variant"] = base["variant"]
    frame["input length"] = [input_length_bucket(v) for v in base["input_length"]]
    frame["code in input"] = ["yes" if c else "no" for c in base["code"].fillna(False)]
    frame["failure category"] = judged["categories"]
    dimensions = [
        "language",
        "prompt version",
        "model",
        "variant",
        "input length",
        "code in input",
        "failure category",
    ]
    segments = pd.DataFrame(
        [s if isinstance(s, dict) else {} for s in base["segments"]], index=frame.index
    )
    for key in sorted(segments.columns, key=str):
        column = segments[key].map(lambda v: v if isinstance(v, str | int | bool) else None)
        if 0 < column.nunique() <= MAX_SEGMENT_VALUES:
            frame[f"segment.{key}"] = column
            dimensions.append(f"segment.{key}")
    for signal in ("copied", "edited", "follow_up"):
        frame[signal] = base[f"signal_{signal}"].astype(object)
    thumbs = base["signal_thumbs"]
    frame["thumbs_down"] = [None if pd.isna(t) else bool(t < 0) for t in thumbs]
    frame["thumbs_up"] = [None if pd.isna(t) else bool(t > 0) for t in thumbs]
    return frame, dimensions
