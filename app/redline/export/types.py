"""What an export is asked for (filters, options) and what it hands back (rows, result).

Every value is a frozen dataclass: safe to pass to a worker thread and back, and
JSON-ready for the manifest through `as_dict`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

ExportFormat = Literal["openai", "dpo", "csv", "parquet", "regression"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)

# What each format writes, for help texts and the GUI.
FORMAT_TITLES: dict[ExportFormat, str] = {
    "openai": "OpenAI chat fine-tuning (JSONL)",
    "dpo": "Preference pairs for DPO (TRL JSONL)",
    "csv": "CSV with all review fields",
    "parquet": "Parquet with all review fields",
    "regression": "Regression set of a prompt version (JSONL)",
}
FORMAT_SUFFIX: dict[ExportFormat, str] = {
    "openai": ".jsonl",
    "dpo": ".jsonl",
    "csv": ".csv",
    "parquet": ".parquet",
    "regression": ".jsonl",
}
# Formats whose every record is built around a correction.
NEEDS_CORRECTION: frozenset[ExportFormat] = frozenset({"openai", "dpo"})

DEFAULT_MIN_CORRECTION_CHARS = 20


@dataclass(frozen=True)
class ExportFilters:
    """Which reviewed samples go out. Empty tuples and None mean "any".

    Attributes:
        prompt_name / prompt_version: the prompt (and version) the sample was made with.
        models, languages: sample fields, any of the values.
        since / until: the sample's capture time, `since <= captured_at < until` (UTC).
        verdicts: the resolved verdict (after adjudication or agreement).
        categories: at least one of these failure categories in the resolved review.
        reviewers: only these reviewers' reviews count (others are ignored).
        min_correction_chars: formats that need a correction drop shorter ones.
        min_agreement: at least this many reviewers gave the resolved verdict
            (a lead's adjudicated review always passes).
        exclude_flagged: drop samples flagged for a lead.
    """

    prompt_name: str | None = None
    prompt_version: str | None = None
    models: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    verdicts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    min_correction_chars: int = DEFAULT_MIN_CORRECTION_CHARS
    min_agreement: int = 1
    exclude_flagged: bool = True

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        for key in ("since", "until"):
            if values[key] is not None:
                values[key] = values[key].isoformat()
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


@dataclass(frozen=True)
class ExportOptions:
    """How an export is written.

    Attributes:
        format: one of EXPORT_FORMATS.
        filters: which samples.
        deduplicate: keep only the first sample of each identical input.
        validation_ratio: share of inputs (by hash, so stable across runs) written to
            a separate validation file; 0 writes one file.
        redact: mask PII before anything is written.
        custom_patterns: extra redaction patterns, name -> regular expression.
        overwrite: replace existing files under the target names.
        shared_profile: the shared database profile the engine belongs to, if any
            (recorded in the manifest).
        excel: CSV for Excel on Windows: a UTF-8 byte-order mark and CRLF line ends.
        allow_empty: an export that writes no record succeeds (its one file is empty)
            instead of failing with the reason.
    """

    format: ExportFormat = "openai"
    filters: ExportFilters = field(default_factory=ExportFilters)
    deduplicate: bool = True
    validation_ratio: float = 0.0
    redact: bool = True
    custom_patterns: dict[str, str] = field(default_factory=dict)
    overwrite: bool = False
    shared_profile: str | None = None
    excel: bool = False
    allow_empty: bool = False


def stored_time(value: datetime | str | None) -> datetime | None:
    """A timestamp as the driver returned it, as an aware UTC datetime.

    PostgreSQL's driver gives datetimes; SQLite keeps naive UTC text (see
    `redline.store.bulk.sqlite_time`).
    """
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class ReviewRow(NamedTuple):
    """One reviewer's current review of a sample, as the export reads it.

    A named tuple, not a dataclass: a million of these are made per export, and a
    tuple is built several times faster. Its time stays as the driver returned it
    until asked for (most formats never ask).
    """

    reviewer: str
    verdict: str | None
    rating: int | None
    categories: tuple[str, ...]
    note: str
    correction: str | None
    flagged: bool
    adjudicated: bool
    time_spent_ms: int
    updated_raw: datetime | str | None = None

    @property
    def updated_at(self) -> datetime | None:
        return stored_time(self.updated_raw)

    def as_dict(self) -> dict[str, Any]:
        values = self._asdict()
        del values["updated_raw"]
        values["categories"] = list(self.categories)
        updated = self.updated_at
        values["updated_at"] = updated.isoformat() if updated else None
        return values


class SampleRow(NamedTuple):
    """A reviewed sample with its reviews, as streamed from the store.

    A named tuple for speed (see ReviewRow); the id and capture time stay as the
    driver returned them until asked for.
    """

    id_raw: uuid.UUID | str
    external_id: str
    source: str
    captured_raw: datetime | str | None
    model: str | None
    prompt_name: str | None
    prompt_version: str | None
    variant: str | None
    language: str | None
    system_prompt: str | None
    input_text: str
    input_messages: tuple[dict[str, Any], ...] | None
    output: str
    score: float | None
    decision: str | None
    reviews: tuple[ReviewRow, ...]

    @property
    def id(self) -> uuid.UUID:
        raw = self.id_raw
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(hex=raw)

    @property
    def captured_at(self) -> datetime | None:
        return stored_time(self.captured_raw)


class Resolved(NamedTuple):
    """The one judgment a sample goes out with (a named tuple for speed, see ReviewRow).

    Attributes:
        verdict: the resolved verdict.
        primary: the review whose correction, rating and note are used.
        categories: failure categories of the reviews that agree (sorted, unique).
        agreement: how many reviewers gave `verdict`.
        adjudicated: a lead's adjudicated review decided it.
        reviews: the reviews that counted (after the reviewer filter).
    """

    verdict: str | None
    primary: ReviewRow
    categories: tuple[str, ...]
    agreement: int
    adjudicated: bool
    reviews: tuple[ReviewRow, ...]

    @property
    def correction(self) -> str | None:
        return self.primary.correction

    @property
    def flagged(self) -> bool:
        reviews = self.reviews
        if len(reviews) == 1:  # the common case, asked a million times
            return reviews[0].flagged
        return any(r.flagged for r in reviews)


@dataclass(frozen=True)
class ExportFile:
    """One file an export wrote."""

    path: Path
    rows: int
    bytes: int
    sha256: str
    split: str  # "all", "train", "validation" or "manifest"


@dataclass(frozen=True)
class ExportResult:
    """What an export (or a dry run) found and wrote.

    Attributes:
        format: the format.
        read: reviewed samples matching the sample filters (prompt, model, date, language).
        written: records written (train + validation).
        train / validation: records per split (train = all when there is no split).
        dropped: reason -> samples dropped for it; read == written + sum(dropped).
        redactions: kind -> values masked.
        tokens_total / tokens_max: token estimate of the written records (chat formats).
        weight_zero_turns / weight_zero_records: OpenAI format: production's earlier
            assistant turns written with `"weight": 0` (not trained on), and the records
            that hold them.
        files: the data files written (empty for a dry run).
        manifest: the manifest file (None for a dry run).
        empty_splits: splits that came out with no record, so their file was not
            written (`datasets` refuses an empty split file).
    """

    format: ExportFormat
    read: int
    written: int
    train: int
    validation: int
    dropped: dict[str, int]
    redactions: dict[str, int]
    tokens_total: int = 0
    tokens_max: int = 0
    weight_zero_turns: int = 0
    weight_zero_records: int = 0
    files: tuple[ExportFile, ...] = ()
    manifest: Path | None = None
    empty_splits: tuple[str, ...] = ()
