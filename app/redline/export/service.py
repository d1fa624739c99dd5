"""Export reviewed samples as training and evaluation data: filter, resolve, redact, write.

The pipeline per sample, each step with the reason a sample is dropped:

1. the reviewer filter (only chosen reviewers' reviews count),
2. resolution (adjudicated review wins; else majority, ties dropped; `min_agreement`),
3. flagged for a lead, verdict, failure category,
4. what the format needs (a long enough correction, a reference output),
5. de-duplication of identical inputs (first sample in id order kept),
6. redaction, record building and validation (chat formats; a single-turn record of
   openai or dpo is valid by construction, see `_export`), then the split by hash.

Counts add up: read == written + sum(dropped). `run_export` writes through `Staging`,
so a cancelled or failed export leaves no file under a target name; `dry_run` runs the
same pipeline without writing (the GUI's live count).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine

from redline import __version__, clock
from redline.csvcells import NEUTRALISED_NOTE
from redline.errors import RedlineError
from redline.export.chat_format import (
    MAX_TOKENS_PER_RECORD,
    estimate_tokens,
    validate_chat_record,
)
from redline.export.query import Layout, count_reviewed, iter_reviewed_samples
from redline.export.records import (
    TABLE_COLUMNS,
    Clean,
    dpo_record,
    input_hash,
    openai_record,
    parquet_schema,
    regression_record,
    split_of,
    table_record,
)
from redline.export.redaction import (
    MASKED,
    NOT_MASKED,
    Redactor,
    compile_custom_patterns,
    token,
)
from redline.export.resolve import resolve
from redline.export.seen import SeenKeys
from redline.export.types import (
    FORMAT_SUFFIX,
    NEEDS_CORRECTION,
    ExportFile,
    ExportOptions,
    ExportResult,
    Resolved,
    SampleRow,
)
from redline.export.writers import CsvSink, JsonlSink, ParquetSink, Sink, Staging
from redline.ingest.service import file_sha256
from redline.profiles import active_profile_name, get_profile
from redline.progress import NO_PROGRESS, Progress, check
from redline.settings import Settings

__all__ = [
    "Candidate",
    "PreviewItem",
    "RedactionPreview",
    "configured_profile",
    "dry_run",
    "output_paths",
    "preview_redaction",
    "run_export",
]

NO_CHOSEN_REVIEWER = "no review by the chosen reviewers"
TOO_FEW_AGREE = "fewer than {k} reviewers agree"
FLAGGED = "flagged for a lead"
OTHER_VERDICT = "verdict not selected"
OTHER_CATEGORY = "failure category not selected"
NO_CORRECTION = "no correction"
SHORT_CORRECTION = "correction shorter than {n} characters"
SAME_AS_OUTPUT = "correction same as the output"
NO_REFERENCE = "no verdict and no correction"
NO_VERDICT = "no verdict"
DUPLICATE = "duplicate input"
TOO_LONG = f"longer than {MAX_TOKENS_PER_RECORD:,} tokens (estimate)"
INVALID = "invalid chat record ({codes})"
NOTHING_WRITTEN_HINT = (
    "loosen the filters, or allow an empty export (--allow-empty) to write an empty file"
)


class Candidate(NamedTuple):
    """A sample that passed every filter, with its judgment, input hash and split."""

    sample: SampleRow
    resolved: Resolved
    hash: str
    split: str


@dataclass
class _Tally:
    """What the pipeline saw: samples read, drops by reason, records written by split."""

    read: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)
    tokens_total: int = 0
    tokens_max: int = 0
    weight_zero_turns: int = 0
    weight_zero_records: int = 0

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1


def _check_options(options: ExportOptions) -> None:
    filters = options.filters
    if options.format not in FORMAT_SUFFIX:
        raise RedlineError(
            f"unknown export format '{options.format}'",
            hint="use one of: " + ", ".join(FORMAT_SUFFIX),
        )
    if not 0 <= options.validation_ratio < 1:
        raise RedlineError(
            f"the validation share must be at least 0 and below 1 (got {options.validation_ratio})"
        )
    if filters.min_agreement < 1:
        raise RedlineError(f"agreement must be at least 1 reviewer (got {filters.min_agreement})")
    if filters.min_correction_chars < 0:
        raise RedlineError("the minimum correction length cannot be negative")
    if filters.since and filters.until and filters.since >= filters.until:
        raise RedlineError("the date range is empty: 'since' is not before 'until'")
    if options.format == "regression" and not (filters.prompt_name and filters.prompt_version):
        raise RedlineError(
            "a regression set is made for one prompt version",
            hint="choose the prompt and its version (--prompt NAME --prompt-version V)",
        )
    compile_custom_patterns(options.custom_patterns)


def _candidates(
    engine: Engine,
    options: ExportOptions,
    tally: _Tally,
    progress: Progress,
    *,
    layout: Layout | None = None,
) -> Iterator[Candidate]:
    """The pipeline's steps 1-5 (see the module docstring); drops are counted in `tally`.

    `layout`: the fields to read; by default just what the format writes.
    """
    filters = options.filters
    fmt = options.format
    reviewers = set(filters.reviewers)
    verdicts = set(filters.verdicts)
    categories = set(filters.categories)
    seen = SeenKeys()
    total = count_reviewed(engine, filters)
    if layout is None:
        layout = {"openai": Layout.CHAT, "dpo": Layout.PAIR}.get(fmt, Layout.FULL)
    for sample in iter_reviewed_samples(engine, filters, layout=layout, progress=progress):
        tally.read += 1
        if tally.read % 200 == 0:
            progress.update(tally.read, total, f"{tally.read:,} of {total:,} reviewed samples")
            check(progress)
        reviews = (
            [r for r in sample.reviews if r.reviewer in reviewers] if reviewers else sample.reviews
        )
        if not reviews:
            tally.drop(NO_CHOSEN_REVIEWER)
            continue
        resolved = resolve(reviews)
        if isinstance(resolved, str):
            tally.drop(resolved)
            continue
        if not resolved.adjudicated and resolved.agreement < filters.min_agreement:
            tally.drop(TOO_FEW_AGREE.format(k=filters.min_agreement))
            continue
        if filters.exclude_flagged and resolved.flagged:
            tally.drop(FLAGGED)
            continue
        if verdicts and resolved.verdict not in verdicts:
            tally.drop(OTHER_VERDICT if resolved.verdict else NO_VERDICT)
            continue
        if categories and not categories.intersection(resolved.categories):
            tally.drop(OTHER_CATEGORY)
            continue
        reason = _format_reason(fmt, sample, resolved, filters.min_correction_chars)
        if reason:
            tally.drop(reason)
            continue
        hash_hex = input_hash(sample)
        if options.deduplicate and not seen.add(int(hash_hex[:16], 16)):
            tally.drop(DUPLICATE)
            continue
        yield Candidate(sample, resolved, hash_hex, split_of(hash_hex, options.validation_ratio))
    progress.update(tally.read, max(total, tally.read), f"{tally.read:,} reviewed samples read")


def _format_reason(fmt: str, sample: SampleRow, resolved: Resolved, min_chars: int) -> str:
    correction = (resolved.correction or "").strip()
    if fmt in NEEDS_CORRECTION:
        if not correction:
            return NO_CORRECTION
        if len(correction) < min_chars:
            return SHORT_CORRECTION.format(n=min_chars)
        if fmt == "dpo" and correction == sample.output.strip():
            return SAME_AS_OUTPUT
    elif fmt == "regression":
        if correction and len(correction) < min_chars:
            return SHORT_CORRECTION.format(n=min_chars)
        if not correction and resolved.verdict not in ("good", "bad"):
            return NO_REFERENCE
    return ""


def output_paths(out: Path, options: ExportOptions) -> dict[str, Path]:
    """The files an export to `out` writes: split name (or "all") -> path, and "manifest"."""
    suffix = out.suffix or FORMAT_SUFFIX[options.format]
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    paths: dict[str, Path] = {}
    if options.validation_ratio > 0:
        paths["train"] = out.with_name(f"{stem}.train{suffix}")
        paths["validation"] = out.with_name(f"{stem}.validation{suffix}")
    else:
        paths["all"] = out.with_name(stem + suffix)
    # Named after the whole file name, so a CSV and a Parquet export side by side
    # each keep their own manifest.
    paths["manifest"] = out.with_name(f"{stem}{suffix}.manifest.json")
    return paths


def _open_sink(fmt: str, path: Path, *, excel: bool) -> Sink:
    if fmt == "csv":
        return CsvSink(path, TABLE_COLUMNS, excel=excel)
    if fmt == "parquet":
        return ParquetSink(path, parquet_schema())
    return JsonlSink(path)


def _record(
    fmt: str, candidate: Candidate, clean: Clean
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The record and, for chat formats, the messages its token estimate counts."""
    sample, resolved = candidate.sample, candidate.resolved
    if fmt == "openai":
        record = openai_record(sample, resolved, clean)
        return record, record["messages"]
    if fmt == "dpo":
        record = dpo_record(sample, resolved, clean)
        return record, [*record["prompt"], *record["chosen"]]
    if fmt == "regression":
        record = regression_record(sample, resolved, clean)
        # Without a reference the original output stands in, for the checks and the
        # token estimate only.
        answer = {"role": "assistant", "content": record["reference"] or record["original_output"]}
        return record, [*record["messages"], answer]
    row = table_record(sample, resolved, clean, hash_hex=candidate.hash, split=candidate.split)
    return row, None


def _checked(
    fmt: str, candidate: Candidate, messages: list[dict[str, Any]] | None, tally: _Tally
) -> bool:
    """Step 6's checks of a built record: False (the drop counted) when it is not written."""
    if messages is None:
        return True
    # A single-turn record of a correction format is valid by construction: fixed
    # roles, text fields, and a correction that is not blank (`_format_reason`;
    # masking never blanks a text). Input turns are checked: they come from
    # production logs as they were.
    if fmt not in NEEDS_CORRECTION or candidate.sample.input_messages is not None:
        problems = validate_chat_record({"messages": messages})
        if problems:
            tally.drop(INVALID.format(codes=", ".join(problems)))
            return False
    tokens = estimate_tokens(messages)
    if tokens > MAX_TOKENS_PER_RECORD:
        tally.drop(TOO_LONG)
        return False
    tally.tokens_total += tokens
    tally.tokens_max = max(tally.tokens_max, tokens)
    return True  # fmt: skip


def _export(
    engine: Engine,
    options: ExportOptions,
    sinks: dict[str, Sink] | None,
    progress: Progress,
    *,
    redactor: Redactor | None = None,
    clean: Clean | None = None,
    on_record: Callable[[Candidate, bool], bool] | None = None,
) -> _Tally:
    """Run the whole pipeline; write to `sinks` (None: count only).

    `redactor` / `clean`: the redaction step (by default a new redactor when the options
    redact); `on_record(candidate, written)`: called after each record is built and
    written or dropped; False stops the export early (the preview's sample limit).
    Redactions are counted for written records only.
    """
    tally = _Tally()
    if redactor is None and options.redact:
        redactor = Redactor(options.custom_patterns)
    if clean is None:
        clean = redactor.redact if redactor is not None else _identity
    fmt = options.format
    one_file = sinks is not None and "all" in sinks
    for candidate in _candidates(engine, options, tally, progress):
        masked_before = len(redactor.masked) if redactor is not None else 0
        record, messages = _record(fmt, candidate, clean)
        if not _checked(fmt, candidate, messages, tally):
            if redactor is not None:
                redactor.rollback(masked_before)
            if on_record is not None and not on_record(candidate, False):
                break
            continue
        if sinks is not None:
            sinks["all" if one_file else candidate.split].write(record)
        tally.written[candidate.split] += 1
        if fmt == "openai" and candidate.sample.input_messages is not None:
            zero = sum(1 for message in record["messages"] if message.get("weight") == 0)
            tally.weight_zero_turns += zero
            tally.weight_zero_records += zero > 0
        if on_record is not None and not on_record(candidate, True):
            break
    if redactor is not None:
        tally.redactions.update(redactor.counts)
    return tally


def _identity(text: str, label: str) -> str:
    return text


def _result(
    options: ExportOptions,
    tally: _Tally,
    *,
    files: tuple[ExportFile, ...] = (),
    manifest: Path | None = None,
    empty_splits: tuple[str, ...] = (),
) -> ExportResult:
    return ExportResult(
        format=options.format,
        read=tally.read,
        written=sum(tally.written.values()),
        train=tally.written.get("train", 0),
        validation=tally.written.get("validation", 0),
        dropped=dict(tally.dropped.most_common()),
        redactions=dict(sorted(tally.redactions.items())),
        tokens_total=tally.tokens_total,
        tokens_max=tally.tokens_max,
        weight_zero_turns=tally.weight_zero_turns,
        weight_zero_records=tally.weight_zero_records,
        files=files,
        manifest=manifest,
        empty_splits=empty_splits,
    )


def _nothing_written(tally: _Tally) -> str:
    """Why an export has no record to write, as the error says it."""
    if not tally.read:
        return "nothing to export: no reviewed sample matches the filters"
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in tally.dropped.most_common())
    return (
        f"nothing to export: none of the {tally.read:,} reviewed samples read can be "
        f"written ({reasons})"
    )


def dry_run(
    engine: Engine, options: ExportOptions, *, progress: Progress = NO_PROGRESS
) -> ExportResult:
    """What an export with these options would write, without writing anything."""
    _check_options(options)
    return _result(options, _export(engine, options, None, progress))


def run_export(
    engine: Engine,
    options: ExportOptions,
    out: Path,
    *,
    progress: Progress = NO_PROGRESS,
) -> ExportResult:
    """Export to `out` (plus `.train`/`.validation` files with a split) and its manifest.

    Raises:
        RedlineError: bad options, an existing file without `overwrite`, a folder that
            does not exist or cannot be written.
        Cancelled: the user cancelled; nothing is left under any target name.
    """
    _check_options(options)
    if out.is_dir():
        raise RedlineError("this is a folder; give a file name", where=str(out))
    paths = output_paths(out, options)
    staging = Staging(overwrite=options.overwrite)
    sinks: dict[str, Sink] = {}
    try:
        temps = {split: staging.stage(path) for split, path in paths.items()}
        for split in paths:
            if split != "manifest":
                sinks[split] = _open_sink(options.format, temps[split], excel=options.excel)
        tally = _export(engine, options, sinks, progress)
        if not tally.written and not options.allow_empty:
            raise RedlineError(_nothing_written(tally), hint=NOTHING_WRITTEN_HINT)
        digests = {split: sink.close() for split, sink in sinks.items()}
        sinks.clear()
        files = []
        empty_splits = []
        for split, path in paths.items():
            if split == "manifest":
                continue
            check(progress)
            temp = temps[split]
            rows = sum(tally.written.values()) if split == "all" else tally.written.get(split, 0)
            if split != "all" and not rows:
                # `datasets` refuses a split file with no data ("corresponds to no
                # data"): an empty split is left out, and the manifest says so.
                staging.discard(temp)
                empty_splits.append(split)
                continue
            files.append(
                ExportFile(
                    path=path,
                    rows=rows,
                    bytes=temp.stat().st_size,
                    sha256=digests[split] or file_sha256(temp, progress),
                    split=split,
                )
            )
        result = _result(
            options,
            tally,
            files=tuple(files),
            manifest=paths["manifest"],
            empty_splits=tuple(empty_splits),
        )
        manifest = build_manifest(engine, options, result)
        temps["manifest"].write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        check(progress)
        staging.commit()
        return result
    except BaseException:
        for sink in sinks.values():
            # The original error is the one to report.
            with contextlib.suppress(Exception):
                sink.close()
        staging.abort()
        raise


def configured_profile(settings: Settings) -> str | None:
    """The shared database profile this installation syncs with, as the manifest names
    it: "name (user@host:port/database)", never a password. None when there is none.

    The CLI and the GUI pass it as `ExportOptions.shared_profile`, so an export of a
    local store that syncs with a team database says which one its reviews came from.
    """
    name = active_profile_name(settings)
    if not name:
        return None
    try:
        return f"{name} ({get_profile(settings, name).where})"
    except RedlineError:
        # A broken profile must not stop an export: record its name only.
        return name


def _source(engine: Engine, options: ExportOptions) -> dict[str, Any]:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return {"store": str(Path(url.database or "").resolve()), "shared_database": None,
                "shared_profile": options.shared_profile}  # fmt: skip
    return {
        "store": None,
        "shared_database": url.render_as_string(hide_password=True),
        "shared_profile": options.shared_profile,
    }


def _weights_entry(result: ExportResult) -> dict[str, Any]:
    return {
        "earlier_assistant_turns": "weight 0 (not trained on) unless the resolved verdict "
        "is good, which approves the whole conversation; the final turn (the correction) "
        "has no weight key, so it is trained on (weight 1, OpenAI's default)",
        "weight_0_turns": result.weight_zero_turns,
        "records_with_weight_0_turns": result.weight_zero_records,
    }


def build_manifest(engine: Engine, options: ExportOptions, result: ExportResult) -> dict[str, Any]:
    """The manifest: everything needed to trace a fine-tuning run back to its reviews."""
    return {
        "manifest_version": 1,
        "format": options.format,
        "created_at": clock.now().isoformat(timespec="seconds"),
        "redline_version": __version__,
        "source": _source(engine, options),
        "filters": options.filters.as_dict(),
        "options": {
            "deduplicate": options.deduplicate,
            "validation_ratio": options.validation_ratio,
            "allow_empty": options.allow_empty,
            "split_by": "blake2b of system prompt and input turns",
            **(
                {"csv": {"formula_cells": NEUTRALISED_NOTE, "excel": options.excel}}
                if options.format == "csv"
                else {}
            ),
        },
        "counts": {
            "read": result.read,
            "written": result.written,
            "train": result.train,
            "validation": result.validation,
            "dropped": result.dropped,
        },
        **({"training_weights": _weights_entry(result)} if options.format == "openai" else {}),
        "redaction": {
            "enabled": options.redact,
            "kinds": result.redactions,
            "custom_patterns": {name: token(name) for name in options.custom_patterns},
            "counted": "values masked in the written files, each time one is written",
            "masks": MASKED,
            "not_masked": NOT_MASKED,
        },
        "tokens_estimate": {
            "total": result.tokens_total,
            "max_per_record": result.tokens_max,
            "method": "about 4 characters per token (non-ASCII 1 per character), "
            "plus 3 per message",
        },
        "empty_splits_not_written": list(result.empty_splits),
        "files": [
            {
                "name": f.path.name,
                "split": f.split,
                "rows": f.rows,
                "bytes": f.bytes,
                "sha256": f.sha256,
            }
            for f in result.files
        ],
    }


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class PreviewItem:
    """One text of one sample with PII in it: before and after masking."""

    sample_id: str
    field: str
    original: str
    redacted: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class RedactionPreview:
    """What redaction masks in the first `scanned` samples an export would write."""

    items: tuple[PreviewItem, ...]
    counts: dict[str, int]
    scanned: int


def preview_redaction(
    engine: Engine,
    options: ExportOptions,
    *,
    samples: int = 500,
    items: int = 50,
    progress: Progress = NO_PROGRESS,
) -> RedactionPreview:
    """Mask the first `samples` samples the export would consider; show up to `items` texts.

    The preview runs the export's own pipeline (records built by the format's builder,
    the same drops), so its counts are what the export of those samples masks: only
    the texts the format writes (an OpenAI record has no note and no original output),
    each time it writes them (a CSV row holds the primary correction twice: in its
    column and in `reviews`).
    """
    _check_options(options)
    redactor = Redactor(options.custom_patterns)
    found: list[PreviewItem] = []
    pending: list[tuple[str, str, str]] = []
    scanned = 0

    def clean(text: str, label: str) -> str:
        redacted = redactor.redact(text, label)
        if redacted != text:
            pending.append((label, text, redacted))
        return redacted

    def on_record(candidate: Candidate, written: bool) -> bool:
        nonlocal scanned
        scanned += 1
        if written:  # a dropped record's masking was rolled back: it is not shown
            for label, original, redacted in pending:
                if len(found) < items:
                    kinds = tuple(sorted({span.kind for span in redactor.spans(original)}))
                    item = PreviewItem(str(candidate.sample.id), label, original, redacted, kinds)
                    found.append(item)
        pending.clear()
        return scanned < samples

    tally = _export(
        engine,
        replace(options, redact=True),
        None,
        progress,
        redactor=redactor,
        clean=clean,
        on_record=on_record,
    )
    return RedactionPreview(tuple(found), dict(sorted(tally.redactions.items())), scanned)
