"""The command line: the same services as the GUI, for scripts and CI.

Exit codes: 0 success (an import with some bad rows included), 1 unexpected error,
2 a RedlineError or a usage error (the message says what and what next), 130 cancelled
with Ctrl+C.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from typing_extensions import override

from redline import __version__, clock
from redline.errors import RedlineError
from redline.ingest.types import SAMPLING_HELP, ImportReport, SamplingRule
from redline.logs import setup_logging
from redline.progress import Cancelled, CancelToken
from redline.settings import default_store_path

log = logging.getLogger("redline.cli")

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_ERROR = 2
EXIT_CANCELLED = 130
PROBLEMS_SHOWN = 10


# --------------------------------------------------------------------------- progress


class TerminalProgress(CancelToken):
    """Progress as one updating line on a terminal (nothing when not a terminal).

    Cancelling (Ctrl+C, see `cancel_on_interrupt`) sets the token; the service stops at
    its next check and raises Cancelled.
    """

    def __init__(self, stream: TextIO, *, enabled: bool | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.enabled = _isatty(stream) if enabled is None else enabled
        self._last_draw = 0.0
        self._width = 0

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        if not self.enabled:
            return
        now = time.monotonic()
        # Redraw at most 10 times a second: a terminal is slower than an import.
        if now - self._last_draw < 0.1 and not (total and done >= total):
            return
        self._last_draw = now
        percent = f"{100 * done // total:3d}% " if total else ""
        line = f"{percent}{text}".rstrip()
        columns = _terminal_columns(self.stream)
        line = line[: columns - 1]
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        """Erase the progress line (before printing results)."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


@contextmanager
def cancel_on_interrupt(progress: TerminalProgress) -> Iterator[None]:
    """While inside: the first Ctrl+C asks the service to stop cleanly, the second
    stops at once (KeyboardInterrupt; the open transaction rolls back)."""

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if progress.cancelled():
            raise KeyboardInterrupt
        progress.cancel()
        progress.clear()
        print(
            "redline: cancelling after the current chunk (Ctrl+C again to stop at once)",
            file=progress.stream,
            flush=True,
        )

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: leave Ctrl+C alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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

    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for name, handler in module.register(commands, common).items():
            if COMMANDS.get(name, handler) is not handler:
                raise RuntimeError(f"{module_name} registers `{name}`, which exists already")
            COMMANDS[name] = handler
    return parser


# --------------------------------------------------------------------------- helpers


def _n(value: int) -> str:
    return f"{value:,}"


def _store_path(args: argparse.Namespace) -> Path:
    store: Path | None = getattr(args, "store", None)
    return store if store is not None else default_store_path()


def _open_store(args: argparse.Namespace, *, create: bool) -> Any:
    """The store's engine. Commands that only read refuse to create a store."""
    from redline.store.local import open_local_store

    path = _store_path(args)
    if not create and not path.exists():
        raise RedlineError(
            "there is no store here yet",
            where=str(path),
            hint="import a file (`redline import FILE`) or try `redline demo`",
        )
    return open_local_store(path)


def _reviewer_name() -> str:
    from redline.settings import load_settings

    return load_settings().reviewer


def _print_problems(problems: Sequence[Any], total: int, batch: str, out: TextIO) -> None:
    if not problems:
        return
    shown = problems[:PROBLEMS_SHOWN]
    more = f" (first {len(shown)} of {_n(total)})" if total > len(shown) else ""
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
    width = max(len(_n(v)) for _, v in rows)
    for label, value in rows:
        print(f"  {label:<12}{_n(value):>{width}}", file=out)
    print(f"  batch       {batch}  (source {report.source}, {report.format})", file=out)
    _print_problems(report.problems, report.bad, batch, out)


def _cancelled_message(engine: Any, source: str, since: datetime) -> str:
    """What was kept: the rows of the source's batch this command cancelled, if any."""
    from sqlalchemy import select

    from redline.store.models import Batch, BatchStatus
    from redline.store.session import session_scope

    with session_scope(engine) as session:
        kept = session.scalar(
            select(Batch.rows_imported)
            .where(
                Batch.source == source,
                Batch.status == BatchStatus.CANCELLED.value,
                Batch.finished_at >= since,
            )
            .order_by(Batch.finished_at.desc())
            .limit(1)
        )
    if kept is None:
        return "cancelled before any record was imported; run the same command again to start"
    return (
        f"cancelled: {_n(kept)} records imported so far are kept; "
        "run the same command again to resume"
    )


# --------------------------------------------------------------------------- commands


def cmd_import(args: argparse.Namespace) -> int:
    from redline.ingest.mapping import parse_overrides
    from redline.ingest.service import default_source, import_file

    path: Path = args.file
    if not path.exists():
        raise RedlineError("no such file", where=str(path), hint="check the path")
    if path.is_dir():
        raise RedlineError("this is a directory, not a file", where=str(path))
    rule = SamplingRule.parse(args.sample, seed=args.seed)
    mapping = parse_overrides(args.map)
    if args.explain:
        from redline.ingest.explain import explain_command

        return explain_command(path, _store_path(args), args.source, mapping, args.with_files)
    engine = _open_store(args, create=True)
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
                imported_by=_reviewer_name(),
                progress=progress,
                companions=args.with_files,
            )
    except Cancelled:
        progress.clear()
        print(_cancelled_message(engine, source, started), file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.clear()
        engine.dispose()
    _print_import_report(report, sys.stdout)
    return EXIT_OK


def cmd_batches(args: argparse.Namespace) -> int:
    from redline.store.queries import list_batches

    engine = _open_store(args, create=False)
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
            _n(b.records_read),
            _n(b.imported),
            _n(b.duplicates),
            _n(b.bad),
            _n(b.not_sampled),
            Path(b.file_name).name,
        )
        for b in batches
    ]
    _print_table(header, rows, numeric=range(4, 9))
    return EXIT_OK


def cmd_problems(args: argparse.Namespace) -> int:
    from redline.store.queries import batch_problems, write_problems_csv

    engine = _open_store(args, create=False)
    try:
        batch, problems = batch_problems(engine, args.batch)
        if args.csv is not None:
            out: Path | TextIO = sys.stdout if str(args.csv) == "-" else args.csv
            written = write_problems_csv(problems, out)
            if out is not sys.stdout:
                print(f"{_n(written)} problems of batch {batch.short_id} written to {args.csv}")
            return EXIT_OK
        print(
            f"batch {batch.short_id}: {Path(batch.file_name).name} ({batch.source}), "
            f"{_n(batch.bad)} bad of {_n(batch.records_read)} records"
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

    engine = _open_store(args, create=False)
    try:
        stats = store_stats(engine)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(stats.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"store       {_store_path(args)}")
    batches = "batch" if stats.batches == 1 else "batches"
    print(f"samples     {_n(stats.samples)} in {_n(stats.batches)} {batches}")
    share = f" ({100 * stats.reviewed / stats.samples:.1f}%)" if stats.samples else ""
    print(f"reviewed    {_n(stats.reviewed)}{share}")
    print(f"unreviewed  {_n(stats.unreviewed)}")

    def section(title: str, breakdown: Sequence[CountRow]) -> None:
        if not breakdown:
            return
        print()
        rows = [(r.label, _n(r.total), _n(r.reviewed), _n(r.unreviewed)) for r in breakdown]
        _print_table((title, "samples", "reviewed", "unreviewed"), rows, numeric=range(1, 4))

    section("prompt", stats.by_prompt)
    section("model", stats.by_model)
    section("language", stats.by_language)
    section("variant", stats.by_variant)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from redline.demo import DEMO_SOURCE, create_demo

    if args.count <= 0:
        raise RedlineError(f"--count must be a positive number (got {args.count})")
    path = _store_path(args)
    engine = _open_store(args, create=True)
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
        print(_cancelled_message(engine, DEMO_SOURCE, started), file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.clear()
        engine.dispose()
    if summary.already_present:
        print(f"the demo is already in {path}: nothing was added")
    else:
        print(f"demo added to {path}")
    new, bad = _n(summary.imported), _n(summary.bad_rows)
    print(f"  samples     {_n(summary.samples)} ({new} new, {bad} malformed lines in the file)")
    print(f"  reviews     {_n(summary.reviews)} by ana and ben ({_n(summary.reviews_added)} new)")
    print(f"  catalog     {_n(summary.catalog_added)} prompt versions, experiments, policies added")
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

    code: int = run_app(_store_path(args), demo_if_empty=args.demo_if_empty)
    return code


def _print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = ()
) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(cell).rjust(widths[i]) if i in numeric else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    print(fmt(header))
    for row in rows:
        print(fmt(row))


Handler = Callable[[argparse.Namespace], int]

COMMANDS: dict[str, Handler] = {
    "import": cmd_import,
    "batches": cmd_batches,
    "problems": cmd_problems,
    "stats": cmd_stats,
    "demo": cmd_demo,
    "gui": cmd_gui,
}

# Each feature's commands live in their own module under `redline.commands`, with
# `register(commands, common) -> {name: handler}`: `commands` is the subparsers object,
# `common` the parent parser with the global options (pass it as `parents=[common]`).
# Helpers for them (TerminalProgress, cancel_on_interrupt, open_store, print_table,
# reviewer_name, fmt_count) are the public names of this module.
COMMAND_MODULES: tuple[str, ...] = (
    "redline.commands.export",
    "redline.commands.prompts",
    "redline.commands.threshold",
    "redline.commands.drift",
    "redline.commands.quality",
    "redline.commands.shared",
    "redline.commands.sync",
)


# Public names for the command modules (see COMMAND_MODULES).
fmt_count = _n
store_path = _store_path
open_store = _open_store
reviewer_name = _reviewer_name
print_table = _print_table


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
