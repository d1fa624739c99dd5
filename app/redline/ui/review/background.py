"""What the review controller runs in tasks (never on the GUI thread), and what it gets back.

Each function is one unit of background work: it opens its own connections through the
review service and returns frozen values that slots can show without another query.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from redline.review import queue
from redline.review.history import HistoryEntry, history_entries
from redline.review.service import ReviewService
from redline.review.types import (
    Changes,
    QueueFilter,
    QueueSort,
    ReviewInput,
    ReviewState,
    SampleDetail,
    SampleRow,
)
from redline.store.queries import BatchInfo, StoreStats, list_batches, store_stats

__all__ = ["LoadedSample", "QueueHead", "filter_options", "load_sample", "queue_head", "submit"]


@dataclass(frozen=True, slots=True)
class LoadedSample:
    """What the window shows for one sample, read in one background task."""

    detail: SampleDetail
    review: ReviewState | None
    draft: ReviewInput | None
    history: tuple[HistoryEntry, ...] = ()


def load_sample(service: ReviewService, sample_id: uuid.UUID) -> LoadedSample:
    """The sample `sample_id` with the reviewer's review, draft and its history."""
    opened = service.open_sample(sample_id)  # one connection, one read transaction
    return LoadedSample(
        detail=opened.detail,
        review=opened.review,
        draft=opened.draft,
        history=tuple(history_entries(opened.history)),
    )


@dataclass(frozen=True, slots=True)
class QueueHead:
    """The first rows of a queue and its first sample, read in one task, so the first
    screen (and a filter change) needs no second round trip."""

    rowids: Any
    rows: list[SampleRow]
    first: LoadedSample | None


def queue_head(
    service: ReviewService, filter: QueueFilter, sort: QueueSort, preload: bool
) -> QueueHead:
    """The queue's first page for `filter` and `sort`; its first sample too if `preload`."""
    rowids = queue.first_page(service.engine, filter, sort, service.reviewer)
    rows = queue.load_rows(service.engine, rowids, service.reviewer)
    first = load_sample(service, rows[0].id) if rows and preload else None
    return QueueHead(rowids, rows, first)


def submit(service: ReviewService, review: ReviewInput, rowid: int | None) -> Changes:
    """Submit `review` (on the writer) and read its queue row back into the `Changes`."""
    changes = service.submit(review)
    if rowid is None:
        return changes
    # The submitted row as the queue shows it now, read here on the writer, so the
    # queue repaints it without a query on the GUI thread. The review is committed
    # already: if this read fails, the queue reads the row itself (and shows why).
    rows = queue.load_rows_if_readable(service.engine, [rowid], service.reviewer)
    if rows is None:
        return changes
    return dataclasses.replace(changes, rows=tuple(rows))


def filter_options(engine: Engine) -> tuple[StoreStats, list[BatchInfo]]:
    """What the filter bar offers: the store's breakdowns and its batches."""
    queue.distinct_models(engine)  # ready before the reviewer sorts by model
    return store_stats(engine), list_batches(engine)
