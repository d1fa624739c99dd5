"""Builders for the export tests (also used by tests/ui/test_export_page.py).

Samples and reviews are inserted with SQLAlchemy Core, so the tests depend on the
schema only, not on the import or review services.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, insert
from tests import builders

from redline.store.base import uuid7
from redline.store.models import Review, Sample

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

LONG_CORRECTION = "Open Settings → Account, choose Reset password and follow the link we email."


# Chat rows from "support-bot", imported from support.jsonl.
add_batch = partial(builders.add_batch, file_name="support.jsonl")


def sample_values(batch_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    """A sample row; `fields` override realistic defaults (`n` numbers it)."""
    sample_id = uuid7()
    n = fields.pop("n", 0)
    values: dict[str, Any] = {
        "id": sample_id,
        "batch_id": batch_id,
        "source": "support-bot",
        "external_id": f"req-{sample_id.hex}",
        "content_hash": sample_id.hex,
        "captured_at": T0 + timedelta(hours=n),
        "model": "gpt-4o-mini",
        "prompt_name": "support",
        "prompt_version": "v3",
        "system_prompt": "You are a helpful support agent for Acme.",
        "input_text": f"How do I reset my password? (ticket {n})",
        "input_messages": None,
        "output": f"Click the reset button ({n}).",
        "language": "en",
    }
    values.update(fields)
    return values


def review_values(sample_id: uuid.UUID, reviewer: str = "ana", **fields: Any) -> dict[str, Any]:
    """A current review row; `fields` override a bad verdict with a long correction."""
    values: dict[str, Any] = {
        "id": uuid7(),
        "sample_id": sample_id,
        "reviewer": reviewer,
        "verdict": "bad",
        "rating": 2,
        "categories": ["incomplete"],
        "note": "",
        "correction": LONG_CORRECTION,
        "flagged": False,
        "adjudicated": False,
        "time_spent_ms": 30_000,
        "device": "test",
        "updated_at": T0 + timedelta(days=1),
    }
    values.update(fields)
    return values


def add_sample(engine: Engine, batch_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    values = sample_values(batch_id, **fields)
    with engine.begin() as conn:
        conn.execute(insert(Sample), [values])
    sample_id: uuid.UUID = values["id"]
    return sample_id


def add_review(engine: Engine, sample_id: uuid.UUID, reviewer: str = "ana", **fields: Any) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Review), [review_values(sample_id, reviewer, **fields)])


def corrected_samples(engine: Engine, count: int) -> list[uuid.UUID]:
    """`count` distinct samples, each with one bad review carrying a long correction."""
    batch_id = add_batch(engine)
    samples = [sample_values(batch_id, n=n) for n in range(count)]
    reviews = [
        review_values(s["id"], correction=f"{LONG_CORRECTION} (case {n})")
        for n, s in enumerate(samples)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Sample), samples)
        conn.execute(insert(Review), reviews)
    return [s["id"] for s in samples]
