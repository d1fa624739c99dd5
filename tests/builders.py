"""Rows for the tests, inserted with SQLAlchemy Core: a test that uses them depends on the
schema only, not on the import or review services.

One builder per table, shared by every folder; a folder's helpers say only what its batches
look like (`functools.partial(add_batch, source=..., shape=...)`). Dates stay with the folders
(each has its own `T0`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, insert

from redline.store.base import uuid7
from redline.store.models import Batch

# A file name, or a function of (source, batch id) that makes one.
FileName = str | Callable[[str, uuid.UUID], str]


def batch_row(
    batch_id: uuid.UUID | None = None,
    *,
    source: str = "support-bot",
    file_name: FileName | None = None,
    shape: str = "chat",
    status: str = "complete",
    reviewers_per_sample: int = 1,
) -> dict[str, Any]:
    """The values of one Batch row (an import of a JSONL file that finished).

    Args:
        batch_id: the id (a new UUIDv7 when None).
        source: the source the batch was imported as.
        file_name: the imported file's name, or a function of (source, batch id) that makes
            it; `<source>.jsonl` when None.
        shape: "chat" or "flat".
        status: the import's status ("importing" while it runs).
        reviewers_per_sample: how many reviewers each sample wants.
    """
    batch_id = batch_id or uuid7()
    if file_name is None:
        file_name = f"{source}.jsonl"
    elif callable(file_name):
        file_name = file_name(source, batch_id)
    return {
        "id": batch_id,
        "source": source,
        "file_name": file_name,
        "file_sha256": "0" * 64,
        "format": "jsonl",
        "shape": shape,
        "status": status,
        "reviewers_per_sample": reviewers_per_sample,
    }


def add_batch(
    engine: Engine,
    *,
    source: str = "support-bot",
    file_name: FileName | None = None,
    shape: str = "chat",
    status: str = "complete",
    reviewers_per_sample: int = 1,
) -> uuid.UUID:
    """Insert one batch (see `batch_row` for the values); returns its id."""
    row = batch_row(
        source=source,
        file_name=file_name,
        shape=shape,
        status=status,
        reviewers_per_sample=reviewers_per_sample,
    )
    with engine.begin() as conn:
        conn.execute(insert(Batch), [row])
    batch_id: uuid.UUID = row["id"]
    return batch_id
