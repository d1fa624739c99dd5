"""The command line: the same services as the GUI, for scripts and CI.

Exit codes: 0 success (an import with some bad rows included), 1 unexpected error,
2 a RedlineError or a usage error (the message says what and what next), 130 cancelled
with Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from redline import __version__, clock
from redline.commands import drift, export, prompts, quality, shared, sync, threshold
from redline.commands.common import (
    EXIT_CANCELLED,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_UNEXPECTED,
    Handler,
    Registrar,
    TerminalProgress,
    cancel_on_interrupt,
    fmt_count,
    open_store,
    print_table,
    reviewer_name,
    store_path,
)
from redline.errors import RedlineError
from redline.ingest.types import SAMPLING_HELP, ImportReport, SamplingRule
from redline.logs import setup_logging
from redline.progress import Cancelled

log = logging.getLogger("redline.cli")

PROBLEMS_SHOWN = 10


# --------------------------------------------------------------------------- parser


def _store_options() -> argparse.ArgumentParser:
    # Global options are accepted before or after the command (`redline --store X
    # stats` and `redline stats --store X`); SUPPRESS keeps a later default from
    # overwriting an earlier value.
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--store",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="the local store file (default: $REDLINE_STORE, else redline.sqlite in the "
        "user data directory)",
    )
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of unexpected errors",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    common = _store_options()
    parser = argparse.ArgumentParser(
        prog="redline",
        description="Review LLM outputs from production: import, review, analyse, export.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"redline {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser(
        "import",
        parents=[common],
        help="import a file of production records (JSONL, CSV, Parquet, gzip)",
        description="Import a file of production records. Importing the same file again "
        "adds nothing; an interrupted import resumes where it stopped.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--source", metavar="NAME", help="production source (default: file name)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=PATH",
        help="map a sample field to a record field (dotted paths reach into objects), "
        "e.g. --map output=response.text; repeatable",
    )
    p.add_argument("--sample", metavar="RULE", default="all", help=f"sampling: {SAMPLING_HELP}")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="sampling seed (default 0)")
    p.add_argument(
        "--with",
        dest="with_files",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="a file joined with FILE: an OpenAI Batch input file with its output file",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="show the recognised shape, the mapping and the first records; write nothing",
    )

    commands.add_parser("batches", parents=[common], help="list imports")

    p = commands.add_parser("problems", parents=[common], help="show the bad rows of an import")
    p.add_argument("batch", metavar="BATCH", help="batch id or a unique prefix of it")
    p.add_argument(
        "--csv", type=Path, metavar="OUT", help="write line,reason,excerpt as CSV ('-': stdout)"
    )

    p = commands.add_parser("stats", parents=[common], help="what the store holds")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser(
        "demo", parents=[common], help="fill the store with realistic demo data"
    )
    p.add_argument("--count", type=int, default=5000, metavar="N", help="records (5000)")
    p.add_argument("--seed", type=int, default=7, metavar="N", help="random seed (7)")

    p = commands.add_parser("gui", parents=[common], help="open the review workstation")
    p.add_argument(
        "--demo-if-empty", action="store_true", help="create the demo when the store is empty"
    )

    for register in COMMAND_MODULES:
        for name, handler in register(commands, common).items():
            if COMMANDS.get(name, handler) is not handler:
                raise RuntimeError(
                    f"{register.__module__} registers `{name}`, which exists already"
                )
            COMMANDS[name] = handler
    return parser


# --------------------------------------------------------------------------- helpers


def _print_problems(problems: Sequence[Any], total: int, batch: str, out: TextIO) -> None:
    if not problems:
        return
    shown = problems[:PROBLEMS_SHOWN]
    more = f" (first {len(shown)} of {fmt_count(total)})" if total > len(shown) else ""
    print(f"problems{more}:", file=out)
    for problem in shown:
        excerpt = problem.excerpt.replace("\n", " ")
        excerpt = excerpt if len(excerpt) <= 60 else excerpt[:57] + "..."
        tail = f"  | {excerpt}" if excerpt else ""
        print(f"  line {problem.line}: {problem.reason}{tail}", file=out)
    if total > len(shown):
        print(f"all of them: redline problems {batch}", file=out)


def _short(batch_id: Any) -> str:
    return str(batch_id).replace("-", "")[:12]


def _print_import_report(report: ImportReport, out: TextIO) -> None:
    batch = _short(report.batch_id)
    print(f"{report.file_name}: {report.message or report.status}", file=out)
    rows = [
        ("read", report.records_read),
        ("imported", report.imported),
        ("duplicates", report.duplicates),
        ("bad", report.bad),
        ("not sampled", report.not_sampled),
    ]
    width = max(len(fmt_count(v)) for _, v in rows)
    for label, value in rows:
        print(f"  {label:<12}{fmt_count(value):>{width}}", file=out)
    print(f"  batch       {batch}  (source {report.source}, {report.format})", file=out)
    _print_problems(report.problems, report.bad, batch, out)


def _cancelled_message(kept: int | None) -> str:
    """What was kept: `kept` rows of the batch this command cancelled (None: no batch)."""
    if kept is None:
        return "cancelled before any record was imported; run the same command again to start"
    return (
        f"cancelled: {fmt_count(kept)} records imported so far are kept; "
        "run the same command again to resume"
    )


# --------------------------------------------------------------------------- commands


def cmd_import(args: argparse.Namespace) -> int:
    from redline.ingest.mapping import parse_overrides
    from redline.ingest.service import default_source, import_file, rows_kept_after_cancel

    path: Path = args.file
    if not path.exists():
        raise RedlineError("no such file", where=str(path), hint="check the path")
    if path.is_dir():
        raise RedlineError("this is a directory, not a file", where=str(path))
    rule = SamplingRule.parse(args.sample, seed=args.seed)
    mapping = parse_overrides(args.map)
    if args.explain:
        from redline.ingest.explain import explain_command

        return explain_command(path, store_path(args), args.source, mapping, args.with_files)
    engine = open_store(args, create=True)
    progress = TerminalProgress(sys.stderr)
    source = args.source or default_source(path)
    started = clock.now()
    try:
        with cancel_on_interrupt(progress):
            report = import_file(
                path,
                engine=engine,
                source=source,
                mapping=mapping or None,
                sampling=rule,
                imported_by=reviewer_name(),
                progress=progress,
                companions=args.with_files,
            )
    except Cancelled:
        progress.clear()
        print(_cancelled_message(rows_kept_after_cancel(engine, source, started)), file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.clear()
        engine.dispose()
    _print_import_report(report, sys.stdout)
    return EXIT_OK


def cmd_batches(args: argparse.Namespace) -> int:
    from redline.store.queries import list_batches

    engine = open_store(args, create=False)
    try:
        batches = list_batches(engine)
    finally:
        engine.dispose()
    if not batches:
        print("no imports yet")
        return EXIT_OK
    header = [
        "batch",
        "started (UTC)",
        "status",
        "source",
        "read",
        "imported",
        "dup",
        "bad",
        "not sampled",
        "file",
    ]
    rows = [
        (
            b.short_id,
            b.started_at.strftime("%Y-%m-%d %H:%M"),
            b.status,
            b.source,
            fmt_count(b.records_read),
            fmt_count(b.imported),
            fmt_count(b.duplicates),
            fmt_count(b.bad),
            fmt_count(b.not_sampled),
            Path(b.file_name).name,
        )
        for b in batches
    ]
    print_table(header, rows, numeric=range(4, 9))
    return EXIT_OK


def cmd_problems(args: argparse.Namespace) -> int:
    from redline.store.queries import batch_problems, write_problems_csv

    engine = open_store(args, create=False)
    try:
        batch, problems = batch_problems(engine, args.batch)
        if args.csv is not None:
            out: Path | TextIO = sys.stdout if str(args.csv) == "-" else args.csv
            written = write_problems_csv(problems, out)
            if out is not sys.stdout:
                print(
                    f"{fmt_count(written)} problems of batch {batch.short_id} written to {args.csv}"
                )
            return EXIT_OK
        print(
            f"batch {batch.short_id}: {Path(batch.file_name).name} ({batch.source}), "
            f"{fmt_count(batch.bad)} bad of {fmt_count(batch.records_read)} records"
        )
        shown = 0
        for problem in problems:
            excerpt = problem.excerpt.replace("\n", " ")
            excerpt = excerpt if len(excerpt) <= 80 else excerpt[:77] + "..."
            print(
                f"  line {problem.line}: {problem.reason}" + (f"  | {excerpt}" if excerpt else "")
            )
            shown += 1
        if not shown:
            print("  no problems")
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from redline.store.queries import CountRow, store_stats

    engine = open_store(args, create=False)
    try:
        stats = store_stats(engine)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"store       {store_path(args)}")
    batches = "batch" if stats.batches == 1 else "batches"
    print(f"samples     {fmt_count(stats.samples)} in {fmt_count(stats.batches)} {batches}")
    share = f" ({100 * stats.reviewed / stats.samples:.1f}%)" if stats.samples else ""
    print(f"reviewed    {fmt_count(stats.reviewed)}{share}")
    print(f"unreviewed  {fmt_count(stats.unreviewed)}")

    def section(title: str, breakdown: Sequence[CountRow]) -> None:
        if not breakdown:
            return
        print()
        rows = [
            (r.label, fmt_count(r.total), fmt_count(r.reviewed), fmt_count(r.unreviewed))
            for r in breakdown
        ]
        print_table((title, "samples", "reviewed", "unreviewed"), rows, numeric=range(1, 4))

    section("prompt", stats.by_prompt)
    section("model", stats.by_model)
    section("language", stats.by_language)
    section("variant", stats.by_variant)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from redline.demo import DEMO_SOURCE, create_demo
    from redline.ingest.service import rows_kept_after_cancel

    if args.count <= 0:
        raise RedlineError(f"--count must be a positive number (got {args.count})")
    path = store_path(args)
    engine = open_store(args, create=True)
    progress = TerminalProgress(sys.stderr)
    started = clock.now()
    try:
        with cancel_on_interrupt(progress):
            summary = create_demo(
                engine,
                count=args.count,
                seed=args.seed,
                work_dir=path.parent / "demo",
                progress=progress,
            )
    except Cancelled:
        progress.clear()
        kept = rows_kept_after_cancel(engine, DEMO_SOURCE, started)
        print(_cancelled_message(kept), file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.clear()
        engine.dispose()
    if summary.already_present:
        print(f"the demo is already in {path}: nothing was added")
    else:
        print(f"demo added to {path}")
    samples, new, bad = (
        fmt_count(n) for n in (summary.samples, summary.imported, summary.bad_rows)
    )
    reviews, reviews_added = fmt_count(summary.reviews), fmt_count(summary.reviews_added)
    print(f"  samples     {samples} ({new} new, {bad} malformed lines in the file)")
    print(f"  reviews     {reviews} by ana and ben ({reviews_added} new)")
    catalog = fmt_count(summary.catalog_added)
    print(f"  catalog     {catalog} prompt versions, experiments, policies added")
    print(f"  file        {summary.file}")
    print("next: redline stats, or redline gui")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    # Qt loads only for this command: the other commands start fast and run headless.
    try:
        from redline.ui.app import run_app
    except ImportError as exc:
        raise RedlineError(
            f"the graphical interface cannot start ({exc})",
            hint="check that PySide6 and the system's OpenGL/X11 libraries are installed",
        ) from exc

    code: int = run_app(store_path(args), demo_if_empty=args.demo_if_empty)
    return code


COMMANDS: dict[str, Handler] = {
    "import": cmd_import,
    "batches": cmd_batches,
    "problems": cmd_problems,
    "stats": cmd_stats,
    "demo": cmd_demo,
    "gui": cmd_gui,
}

# Each feature's commands live in their own module under `redline.commands`, with
# `register(commands, common) -> {name: handler}` (`redline.commands.common.Registrar`);
# the helpers they share are in `redline.commands.common`. Registered in this order
# (the order `redline --help` lists them in).
COMMAND_MODULES: tuple[Registrar, ...] = (
    export.register,
    prompts.register,
    threshold.register,
    drift.register,
    quality.register,
    shared.register,
    sync.register,
)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if args.command is None:
        parser.print_help(sys.stdout)
        return EXIT_OK
    debug = bool(getattr(args, "debug", False))
    try:
        setup_logging(debug=debug)
        log.info("redline %s: %s", __version__, args.command)
        return COMMANDS[args.command](args)
    except RedlineError as exc:
        log.warning("%s: %s", args.command, exc.one_line())
        print(f"redline: {exc.one_line()}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nredline: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        # `redline problems X | head`: the reader went away; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        log.error("unexpected error in %s", args.command, exc_info=exc)
        detail = (str(exc).strip().splitlines() or [""])[0][:300]
        print(
            f"redline: unexpected error: {type(exc).__name__}: {detail}"
            + ("" if debug else " (run with --debug for the traceback)"),
            file=sys.stderr,
        )
        if debug:
            traceback.print_exc()
        return EXIT_UNEXPECTED
