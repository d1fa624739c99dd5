"""Review quality commands: `redline agreement`, `patterns`, `disagreements`,
`adjudicate` (leads only), `overlap` and `report` (the weekly review report as HTML)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
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
    reviewer_name,
)
from redline.errors import RedlineError

SINCE_TEXT = "a date (2026-11-01), a date and time, or a span back from now (7d, 2w)"


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    def add_range(p: argparse.ArgumentParser, *, since_default: str | None = None) -> None:
        default = f" (default {since_default})" if since_default else " (default: all)"
        p.add_argument(
            "--since",
            default=since_default,
            metavar="WHEN",
            help=f"samples reviewed from: {SINCE_TEXT}{default}",
        )
        p.add_argument("--until", metavar="WHEN", help="up to (not including; default: now)")

    p = commands.add_parser(
        "agreement",
        parents=[common],
        help="how far reviewers agree (kappa, alpha, per pair and category)",
        description="Agreement on the samples reviewed by two or more people: percent "
        "agreement, Fleiss' kappa, Krippendorff's alpha, Cohen's kappa per reviewer pair, "
        "agreement per verdict and failure category, and the AUC of the production score "
        "against the final verdict.",
    )
    add_range(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser(
        "patterns",
        parents=[common],
        help="what the bad reviews have in common, ranked by share and lift",
        description="Among samples judged bad: each dimension = value (language, prompt "
        "version, model, input length, code in input, failure category, segment fields) "
        "by its share of bad reviews against its share of all reviewed samples; then how "
        "each implicit signal relates to the verdicts.",
    )
    add_range(p)
    p.add_argument("--top", type=int, default=15, metavar="N", help="patterns shown (15)")
    p.add_argument(
        "--dimension",
        metavar="NAME",
        help="only this dimension's values (e.g. language, 'prompt version', segment.plan)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser(
        "disagreements", parents=[common], help="samples whose reviewers disagree"
    )
    add_range(p)
    p.add_argument("--all", action="store_true", help="include those a lead settled")

    p = commands.add_parser(
        "adjudicate",
        parents=[common],
        help="record a lead's final verdict on a disputed sample (leads only)",
        description="Settle a disagreement: your verdict (and correction) becomes the "
        "sample's final one for export and the threshold studio; the reviewers' own "
        "reviews stay. Only leads may adjudicate (role 'lead' in the settings).",
    )
    p.add_argument("sample", metavar="SAMPLE", help="sample id, or a prefix of a disputed one")
    p.add_argument("verdict", choices=["good", "bad", "unsure"], metavar="VERDICT")
    p.add_argument("--correction", metavar="TEXT", help="the ideal output")
    p.add_argument("--note", default="", metavar="TEXT", help="why")
    p.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="NAME",
        help="failure category (repeatable)",
    )

    p = commands.add_parser(
        "overlap",
        parents=[common],
        help="reviewers per sample, per batch (list, or set with BATCH K)",
        description="Without arguments: each batch's reviewers per sample and how many of "
        "its samples reached it. With BATCH K: ask for K reviewers on each sample of the "
        "batch; its samples stay in everyone's queue until K people reviewed them.",
    )
    p.add_argument("batch", nargs="?", metavar="BATCH", help="batch id or a unique prefix")
    p.add_argument("k", nargs="?", type=int, metavar="K", help="reviewers per sample")

    p = commands.add_parser(
        "report",
        parents=[common],
        help="write the weekly review report (HTML with plots)",
        description="Top failure patterns, satisfaction per prompt version, agreement, open "
        "threshold proposals, reviewer throughput, drifted policies and what changed "
        "against the period of the same length before, as one HTML file.",
    )
    add_range(p, since_default="7d")
    p.add_argument("out", type=Path, metavar="OUT.html")

    return {
        "agreement": cmd_agreement,
        "patterns": cmd_patterns,
        "disagreements": cmd_disagreements,
        "adjudicate": cmd_adjudicate,
        "overlap": cmd_overlap,
        "report": cmd_report,
    }


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    from redline.drift.service import parse_since

    return parse_since(text)


def _period(args: argparse.Namespace) -> Any:
    from redline.quality.data import TimeRange

    period = TimeRange(_moment(args.since), _moment(args.until))
    if period.since and period.until and period.until <= period.since:
        raise RedlineError("--until must be after --since")
    return period


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[Any]:

    engine = open_store(args, create=False)
    try:
        yield engine
    finally:
        engine.dispose()


def _with_progress(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service with a progress line on stderr; Ctrl+C cancels it."""

    progress = TerminalProgress(sys.stderr)
    try:
        with cancel_on_interrupt(progress):
            return fn(*args, progress=progress, **kwargs)
    finally:
        progress.clear()


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _rate_json(r: Any) -> dict[str, Any]:
    return {"value": _json_float(r.value), "low": r.low, "high": r.high, "n": r.n}


def _cancelled() -> int:

    print("redline: cancelled", file=sys.stderr)
    return EXIT_CANCELLED


def cmd_agreement(args: argparse.Namespace) -> int:
    from redline.progress import Cancelled
    from redline.quality.agreement_tables import categories_table, coefficient, pairs_table
    from redline.quality.overview import quality_overview

    period = _period(args)
    with _store(args) as engine:
        try:
            overview = _with_progress(quality_overview, engine, period)
        except Cancelled:
            return _cancelled()
    a = overview.agreement
    if args.json:
        print(
            json.dumps(
                {
                    "period": period.label(),
                    "items": a.items,
                    "percent": _rate_json(a.percent),
                    "fleiss_kappa": _json_float(a.fleiss),
                    "krippendorff_alpha": _json_float(a.alpha),
                    "krippendorff_alpha_ratings": _json_float(a.alpha_rating),
                    "score_auc": {
                        "value": _json_float(a.score_auc.value),
                        "low": _json_float(a.score_auc.low),
                        "high": _json_float(a.score_auc.high),
                        "n": a.score_auc.n,
                    },
                    "pairs": [
                        {
                            "reviewers": [p.reviewer_a, p.reviewer_b],
                            "n": p.n,
                            "percent": _rate_json(p.percent),
                            "cohen_kappa": _json_float(p.kappa.value),
                            "low": _json_float(p.kappa.low),
                            "high": _json_float(p.kappa.high),
                        }
                        for p in a.pairs
                    ],
                    "categories": [
                        {
                            "kind": c.kind,
                            "category": c.category,
                            "n": c.n,
                            "named": c.named,
                            "percent": _rate_json(c.percent),
                            "fleiss_kappa": _json_float(c.kappa),
                            "krippendorff_alpha": _json_float(c.alpha),
                            "positive_agreement": _json_float(c.positive),
                        }
                        for c in a.categories
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(f"period       {period.label()}")
    print(f"samples      {a.items:,} reviewed by two or more people")
    if not a.items:
        print("no sample was reviewed twice: nothing to compare (see `redline overlap`)")
        return EXIT_OK
    print(f"all agree    {a.percent.percent()}")
    alpha, alpha_rating = coefficient(a.alpha), coefficient(a.alpha_rating)
    print(f"Fleiss       {coefficient(a.fleiss)}")
    print(f"alpha        {alpha} verdicts (nominal), {alpha_rating} ratings (ordinal)")
    print(f"score AUC    {a.score_auc.text()}  (production score vs final verdict)")
    for table in (pairs_table(a), categories_table(a)):
        print()
        print_table(table.header, table.rows, numeric=table.numeric)
    return EXIT_OK


def cmd_patterns(args: argparse.Namespace) -> int:
    from redline.progress import Cancelled
    from redline.quality.overview import quality_overview

    if args.top <= 0:
        raise RedlineError(f"--top must be a positive number (got {args.top})")
    period = _period(args)
    with _store(args) as engine:
        try:
            overview = _with_progress(quality_overview, engine, period)
        except Cancelled:
            return _cancelled()
    patterns = [
        p for p in overview.patterns if args.dimension is None or p.dimension == args.dimension
    ][: args.top]
    if args.dimension is not None and args.dimension not in overview.dimensions:
        known = ", ".join(overview.dimensions) or "none in this period"
        raise RedlineError(f"no dimension {args.dimension!r}", hint=f"dimensions: {known}")
    if args.json:
        print(
            json.dumps(
                {
                    "period": period.label(),
                    "judged": overview.judged,
                    "bad": overview.bad,
                    "patterns": [
                        {
                            "dimension": p.dimension,
                            "value": p.value,
                            "share": _rate_json(p.share),
                            "base": _rate_json(p.base),
                            "lift": p.lift,
                            "lift_low": p.lift_low,
                            "lift_high": p.lift_high,
                            "p_value": _json_float(p.p_value),
                            "sample_ids": [str(i) for i in p.sample_ids],
                        }
                        for p in patterns
                    ],
                    "signals": [
                        {
                            "signal": s.signal,
                            "known": s.known,
                            "present": s.present,
                            "bad_with": _rate_json(s.bad_with),
                            "bad_without": _rate_json(s.bad_without),
                            "recall": _rate_json(s.recall),
                            "p_value": _json_float(s.p_value),
                        }
                        for s in overview.signals
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(f"period   {period.label()}")
    print(f"judged   {overview.judged:,} samples, {overview.bad:,} bad")
    if not patterns:
        print("no pattern: too few bad reviews in this period")
        return EXIT_OK
    print()
    print_table(
        ("pattern", "of bad reviews", "of reviewed", "lift", "p"),
        [
            (
                p.label,
                p.share.percent(),
                f"{100 * p.base.value:.1f} %",
                f"{p.lift:.2f} ({p.lift_low:.2f}–{p.lift_high:.2f})",
                "<0.001" if p.p_value < 0.001 else f"{p.p_value:.3f}",
            )
            for p in patterns
        ],
        numeric=(2, 4),
    )
    print()
    print_table(
        ("signal", "known", "fired", "bad when fired", "bad otherwise", "catches of bad"),
        [
            (
                s.signal,
                f"{s.known:,}",
                f"{s.present:,}",
                s.bad_with.percent(),
                s.bad_without.percent(),
                s.recall.percent(),
            )
            for s in overview.signals
        ],
        numeric=(1, 2),
    )
    return EXIT_OK


def cmd_disagreements(args: argparse.Namespace) -> int:
    from redline.quality.disagreements import disagreements

    period = _period(args)
    with _store(args) as engine:
        items = disagreements(engine, period, include_resolved=args.all)
    if not items:
        print("no disagreements" + ("" if args.all else " waiting for a lead"))
        return EXIT_OK
    print_table(
        ("sample", "prompt", "verdicts", "reviewers", "settled"),
        [
            (
                d.sample_id.hex[:12],
                d.prompt,
                d.verdicts,
                ", ".join(f"{r.reviewer}: {r.verdict}" for r in d.reviews),
                f"{d.adjudication.verdict} by {d.adjudication.reviewer}" if d.adjudication else "",
            )
            for d in items
        ],
    )
    return EXIT_OK


def _disputed_sample(engine: Any, text: str) -> Any:
    """A full sample id, or the one disputed sample whose id starts with `text`."""
    import uuid

    from redline.quality.disagreements import disagreements

    wanted = text.strip().lower().replace("-", "")
    if not wanted or any(c not in "0123456789abcdef" for c in wanted):
        raise RedlineError(
            f"{text!r} is not a sample id", hint="`redline disagreements` lists the disputed ones"
        )
    if len(wanted) == 32:
        return uuid.UUID(hex=wanted)
    matches = [
        d.sample_id
        for d in disagreements(engine, include_resolved=True)
        if d.sample_id.hex.startswith(wanted)
    ]
    if len(matches) != 1:
        raise RedlineError(
            f"{len(matches)} disputed samples have an id starting with {text!r}"
            if matches
            else f"no disputed sample has an id starting with {text!r}",
            hint="give more digits, or the full id; `redline disagreements --all` lists them",
        )
    return matches[0]


def cmd_adjudicate(args: argparse.Namespace) -> int:
    from redline.quality.disagreements import Adjudication, adjudicate, disagreement
    from redline.quality.rules import authorize_adjudication
    from redline.review.types import Verdict
    from redline.roles import parse_role
    from redline.settings import load_settings

    settings = load_settings()
    lead, role = reviewer_name(), parse_role(settings.role)
    # Refused before the store is opened: a reviewer learns at once that this is a lead's.
    authorize_adjudication(actor=lead, role=role)
    with _store(args) as engine:
        sample_id = _disputed_sample(engine, args.sample)
        decision = Adjudication(
            sample_id=sample_id,
            verdict=Verdict(args.verdict),
            correction=args.correction,
            note=args.note,
            categories=tuple(args.category),
        )
        adjudicate(engine, decision, lead=lead, role=role, device=settings.device or "cli")
        item = disagreement(engine, sample_id)
    others = ", ".join(f"{r.reviewer}: {r.verdict}" for r in item.reviews) or "no reviews"
    print(f"sample {sample_id.hex[:12]}: final verdict {args.verdict} by {lead} ({others})")
    return EXIT_OK


def cmd_overlap(args: argparse.Namespace) -> int:
    from redline.quality.overlap import overlap_status, set_overlap

    if (args.batch is None) != (args.k is None):
        raise RedlineError("give both BATCH and K, or neither", hint="e.g. redline overlap 01a2 2")
    with _store(args) as engine:
        if args.batch is not None:
            status = set_overlap(engine, args.batch, args.k)
            print(
                f"batch {status.short_id}: {status.reviewers_per_sample} reviewer(s) per sample; "
                f"{status.done:,} of {status.samples:,} samples have that many reviews"
            )
            return EXIT_OK
        statuses = overlap_status(engine)
    if not statuses:
        print("no imports yet")
        return EXIT_OK
    print_table(
        ("batch", "source", "per sample", "samples", "done", "started", "waiting"),
        [
            (
                s.short_id,
                s.source,
                str(s.reviewers_per_sample),
                f"{s.samples:,}",
                f"{s.done:,}",
                f"{s.started:,}",
                f"{s.waiting:,}",
            )
            for s in statuses
        ],
        numeric=range(2, 7),
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from redline.progress import Cancelled
    from redline.quality.report import write_weekly_report

    period = _period(args)
    out: Path = args.out
    with _store(args) as engine:
        try:
            report = _with_progress(
                write_weekly_report, engine, out, since=period.since, until=period.until
            )
        except Cancelled:
            return _cancelled()
    o = report.overview
    print(f"report for {report.period.label()} written to {out}")
    print(f"  {o.reviews:,} reviews, {o.judged:,} samples judged, {o.bad:,} bad")
    return EXIT_OK
