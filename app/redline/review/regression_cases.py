"""Which samples answer which regression case: one rule for pairwise review
(`redline.review.pairwise`) and the regression comparison (`redline.prompts.regression`),
which must pair the same samples. It reads only samples, so it lives in the review layer,
below the prompts that import it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import select

from redline.store.models import Sample

__all__ = ["LOOKUP_CHUNK", "REGRESSION_PREFIX", "cases", "chunks", "regression_outputs",
           "regression_source"]  # fmt: skip

REGRESSION_PREFIX = "regression:"
# Ids per IN (...) lookup: well inside SQLite's and PostgreSQL's parameter limits.
LOOKUP_CHUNK = 500


def regression_source(prompt_name: str) -> str:
    """The import source of a prompt's regression outputs."""
    return REGRESSION_PREFIX + prompt_name


def chunks(items: Sequence[uuid.UUID], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[uuid.UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def regression_outputs(
    session: Session, prompt_name: str, version: str, *columns: InstrumentedAttribute[Any]
) -> list[tuple[Row[Any], uuid.UUID]]:
    """Each output of `version` imported on `prompt_name`'s regression set, with the case it
    answers (its `regression_of` segment); rows hold `id`, `segments` and `columns`."""
    rows = session.execute(
        select(Sample.id, Sample.segments, *columns).where(
            Sample.source == regression_source(prompt_name),
            Sample.prompt_name == prompt_name,
            Sample.prompt_version == version,
        )
    ).all()
    found: list[tuple[Row[Any], uuid.UUID]] = []
    for row in rows:
        case = (row.segments or {}).get("regression_of")
        if case:
            found.append((row, uuid.UUID(str(case))))
    return found


def cases(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The case samples by id: their version and output."""
    found: dict[uuid.UUID, Any] = {}
    for chunk in chunks(ids):
        for row in session.execute(
            select(Sample.id, Sample.prompt_version, Sample.output).where(Sample.id.in_(chunk))
        ):
            found[row.id] = row
    return found
