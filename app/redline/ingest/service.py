"""Import sampled production outputs into the local store (streaming, resumable)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from redline.ingest.types import ImportReport, SamplingRule
from redline.progress import NO_PROGRESS, Progress


def import_file(
    path: Path,
    *,
    engine: Engine,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    sampling: SamplingRule | None = None,
    imported_by: str = "",
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Import one file (JSONL, CSV, Parquet, or gzip of any) into the store.

    Args:
        path: the file.
        engine: the local store.
        source: the name of the production source (default: the file name without its
            extensions); re-importing the same records of a source adds nothing.
        mapping: overrides of the detected field mapping, Sample field -> record field
            (dotted paths reach into nested objects); saved for the source.
        sampling: which records to import (default: all).
        imported_by: the reviewer's name, recorded on the batch.
        progress: receives (records read, total or 0, text); cancelling stops after the
            current chunk, leaving a consistent, resumable batch.

    Raises:
        RedlineError: the file cannot be read at all (missing, empty, binary, unknown format).
        Cancelled: the user cancelled; everything committed so far stays consistent.
    """
    raise NotImplementedError
