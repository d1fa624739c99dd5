"""`redline export`: reviewed samples as fine-tuning, preference or evaluation data."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from redline import clock
from redline.commands.common import (
    EXIT_CANCELLED,
    EXIT_OK,
    Handler,
    Subparsers,
    TerminalProgress,
    cancel_on_interrupt,
    fmt_count,
    open_store,
)
from redline.errors import RedlineError
from redline.export.types import (
    DEFAULT_MIN_CORRECTION_CHARS,
    EXPORT_FORMATS,
    FORMAT_TITLES,
    ExportFilters,
    ExportOptions,
    ExportResult,
)
from redline.progress import Cancelled

VERDICTS = ("good", "bad", "unsure")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-03-01") from exc


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from exc
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1 (e.g. 0.1)")
    return value


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    formats = "; ".join(f"{name}: {FORMAT_TITLES[name]}" for name in EXPORT_FORMATS)
    p = commands.add_parser(
        "export",
        parents=[common],
        help="export reviewed samples as fine-tuning or evaluation data",
        description="Export reviewed samples (corrections, verdicts, preference pairs) with "
        "PII masked and a manifest (OUT's name + .manifest.json) that records filters, counts "
        "and the sha256 of every file. Nothing is left under OUT if the export fails or is "
        f"cancelled. Formats: {formats}.",
    )
    p.add_argument("out", type=Path, metavar="OUT", help="the file to write")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="openai", help="(openai)")
    p.add_argument("--prompt", metavar="NAME", help="only samples of this prompt")
    p.add_argument("--prompt-version", metavar="V", help="only this version of the prompt")
    p.add_argument("--model", action="append", default=[], metavar="M", help="repeatable")
    p.add_argument("--language", action="append", default=[], metavar="L", help="repeatable")
    p.add_argument("--since", type=_day, metavar="DATE", help="captured on or after (UTC)")
    p.add_argument("--until", type=_day, metavar="DATE", help="captured up to this day (UTC)")
    p.add_argument("--verdict", action="append", default=[], choices=VERDICTS, help="repeatable")
    p.add_argument(
        "--category", action="append", default=[], metavar="C", help="failure category; repeatable"
    )
    p.add_argument(
        "--reviewer", action="append", default=[], metavar="NAME", help="count only their reviews"
    )
    p.add_argument(
        "--min-correction",
        type=int,
        default=DEFAULT_MIN_CORRECTION_CHARS,
        metavar="N",
        help=f"shortest correction kept, in characters ({DEFAULT_MIN_CORRECTION_CHARS})",
    )
    p.add_argument(
        "--agree", type=int, default=1, metavar="K", help="at least K reviewers agree (1)"
    )
    p.add_argument("--include-flagged", action="store_true", help="keep samples flagged for a lead")
    p.add_argument(
        "--keep-duplicates", action="store_true", help="keep every sample of identical inputs"
    )
    p.add_argument(
        "--validation",
        type=_ratio,
        default=0.0,
        metavar="SHARE",
        help="write this share of inputs to OUT.validation (split by input hash, stable)",
    )
    p.add_argument("--no-redact", action="store_true", help="write PII as it is")
    p.add_argument(
        "--preview",
        type=int,
        metavar="N",
        help="show what redaction masks in the first N samples, write nothing",
    )
    p.add_argument("--dry-run", action="store_true", help="count only, write nothing")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument(
        "--excel",
        action="store_true",
        help="CSV for Excel on Windows: UTF-8 with a byte-order mark, CRLF line ends",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="succeed with an empty file when no record passes (default: an error saying why)",
    )
    return {"export": cmd_export}


def _options(args: argparse.Namespace, patterns: dict[str, str]) -> ExportOptions:
    def start(day: date | None) -> datetime | None:
        return clock.start_of_day(day) if day else None

    until = start(args.until + timedelta(days=1)) if args.until else None
    filters = ExportFilters(
        prompt_name=args.prompt,
        prompt_version=args.prompt_version,
        models=tuple(args.model),
        languages=tuple(args.language),
        since=start(args.since),
        until=until,
        verdicts=tuple(args.verdict),
        categories=tuple(args.category),
        reviewers=tuple(args.reviewer),
        min_correction_chars=args.min_correction,
        min_agreement=args.agree,
        exclude_flagged=not args.include_flagged,
    )
    return ExportOptions(
        format=args.format,
        filters=filters,
        deduplicate=not args.keep_duplicates,
        validation_ratio=args.validation,
        redact=not args.no_redact,
        custom_patterns=patterns,
        overwrite=args.force,
        excel=args.excel,
        allow_empty=args.allow_empty,
    )


def print_result(result: ExportResult, *, dry: bool) -> None:

    verb = "would write" if dry else "wrote"
    split = (
        f" ({fmt_count(result.train)} train, {fmt_count(result.validation)} validation)"
        if result.validation or any(f.split == "validation" for f in result.files)
        else ""
    )
    print(f"{result.format}: {verb} {fmt_count(result.written)} records{split}")
    print(f"  reviewed samples read  {fmt_count(result.read)}")
    for reason, count in result.dropped.items():
        print(f"  dropped: {reason:<48}{fmt_count(count):>8}")
    if result.redactions:
        masked = ", ".join(f"{kind} {fmt_count(n)}" for kind, n in result.redactions.items())
        print(f"  masked                 {masked}")
    if result.tokens_total:
        print(
            f"  tokens (estimate)      {fmt_count(result.tokens_total)} in all, "
            f"{fmt_count(result.tokens_max)} in the longest record"
        )
    if result.weight_zero_turns:
        print(
            f"  not trained on         {fmt_count(result.weight_zero_turns)} earlier assistant "
            f"turns in {fmt_count(result.weight_zero_records)} records (weight 0: not approved)"
        )
    for file in result.files:
        print(f"  {file.path}  {fmt_count(file.rows)} rows  sha256 {file.sha256[:16]}…")
    for split in result.empty_splits:
        print(f"  the {split} split has no record: its file was not written")
    if result.manifest is not None:
        print(f"  manifest {result.manifest}")


def cmd_export(args: argparse.Namespace) -> int:
    from redline.export.service import (
        configured_profile,
        dry_run,
        preview_redaction,
        run_export,
    )
    from redline.settings import load_settings

    settings = load_settings()
    options = replace(
        _options(args, dict(settings.redaction_patterns)),
        shared_profile=configured_profile(settings),
    )
    if args.preview is not None and args.preview <= 0:
        raise RedlineError(f"--preview needs a positive number of samples (got {args.preview})")
    engine = open_store(args, create=False)
    progress = TerminalProgress(sys.stderr)
    try:
        with cancel_on_interrupt(progress):
            if args.preview is not None:
                preview = preview_redaction(
                    engine, options, samples=args.preview, progress=progress
                )
                progress.clear()
                _print_preview(preview)
                return EXIT_OK
            if args.dry_run:
                result = dry_run(engine, options, progress=progress)
            else:
                result = run_export(engine, options, args.out, progress=progress)
    except Cancelled:
        progress.clear()
        print("export cancelled: no file was written", file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.clear()
        engine.dispose()
    print_result(result, dry=args.dry_run)
    return EXIT_OK


def _print_preview(preview: Any) -> None:

    counts = ", ".join(f"{k} {fmt_count(v)}" for k, v in preview.counts.items()) or "nothing"
    print(f"redaction preview over {fmt_count(preview.scanned)} samples: {counts}")
    for item in preview.items:
        print(f"\n{item.sample_id} {item.field} ({', '.join(item.kinds)})")
        print(f"  - {item.original}")
        print(f"  + {item.redacted}")
