"""Small builders for import tests: files in every format, and store read-backs."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from redline.store.models import Batch, ImportProblem, Sample
from redline.store.session import session_scope


def flat_record(i: int, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"r{i}",
        "timestamp": f"2026-10-{1 + i % 28:02d}T12:00:00Z",
        "model": "gpt-4o-mini",
        "prompt_name": "support",
        "prompt_version": "v1" if i % 2 else "v2",
        "input": f"How do I reset my password, question number {i}?",
        "output": f"Go to Settings and choose reset, answer {i}.",
        "score": round((i % 10) / 10, 2),
        "language": "en",
    }
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list[Any], *, gz: bool = False) -> Path:
    lines = "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    )
    data = lines.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_csv(path: Path, rows: list[dict[str, Any]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def samples(engine: Engine) -> list[Sample]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Sample).order_by(Sample.external_id)))


def sample_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Sample)) or 0


def batches(engine: Engine) -> list[Batch]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Batch).order_by(Batch.started_at)))


def problems(engine: Engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(ImportProblem).order_by(ImportProblem.line))
        return [(row.line, row.reason) for row in rows]
