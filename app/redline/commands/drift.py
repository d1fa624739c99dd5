"""`redline drift`: how production changed since a date, against a reference window."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from redline.commands.common import (
    EXIT_CANCELLED,
    EXIT_OK,
    Handler,
    Subparsers,
    TerminalProgress,
    cancel_on_interrupt,
    open_store,
    print_table,
)
from redline.errors import RedlineError

HELP = "how production drifted since a date, against a reference window"


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    from redline.drift.options import DEFAULT_SINCE_DAYS, REFERENCE_HELP, SINCE_HELP

    p = commands.add_parser(
        "drift",
        parents=[common],
        help=HELP,
        description="Measure the score distribution (overall and per prompt version), the "
        "mix of languages, models, prompt versions and segments, lengths, latency, "
        "tokens, implicit signals and review satisfaction in each window since --since "
        "against a reference window, and flag what shifted.",
    )
    p.add_argument(
        "--since",
        default=f"{DEFAULT_SINCE_DAYS}d",
        metavar="WHEN",
        help=f"start of the period watched: {SINCE_HELP} (default {DEFAULT_SINCE_DAYS}d)",
    )
    p.add_argument("--until", metavar="WHEN", help="end of the period (default: now)")
    p.add_argument("--reference", metavar="REF", help=REFERENCE_HELP)
    p.add_argument(
        "--by",
        choices=("batch", "day", "week"),
        default="week",
        help="windows: import batches, UTC days, or 7-day weeks from --since (default week)",
    )
    p.add_argument(
        "--level",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a flag level, e.g. --level psi_alert=0.3 (names: psi_watch, "
        "psi_alert, psi_alpha, ks_alpha, ks_watch, ks_alert, rate_alpha, rate_watch, "
        "rate_alert, min_samples); the defaults come from the settings",
    )
    p.add_argument("--all", action="store_true", help="list every measure, not only flagged")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return {"drift": cmd_drift}


def _levels(overrides: list[str]) -> Any:
    from redline.analytics.drift import DriftLevels
    from redline.settings import load_settings

    values: dict[str, Any] = dict(load_settings().extra.get("drift_levels") or {})
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in DriftLevels.__dataclass_fields__:
            raise RedlineError(
                f"bad level {item!r}", hint="use NAME=VALUE, e.g. --level psi_alert=0.3"
            )
        values[name.strip()] = value.strip()
    try:
        return DriftLevels.from_dict(values)
    except ValueError as exc:
        raise RedlineError(f"bad drift levels ({exc})", where="--level / settings") from exc


def cmd_drift(args: argparse.Namespace) -> int:
    from redline.drift.service import ReferenceSpec, compute_drift, parse_since
    from redline.drift.suggest import suggest_sampling
    from redline.progress import Cancelled

    since = parse_since(args.since)
    until = parse_since(args.until) if args.until else None
    levels = _levels(args.level)
    engine = open_store(args, create=False)
    progress = TerminalProgress(sys.stderr)
    try:
        reference = ReferenceSpec.parse(args.reference, engine) if args.reference else None
        with cancel_on_interrupt(progress):
            report = compute_drift(
                engine,
                since=since,
                until=until,
                by=args.by,
                reference=reference,
                levels=levels,
                progress=progress,
            )
    except Cancelled:
        progress.clear()
        print("redline: drift cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        progress.clear()
        engine.dispose()
    flagged = report.flagged()
    if args.json:
        data = report.as_dict()
        data["suggestions"] = [
            {"quantity": f.quantity, "slice": f.slice, "window": f.window}
            | {"rule": s.rule, "explanation": s.explanation}
            for f in flagged
            for s in [suggest_sampling(f)]
        ]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    labels = {w.key: w.label for w in report.windows}
    print(f"reference  {report.reference.label}")
    print(f"windows    {len(report.windows)} by {report.by}")
    for note in report.notes:
        print(f"note: {note}")
    shown = report.findings if args.all else flagged
    print()
    if not shown:
        print("nothing drifted past the levels")
        return EXIT_OK
    rows = [
        (
            f.level,
            labels.get(f.window, f.window),
            f.label,
            f.slice,
            _measure(f.method, f.statistic),
            f"{f.n_reference:,} → {f.n_current:,}",
        )
        for f in shown
    ]
    print_table(("level", "window", "quantity", "slice", "measure", "n ref → cur"), rows)
    if flagged:
        print()
        for f in flagged:
            suggestion = suggest_sampling(f)
            print(f"- {f.message}")
            rule = f"--sample {suggestion.rule}" if suggestion.rule else "no sampling rule fits"
            print(f"  {rule}: {suggestion.explanation}")
    return EXIT_OK


def _measure(method: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if method == "psi":
        return f"PSI {value:.2f}"
    if method == "ks":
        return f"KS D {value:.2f}"
    return f"{100 * value:+.1f} pts"
