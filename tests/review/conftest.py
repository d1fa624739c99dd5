"""Helpers for the review tests: samples made with Core inserts (no import service)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from tests import builders

from redline.review.service import ReviewService
from redline.store.base import uuid7
from redline.store.models import Sample

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

MakeSamples = Callable[..., list[uuid.UUID]]

OPTIONAL = (
    "model", "prompt_name", "prompt_version", "variant", "score", "language",
    "signal_copied", "signal_edited", "signal_follow_up", "signal_thumbs",
)  # fmt: skip


# Flat rows from "test"; the batch's import still running (the store's default status).
add_batch = partial(
    builders.add_batch, source="test", file_name="test.jsonl", shape="flat", status="importing"
)


def add_samples(
    engine: Engine, rows: list[dict[str, Any]], batch_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Insert one sample per dict (defaults fill the rest); returns their ids in order.

    Rows are inserted in order, so their rowids follow the list.
    """
    batch_id = batch_id or add_batch(engine)
    values: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        sample_id = uuid7()
        values.append(
            {
                "id": sample_id,
                "batch_id": batch_id,
                "source": "test",
                "external_id": f"{batch_id.hex}-{i}",
                "content_hash": f"{i:032x}",
                "captured_at": T0 + timedelta(minutes=i),
                "input_text": f"question number {i}",
                "output": f"answer number {i}",
                # executemany needs the same keys in every row.
                **dict.fromkeys(OPTIONAL),
            }
            | row
        )
    with engine.begin() as conn:
        conn.execute(insert(Sample), values)
    return [v["id"] for v in values]


@pytest.fixture
def make_samples(engine: Engine) -> MakeSamples:
    def make(
        rows: list[dict[str, Any]] | int, batch_id: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        return add_samples(engine, [{}] * rows if isinstance(rows, int) else rows, batch_id)

    return make


@pytest.fixture
def service(engine: Engine) -> ReviewService:
    return ReviewService(engine, reviewer="ann@example.com", device="laptop")
