"""Stream reviewed samples with their reviews in one pass, in constant memory.

One query joins the current reviews (withdrawn ones, kept as tombstones for sync, are
no judgment) to their samples, ordered by sample id, and is read through a streaming
cursor in chunks: nothing but the current chunk is held, and the export reads one
consistent snapshot, so its counts add up even while reviewers keep working (SQLite
WAL readers do not block the writer). Consecutive rows of one sample become one
`SampleRow`. Works the same on SQLite and PostgreSQL.

Speed: a million rows pass through here, so the id, time and JSON columns are read
as the driver returns them (`type_coerce`, no per-value result processing) and
decoded below by what they are: text on SQLite, native values on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Engine,
    String,
    distinct,
    exists,
    func,
    null,
    select,
    type_coerce,
)

from redline.export.types import ExportFilters, ReviewRow, SampleRow
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.models import Review, Sample
from redline.store.session import session_scope

__all__ = [
    "CHUNK_ROWS",
    "FilterChoices",
    "Layout",
    "count_reviewed",
    "filter_choices",
    "iter_reviewed_samples",
]

CHUNK_ROWS = 2000


def _raw(column: Any, name: str) -> Any:
    # The driver's value as is (see the module docstring).
    return type_coerce(column, String()).label(name)


# The columns in groups, by who needs them (see Layout): what a chat record is built
# from comes first, then the output, then the rest for the tables. Reading fewer is
# the cheapest speed-up there is: the driver's cost grows with every column of a
# million rows, even a constant NULL one (the openai format reads 11 of 25: a fifth
# less time in the driver).
_CHAT_COLUMNS = (
    _raw(Sample.id, "id"),
    Sample.system_prompt,
    Sample.input_text,
    _raw(Sample.input_messages, "input_messages"),
    Review.reviewer,
    Review.verdict,
    _raw(Review.categories, "categories"),
    Review.correction,
    Review.flagged,
    Review.adjudicated,
    _raw(Review.updated_at, "updated_at"),
)
_OUTPUT_COLUMNS = (Sample.output,)
_MORE_COLUMNS = (
    Sample.external_id,
    Sample.source,
    _raw(Sample.captured_at, "captured_at"),
    Sample.model,
    Sample.prompt_name,
    Sample.prompt_version,
    Sample.variant,
    Sample.language,
    Sample.score,
    Sample.decision,
    Review.rating,
    Review.note,
    Review.time_spent_ms,
)


class Layout(Enum):
    """Which fields of a sample and its reviews are read.

    FULL reads every field. CHAT reads what a chat record, the filters and the
    resolution of reviews need (id, system prompt, input; reviewer, verdict,
    categories, correction, flags, time), PAIR adds the output; the other fields of
    their rows are empty (None, "" or 0). CHAT is for the openai format, PAIR for dpo.
    """

    FULL = "full"
    PAIR = "pair"
    CHAT = "chat"


_LAYOUT_COLUMNS = {
    Layout.FULL: _CHAT_COLUMNS + _OUTPUT_COLUMNS + _MORE_COLUMNS,
    Layout.PAIR: _CHAT_COLUMNS + _OUTPUT_COLUMNS,
    Layout.CHAT: _CHAT_COLUMNS,
}


def _sample_conditions(
    filters: ExportFilters, *, by_index: bool = True
) -> list[ColumnElement[bool]]:
    """The sample filters; `by_index=False` keeps SQLite from serving them by an index.

    The stream reads in review order, which SQLite's review index gives for free. With
    a prompt, language or date index at hand, SQLite would rather read the filtered
    samples and then sort them all by id, and with the store's `temp_store = MEMORY`
    that sort holds the whole selection in memory (800 MB for one prompt version of a
    million samples). `coalesce(x, NULL)` is x, but no index can answer for it.
    """

    def column(attribute: Any) -> Any:
        return attribute if by_index else func.coalesce(attribute, null())

    conditions: list[ColumnElement[bool]] = []
    if filters.prompt_name:
        conditions.append(column(Sample.prompt_name) == filters.prompt_name)
    if filters.prompt_version:
        conditions.append(column(Sample.prompt_version) == filters.prompt_version)
    if filters.models:
        conditions.append(column(Sample.model).in_(filters.models))
    if filters.languages:
        conditions.append(column(Sample.language).in_(filters.languages))
    if filters.since is not None:
        conditions.append(column(Sample.captured_at) >= filters.since)
    if filters.until is not None:
        conditions.append(column(Sample.captured_at) < filters.until)
    return conditions


def _live_reviews() -> Any:
    return select(Review.sample_id).where(Review.deleted.is_(False))


def count_reviewed(engine: Engine, filters: ExportFilters) -> int:
    """Reviewed samples matching the sample filters (the export's "read" count).

    As `iter_reviewed_samples` streams them: the reviewer filter is not applied here
    (the export reads those samples too, and says why it drops them).
    """
    live = Review.deleted.is_(False)
    conditions = _sample_conditions(filters)
    if conditions:
        # Driven by the sample filter's index, so a narrow filter counts only the
        # samples it selects (an `id IN (reviewed)` form looks up every reviewed sample).
        query = (
            select(func.count())
            .select_from(Sample)
            .where(*conditions, exists().where(Review.sample_id == Sample.id, live))
        )
    else:
        # Every review belongs to a sample (a foreign key): the review index alone
        # answers, without reading a sample (a tenth of the time at a million).
        query = select(func.count(distinct(Review.sample_id))).where(live)
    with session_scope(engine) as session:
        return int(session.scalar(query) or 0)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class _Categories:
    """Decodes a review's categories, once per distinct JSON text: a store has a few
    dozen combinations, a million reviews repeat them (PostgreSQL gives lists)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, ...]] = {}

    def __call__(self, raw: Any) -> tuple[str, ...]:
        if type(raw) is not str:
            return tuple(_json(raw) or ())
        decoded = self._seen.get(raw)
        if decoded is None:
            if len(self._seen) >= 4096:  # free text in the wild: keep the cache small
                self._seen.clear()
            decoded = self._seen[raw] = tuple(orjson.loads(raw) or ())
        return decoded


def iter_reviewed_samples(
    engine: Engine,
    filters: ExportFilters,
    *,
    layout: Layout = Layout.FULL,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress = NO_PROGRESS,
) -> Iterator[SampleRow]:
    """Every reviewed sample matching the sample filters, in sample id order.

    A sample's reviews are all its current reviews, by reviewer (the reviewer filter is
    applied by the caller, so it can say why a sample was dropped). `layout` says which
    fields are read (see Layout). Checks for cancel per chunk.
    """
    full = layout is Layout.FULL
    output = layout is not Layout.CHAT
    query = (
        select(*_LAYOUT_COLUMNS[layout])
        .select_from(Review)
        .join(Sample, Sample.id == Review.sample_id)
        .where(
            Review.deleted.is_(False),
            *_sample_conditions(filters, by_index=engine.dialect.name != "sqlite"),
        )
        .order_by(Review.sample_id, Review.reviewer)
    )
    categories = _Categories()
    with engine.connect() as conn:
        chunks: Iterator[Sequence[Any]]
        if conn.dialect.name == "sqlite":
            # The SQLite driver steps its cursor lazily, so reading it directly streams
            # too, and skips SQLAlchemy's per-row wrapper (a third of the read time).
            # The values are the same: on SQLite no column here has a result processor
            # but the two booleans, which `bool()` below covers.
            chunks = _fetch_chunks(conn.execute(query).cursor, chunk_rows)
        else:
            # PostgreSQL: a server-side cursor (a client-side one would hold it all).
            chunks = conn.execution_options(yield_per=chunk_rows).execute(query).partitions()
        current: Any = None
        reviews: list[ReviewRow] = []
        for chunk in chunks:
            check(progress)
            for row in chunk:
                if current is not None and row[0] != current[0]:
                    yield _sample(current, reviews, full=full, output=output)
                    reviews = []
                if not reviews:
                    current = row
                # Positions: _CHAT_COLUMNS, then the output (11), then _MORE_COLUMNS.
                reviews.append(
                    ReviewRow(
                        row[4],
                        row[5],
                        row[22] if full else None,
                        categories(row[6]),
                        (row[23] or "") if full else "",
                        row[7],
                        bool(row[8]),
                        bool(row[9]),
                        (row[24] or 0) if full else 0,
                        row[10],
                    )
                )
        if current is not None:
            yield _sample(current, reviews, full=full, output=output)


def _fetch_chunks(cursor: Any, size: int) -> Iterator[Sequence[Any]]:
    while rows := cursor.fetchmany(size):
        yield rows


def _sample(row: Any, reviews: list[ReviewRow], *, full: bool, output: bool) -> SampleRow:
    messages = _json(row[3])
    if not full:
        return SampleRow(
            row[0], "", "", None, None, None, None, None, None, row[1], row[2] or "",
            tuple(messages) if messages else None, (row[11] or "") if output else "",
            None, None, tuple(reviews),
        )  # fmt: skip
    return SampleRow(
        row[0],
        row[12],
        row[13],
        row[14],
        row[15],
        row[16],
        row[17],
        row[18],
        row[19],
        row[1],
        row[2] or "",
        tuple(messages) if messages else None,
        row[11] or "",
        row[20],
        row[21],
        tuple(reviews),
    )


@dataclass(frozen=True)
class FilterChoices:
    """The values the export filters can take in this store (for the GUI's lists)."""

    prompts: tuple[tuple[str, str | None], ...]
    models: tuple[str, ...]
    languages: tuple[str, ...]
    reviewers: tuple[str, ...]


def filter_choices(engine: Engine) -> FilterChoices:
    """Prompt versions, models and languages of reviewed samples, and the reviewers."""
    reviewed = _live_reviews()
    with session_scope(engine) as session:
        prompts = session.execute(
            select(Sample.prompt_name, Sample.prompt_version)
            .where(Sample.id.in_(reviewed), Sample.prompt_name.is_not(None))
            .distinct()
            .order_by(Sample.prompt_name, Sample.prompt_version)
        ).all()

        def values(column: Any) -> tuple[str, ...]:
            query = select(column).where(Sample.id.in_(reviewed), column.is_not(None)).distinct()
            return tuple(sorted(session.scalars(query)))

        models, languages = values(Sample.model), values(Sample.language)
        reviewers = tuple(
            sorted(
                session.scalars(select(Review.reviewer).where(Review.deleted.is_(False)).distinct())
            )
        )
    return FilterChoices(
        prompts=tuple((str(name), version) for name, version in prompts),
        models=models,
        languages=languages,
        reviewers=reviewers,
    )
