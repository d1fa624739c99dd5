"""Read-only queries over the store that return frozen rows: counts, batches, bad rows.

Counts must stay fast at a million samples, so every query either scans an index
(`count(*)`, the prompt and language breakdowns are index-only) or starts from the
reviews, which are few: "reviewed" is a semi-join `sample.id IN (SELECT sample_id
FROM review)` that SQLite runs by probing the sample primary key once per reviewed
sample, never by probing the reviews once per sample.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from sqlalchemy import Connection, Engine, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from redline.csvcells import csv_writer, open_csv, safe_cell
from redline.errors import RedlineError
from redline.store.models import Batch, ImportProblem, Review, Sample
from redline.store.session import session_scope

# Like git: show at least this many hex digits, more where needed to stay unique.
# UUIDv7 starts with the creation time, so batches made in the same minute share
# their first 8 digits and the short form grows for them.
SHORT_ID_MIN = 8


@dataclass(frozen=True)
class CountRow:
    """Samples sharing one value (or one pair of values) of a field.

    Attributes:
        key: the value(s), None where the sample has none.
        total: samples with that value.
        reviewed: those with at least one review.
    """

    key: tuple[str | None, ...]
    total: int
    reviewed: int

    @property
    def unreviewed(self) -> int:
        return self.total - self.reviewed

    @property
    def label(self) -> str:
        """The key for display: values joined by a space, "(none)" for a missing one."""
        if all(value is None for value in self.key):
            return "(none)"
        return " ".join(value for value in self.key if value is not None)


@dataclass(frozen=True)
class StoreStats:
    """What the store holds, overall and broken down by prompt, model, language, variant.

    Breakdowns are sorted by total, largest first.
    """

    samples: int
    batches: int
    reviewed: int
    by_prompt: tuple[CountRow, ...]
    by_model: tuple[CountRow, ...]
    by_language: tuple[CountRow, ...]
    by_variant: tuple[CountRow, ...]

    @property
    def unreviewed(self) -> int:
        return self.samples - self.reviewed

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for `redline stats --json`)."""

        def rows(breakdown: Sequence[CountRow], names: Sequence[str]) -> list[dict[str, Any]]:
            return [
                {
                    **dict(zip(names, row.key, strict=True)),
                    "total": row.total,
                    "reviewed": row.reviewed,
                    "unreviewed": row.unreviewed,
                }
                for row in breakdown
            ]

        return {
            "samples": self.samples,
            "batches": self.batches,
            "reviewed": self.reviewed,
            "unreviewed": self.unreviewed,
            "by_prompt": rows(self.by_prompt, ("prompt_name", "prompt_version")),
            "by_model": rows(self.by_model, ("model",)),
            "by_language": rows(self.by_language, ("language",)),
            "by_variant": rows(self.by_variant, ("variant",)),
        }


@dataclass(frozen=True)
class BatchInfo:
    """One import as the batch list shows it."""

    id: uuid.UUID
    short_id: str
    source: str
    file_name: str
    format: str
    status: str
    records_read: int
    imported: int
    duplicates: int
    bad: int
    not_sampled: int
    imported_by: str
    started_at: datetime
    finished_at: datetime | None
    message: str


class ProblemRow(NamedTuple):
    """One rejected record of an import."""

    line: int
    reason: str
    excerpt: str


def _reviewed_ids() -> Select[tuple[uuid.UUID]]:
    # A tombstone (an undone first submit, kept so the withdrawal syncs) is no review.
    reviews: Select[tuple[uuid.UUID]] = select(Review.sample_id)
    return reviews.where(Review.deleted.is_(False))


Key = tuple[str | None, ...]


def _key(values: Iterable[Any]) -> Key:
    return tuple(None if v is None else str(v) for v in values)


def _counts(conn: Connection, columns: Sequence[InstrumentedAttribute[Any]]) -> dict[Key, int]:
    rows = conn.execute(select(*columns, func.count()).group_by(*columns))
    return {_key(tuple(row)[:-1]): int(row[-1]) for row in rows}


def _project(counts: dict[Key, int], positions: Sequence[int]) -> dict[Key, int]:
    """Sum counts keyed by several columns down to the columns at `positions`."""
    out: dict[Key, int] = {}
    for key, n in counts.items():
        sub = tuple(key[p] for p in positions)
        out[sub] = out.get(sub, 0) + n
    return out


def _rows(totals: dict[Key, int], reviewed: dict[Key, int]) -> tuple[CountRow, ...]:
    out = [CountRow(key=k, total=n, reviewed=reviewed.get(k, 0)) for k, n in totals.items()]
    out.sort(key=lambda r: (-r.total, tuple((v is None, v or "") for v in r.key)))
    return tuple(out)


def store_stats(engine: Engine) -> StoreStats:
    """Count samples, batches and reviewed samples, with breakdowns.

    All counts come from one read transaction, so they agree with each other even
    while an import writes. At a million samples this takes about a second: the
    prompt and language counts scan their own indexes in order; model and variant are
    counted together in one scan of the queue index (one sort instead of two); the
    reviewed counts, all of them, come from one semi-join driven by the reviews.
    """
    prompt, model, language, variant = (0, 1), (2,), (3,), (4,)
    with engine.connect() as conn:
        samples = conn.execute(select(func.count()).select_from(Sample)).scalar_one()
        batches = conn.execute(select(func.count()).select_from(Batch)).scalar_one()
        by_prompt = _counts(conn, (Sample.prompt_name, Sample.prompt_version))
        by_language = _counts(conn, (Sample.language,))
        by_model_variant = _counts(conn, (Sample.model, Sample.variant))
        columns = (
            Sample.prompt_name,
            Sample.prompt_version,
            Sample.model,
            Sample.language,
            Sample.variant,
        )
        reviewed_rows = conn.execute(
            select(*columns, func.count()).where(Sample.id.in_(_reviewed_ids())).group_by(*columns)
        )
        reviewed = {_key(tuple(row)[:-1]): int(row[-1]) for row in reviewed_rows}
    return StoreStats(
        samples=int(samples),
        batches=int(batches),
        reviewed=sum(reviewed.values()),
        by_prompt=_rows(by_prompt, _project(reviewed, prompt)),
        by_model=_rows(_project(by_model_variant, (0,)), _project(reviewed, model)),
        by_language=_rows(by_language, _project(reviewed, language)),
        by_variant=_rows(_project(by_model_variant, (1,)), _project(reviewed, variant)),
    )


def _short_ids(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The shortest unique hex prefix of each id (at least SHORT_ID_MIN digits)."""
    hexes = sorted(i.hex for i in ids)
    out: dict[uuid.UUID, str] = {}
    for n, value in enumerate(hexes):
        shared = 0
        for neighbour in (hexes[n - 1] if n else "", hexes[n + 1] if n + 1 < len(hexes) else ""):
            common = 0
            for a, b in zip(value, neighbour, strict=False):
                if a != b:
                    break
                common += 1
            shared = max(shared, common)
        out[uuid.UUID(hex=value)] = value[: max(SHORT_ID_MIN, shared + 1)]
    return out


def _batch_info(batch: Batch, short_id: str) -> BatchInfo:
    return BatchInfo(
        id=batch.id,
        short_id=short_id,
        source=batch.source,
        file_name=batch.file_name,
        format=batch.format,
        status=batch.status,
        records_read=batch.records_read,
        imported=batch.rows_imported,
        duplicates=batch.rows_duplicate,
        bad=batch.rows_bad,
        not_sampled=batch.rows_not_sampled,
        imported_by=batch.imported_by,
        started_at=batch.started_at,
        finished_at=batch.finished_at,
        message=batch.message,
    )


def list_batches(engine: Engine) -> list[BatchInfo]:
    """Every import, oldest first."""
    with session_scope(engine) as session:
        batches = session.scalars(select(Batch).order_by(Batch.started_at, Batch.id)).all()
        short = _short_ids(b.id for b in batches)
        return [_batch_info(b, short[b.id]) for b in batches]


def find_batch(engine: Engine, batch_id_or_prefix: str) -> BatchInfo:
    """The batch whose id is, or starts with, the given hex digits (dashes ignored).

    Raises:
        RedlineError: the text is not hex, or no batch or several batches match.
    """
    wanted = batch_id_or_prefix.strip().lower().replace("-", "")
    if not wanted or any(c not in "0123456789abcdef" for c in wanted):
        raise RedlineError(
            f"{batch_id_or_prefix!r} is not a batch id",
            hint="batch ids are hex digits; `redline batches` lists them",
        )
    batches = list_batches(engine)
    matches = [b for b in batches if b.id.hex.startswith(wanted)]
    if not matches:
        raise RedlineError(
            f"no batch id starts with {batch_id_or_prefix!r}",
            hint="`redline batches` lists them",
        )
    if len(matches) > 1:
        shown = ", ".join(b.short_id for b in matches[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        raise RedlineError(
            f"{batch_id_or_prefix!r} is ambiguous: {len(matches)} batches match ({shown}{more})",
            hint="give more digits of the id",
        )
    return matches[0]


def _iter_problems(engine: Engine, batch_id: uuid.UUID) -> Iterator[ProblemRow]:
    query = (
        select(ImportProblem.line, ImportProblem.reason, ImportProblem.excerpt)
        .where(ImportProblem.batch_id == batch_id)
        .order_by(ImportProblem.line, ImportProblem.id)
    )
    with engine.connect() as conn:
        for line, reason, excerpt in conn.execute(query):
            yield ProblemRow(int(line), str(reason), str(excerpt or ""))


def batch_problems(
    engine: Engine, batch_id_or_prefix: str
) -> tuple[BatchInfo, Iterator[ProblemRow]]:
    """A batch and its bad rows in line order, streamed (a report may be very long).

    Raises:
        RedlineError: no batch or several batches match (see `find_batch`).
    """
    batch = find_batch(engine, batch_id_or_prefix)
    return batch, _iter_problems(engine, batch.id)


def write_problems_csv(problems: Iterable[ProblemRow], out: Path | TextIO) -> int:
    """Write a bad-row report as CSV (header line,reason,excerpt); return the row count.

    `out` is a path (written in UTF-8) or an open text stream, such as stdout.
    """
    if isinstance(out, Path):
        with open_csv(out) as handle:
            return write_problems_csv(problems, handle)
    writer = csv_writer(out)
    writer.writerow(("line", "reason", "excerpt"))
    count = 0
    for problem in problems:
        # The excerpt is the bad row's own text: a hostile file must not plant a formula.
        writer.writerow([safe_cell(cell) for cell in problem])
        count += 1
    return count
