"""Builders for the quality tests: a batch, samples with chosen attributes, reviews."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, insert
from tests import builders

from redline.store.base import uuid7
from redline.store.models import Review, Sample

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# Where a test that asks for "the last N days" sets Redline's clock (the `clock` fixture):
# two days after the planted reviews (made on the day after T0).
NOW = T0 + timedelta(days=3)


# Flat rows from "bot", each batch in a file of its own.
add_batch = partial(
    builders.add_batch,
    source="bot",
    shape="flat",
    file_name=lambda source, batch_id: f"{source}-{batch_id.hex[:6]}.jsonl",
)


def add_samples(engine: Engine, batch_id: uuid.UUID, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """One sample per dict (overriding the defaults); returns their ids in order."""
    values = []
    for i, row in enumerate(rows):
        sample_id = uuid7()
        values.append(
            {
                "id": sample_id,
                "batch_id": batch_id,
                "source": "bot",
                "external_id": f"{batch_id.hex}-{i}",
                "content_hash": f"{i:032x}",
                "captured_at": T0 + timedelta(minutes=i),
                "model": "gpt",
                "prompt_name": "support",
                "prompt_version": "v1",
                "language": "en",
                "input_text": f"How do I reset my password? ({i})",
                "output": f"Go to Settings ({i}).",
                "score": 0.5,
                **row,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Sample), values)
    return [v["id"] for v in values]


def review_values(
    sample_id: uuid.UUID,
    reviewer: str,
    verdict: str | None,
    *,
    when: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    when = when or T0 + timedelta(days=1)
    return {
        "id": uuid7(),
        "sample_id": sample_id,
        "reviewer": reviewer,
        "verdict": verdict,
        "categories": [],
        "created_at": when,
        "updated_at": when,
        **fields,
    }


def add_review(
    engine: Engine, sample_id: uuid.UUID, reviewer: str, verdict: str | None, **fields: Any
) -> None:
    add_reviews(engine, [review_values(sample_id, reviewer, verdict, **fields)])


def add_reviews(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert many reviews (from `review_values`) in one transaction."""
    with engine.begin() as conn:
        conn.execute(insert(Review), rows)


def planted_store(engine: Engine, n: int = 400) -> None:
    """German inputs and inputs with code go bad far more often; ana and ben both
    review every third sample; the plan segment is noise."""
    rng = random.Random(3)
    batch = add_batch(engine)
    rows = []
    for i in range(n):
        german = rng.random() < 0.15
        code = rng.random() < 0.2
        rows.append(
            {
                "language": "de" if german else "en",
                "input_text": ("```python\nprint(1)\n```" if code else "Hello there") + f" {i}",
                "segments": {"plan": rng.choice(["free", "pro"]), "request_id": f"r{i}"},
                "signal_thumbs": -1 if rng.random() < 0.3 else None,
                "score": rng.random(),
            }
        )
    ids = add_samples(engine, batch, rows)
    reviews = []
    for i, (sample_id, row) in enumerate(zip(ids, rows, strict=True)):
        p_bad = 0.6 if row["language"] == "de" else 0.1
        bad = rng.random() < p_bad
        verdict = "bad" if bad else "good"
        when = T0 + timedelta(days=1, minutes=i)
        reviews.append(
            review_values(
                sample_id,
                "ana",
                verdict,
                rating=2 if bad else 4,
                when=when,
                categories=["wrong language"] if bad and row["language"] == "de" else [],
            )
        )
        if i % 3 == 0:
            flip = rng.random() < 0.15
            other = ("good" if bad else "bad") if flip else verdict
            reviews.append(
                review_values(sample_id, "ben", other, rating=2 if other == "bad" else 5, when=when)
            )
    add_reviews(engine, reviews)
