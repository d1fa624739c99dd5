"""`redline threshold POLICY --at T`: the threshold studio's numbers on the command line;
`redline policies`: list, export and import policies.

    redline threshold auto-send                       the policy at its current threshold
    redline threshold auto-send --at 0.78             ... and at 0.78, with the change
    redline threshold auto-send --at 0.78 --segment language    per language as well
    redline threshold auto-send --cohort ja --segment model     per model within ja
    redline threshold auto-send --cohort ja --at 0.8  only the ja cohort (its threshold)
    redline threshold auto-send --costs 5:1           suggest by the cost of FP and FN
    redline threshold auto-send --target-precision 0.9
    redline threshold auto-send --at 0.78 --propose "fewer bad auto-sends"
    redline policies [--json] [--export FILE] [--import FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from redline.commands.common import (
    EXIT_CANCELLED,
    Handler,
    Subparsers,
    TerminalProgress,
    cancel_on_interrupt,
    fmt_count,
    open_store,
    print_table,
    reviewer_name,
)
from redline.errors import RedlineError

# Values of --segment shown, the most reviewed first.
SEGMENTS_SHOWN = 12


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    p = commands.add_parser(
        "threshold",
        aliases=["thresholds"],
        parents=[common],
        help="a policy's precision, recall, FPR, automation at a threshold",
        description="What a policy's decision does at its current threshold and at another "
        "one, on the reviewed samples (Wilson 95 %% intervals). Ground truth: adjudicated "
        "reviews first, else the reviewers' majority; unsure and tied samples are left "
        "out and counted.",
    )
    p.add_argument("policy", metavar="POLICY", help="policy name")
    p.add_argument("--at", type=float, metavar="T", help="the candidate threshold")
    p.add_argument(
        "--segment",
        metavar="DIM",
        help="also per value of DIM: language, model, prompt_version, variant or a segment field",
    )
    p.add_argument(
        "--cohort", metavar="VALUE", help="only this value of the policy's segment field"
    )
    p.add_argument(
        "--prompt",
        action="append",
        default=[],
        metavar="NAME",
        help="the prompts in scope (default: those whose samples record the policy's "
        "action as their decision; repeatable)",
    )
    p.add_argument(
        "--unweighted",
        action="store_true",
        help="ignore inclusion probabilities (default: re-weight to production traffic "
        "when the import sampled)",
    )
    p.add_argument("--costs", metavar="FP:FN", help="suggest a threshold by these costs")
    p.add_argument(
        "--target-precision", type=float, metavar="P", help="suggest a threshold for this"
    )
    p.add_argument(
        "--propose",
        metavar="RATIONALE",
        help="store a threshold proposal for --at with this rationale (as your reviewer name)",
    )
    p.add_argument(
        "--no-drift",
        action="store_true",
        help="skip the check whether the policy's score distribution drifted in the last "
        "7 days (against the 28 before)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser("policies", parents=[common], help="list, export or import policies")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--export", type=Path, metavar="FILE", help="write the policies' values as JSON")
    p.add_argument(
        "--import",
        dest="import_file",
        type=Path,
        metavar="FILE",
        help="create the policies of a JSON file (as written by --export)",
    )
    return {"threshold": cmd_threshold, "thresholds": cmd_threshold, "policies": cmd_policies}


def _costs(text: str) -> tuple[float, float]:
    try:
        fp, fn = (float(v) for v in text.split(":"))
    except ValueError:
        raise RedlineError(
            f"--costs must be FP:FN, two numbers (got {text!r})", hint="e.g. --costs 5:1"
        ) from None
    if fp < 0 or fn < 0 or fp + fn == 0:
        raise RedlineError(f"--costs must be non-negative and not both zero (got {text!r})")
    return fp, fn


def cmd_threshold(args: argparse.Namespace) -> int:
    from redline.analytics.threshold import (
        MIN_SEGMENT_REVIEWED,
        OperatingPoint,
        describe_change,
        proposal_evidence,
    )
    from redline.drift.service import policy_drift
    from redline.policies.samples import load_policy_data, segment_dimension
    from redline.policies.service import create_proposal, find_policy
    from redline.policies.studio import compute_view
    from redline.progress import Cancelled

    costs = _costs(args.costs) if args.costs else None
    if args.target_precision is not None and not 0 < args.target_precision < 1:
        raise RedlineError(
            f"--target-precision must be between 0 and 1 (got {args.target_precision})"
        )
    if args.propose is not None and args.at is None:
        raise RedlineError("--propose needs the proposed threshold", hint="add --at T")
    engine = open_store(args, create=False)
    progress = TerminalProgress(sys.stderr)
    try:
        policy = find_policy(engine, args.policy)
        try:
            with cancel_on_interrupt(progress):
                data = load_policy_data(engine, policy, prompts=args.prompt, progress=progress)
                # Has the score distribution moved lately (7 days against the 28 before)?
                # Then the reviewed samples may no longer speak for today's traffic.
                drift = (
                    None if args.no_drift else policy_drift(engine, policy.name, progress=progress)
                )
        except Cancelled:
            progress.clear()
            print("redline: cancelled", file=sys.stderr)
            return EXIT_CANCELLED
        progress.clear()
        samples = data.samples
        dimension = data.segment_dimension
        if args.cohort is not None:
            if dimension is None:
                raise RedlineError(
                    f"the policy {policy.name!r} has no segment field", hint="drop --cohort"
                )
            known = samples.segment_values(dimension)
            if args.cohort not in known:
                raise RedlineError(
                    f"no samples with {policy.segment_field} = {args.cohort!r}",
                    hint=f"values: {', '.join(known) or 'none'}",
                )
        sliced_by = None
        if args.segment:
            sliced_by = segment_dimension(args.segment)
            if sliced_by not in samples.segments:
                raise RedlineError(
                    f"no segment {args.segment!r} on these samples",
                    hint="language, model, prompt_version, variant, or one of: "
                    + ", ".join(
                        k.removeprefix("segments.")
                        for k in samples.segments
                        if k.startswith("segments.")
                    ),
                )
        # The threshold studio's computation, with every value of --segment up to
        # SEGMENTS_SHOWN (the studio draws fewer small multiples).
        view = compute_view(
            data,
            cohort=args.cohort,
            dimension=sliced_by,
            weighted=not args.unweighted,
            limit=SEGMENTS_SHOWN,
        )
        curves, plain, segments, weighted = view.curves, view.plain, view.segments, view.weighted
        current_t = curves.current if curves.current is not None else policy.threshold
        current = curves.at(current_t)
        at = curves.at(args.at) if args.at is not None else None
        suggestions = []
        if costs is not None:
            suggestions.append(("costs", curves.suggest_by_cost(*costs)))
        if args.target_precision is not None:
            suggestions.append(
                ("target_precision", curves.suggest_for_precision(args.target_precision))
            )
        proposal = None
        if args.propose is not None:
            proposal = create_proposal(
                engine,
                policy,
                segment=args.cohort,
                new_value=args.at,
                rationale=args.propose,
                evidence=proposal_evidence(curves, args.at, unweighted=plain),
                proposer=reviewer_name() or "",
            )
    finally:
        engine.dispose()

    if args.json:
        out: dict[str, Any] = {
            "policy": policy.as_dict(),
            "scope": {
                "prompts": list(data.prompts),
                "cohort": args.cohort,
                "traffic": curves.traffic,
                "reviewed": curves.reviewed,
                "unsure": curves.unsure,
                "disputed": curves.disputed,
                "without_score": samples.without_score,
                "weighted": weighted,
            },
            "current": current.as_dict(),
            "drift": None if drift is None else drift.message,
        }
        if at is not None:
            out["at"] = at.as_dict()
            out["summary"] = describe_change(current, at)
        if plain is not None:
            out["unweighted"] = {"current": plain.at(current_t).as_dict()}
            if args.at is not None:
                out["unweighted"]["at"] = plain.at(args.at).as_dict()
        if segments:
            out["segments"] = [
                {
                    "value": s.value,
                    "current": s.curves.at(s.curves.current or policy.threshold).as_dict(),
                    **({"at": s.curves.at(args.at).as_dict()} if args.at is not None else {}),
                    "warning": s.warning,
                }
                for s in segments
            ]
        for name, suggestion in suggestions:
            out.setdefault("suggestions", {})[name] = {
                "threshold": suggestion.threshold,
                "explanation": suggestion.explanation,
            }
        if proposal is not None:
            out["proposal"] = {"id": str(proposal.id), "status": proposal.status}
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return 0

    print(f"policy    {policy.name}: {policy.rule()}")
    scope = f"prompts {', '.join(data.prompts)}" if data.prompts else "every scored sample"
    cohort = f", {policy.segment_field} = {args.cohort}" if args.cohort else ""
    print(
        f"scope     {scope}{cohort}: {fmt_count(curves.traffic)} scored samples, "
        f"{fmt_count(curves.reviewed)} reviewed good or bad "
        f"({fmt_count(curves.unsure)} unsure and {fmt_count(curves.disputed)} tied left out)"
    )
    if weighted:
        print("weights   re-weighted to production traffic (1 / inclusion probability)")
    if curves.reviewed < MIN_SEGMENT_REVIEWED:
        print(f"warning   only {curves.reviewed} reviewed samples: rates are very uncertain")
    if drift is not None:
        print(f"drift     ⚠ {drift.message}")
    print()

    def column(point: OperatingPoint) -> list[str]:
        return [
            point.precision.percent(),
            point.recall.percent(),
            point.fpr.percent(),
            point.override.percent(),
            point.automation.percent(),
            f"TP {point.tp:,.0f}  FP {point.fp:,.0f}  FN {point.fn:,.0f}  TN {point.tn:,.0f}",
        ]

    names = ["precision", "recall", "false positive rate", "override rate", "automation",
             "confusion"]  # fmt: skip
    header = ["", f"current {current_t:g}"]
    cols = [column(current)]
    if at is not None:
        header.append(f"at {args.at:g}")
        cols.append(column(at))
    if plain is not None:
        header.append(f"unweighted at {args.at if args.at is not None else current_t:g}")
        cols.append(column(plain.at(args.at if args.at is not None else current_t)))
    rows = [[name, *(c[i] for c in cols)] for i, name in enumerate(names)]
    print_table(header, rows)
    if at is not None:
        print()
        print(describe_change(current, at))
    if segments:
        print()
        t_label = f"at {args.at:g}" if args.at is not None else "current"
        seg_rows = []
        for s in segments:
            point = s.curves.at(args.at if args.at is not None else (s.curves.current or 0.0))
            seg_rows.append(
                [
                    s.value,
                    f"{s.curves.current:g}" if s.curves.current is not None else "",
                    fmt_count(s.curves.reviewed),
                    point.precision.percent(),
                    point.recall.percent(),
                    point.automation.percent(),
                    "⚠ too few reviewed" if s.warning else "",
                ]
            )
        print_table(
            [args.segment, "threshold", "reviewed", f"precision {t_label}", "recall",
             "automation", ""],
            seg_rows,
            numeric=(1, 2),
        )  # fmt: skip
    for name, suggestion in suggestions:
        print()
        label = "suggested (costs)" if name == "costs" else "suggested (precision)"
        value = f"{suggestion.threshold:g}" if suggestion.threshold is not None else "none"
        print(f"{label}: {value}")
        print(f"  {suggestion.explanation}")
    if proposal is not None:
        print()
        print(
            f"proposal {str(proposal.id)[:8]} stored: {proposal.old_value:g} → "
            f"{proposal.new_value:g} by {proposal.proposer}, waiting for a lead"
        )
    return 0


def cmd_policies(args: argparse.Namespace) -> int:
    from redline.policies.service import export_policies, import_policies, list_policies

    engine = open_store(args, create=args.import_file is not None)
    try:
        if args.import_file is not None:
            created, skipped = import_policies(
                engine, args.import_file, created_by=reviewer_name() or ""
            )
            print(f"created {len(created)} policies: {', '.join(created) or '-'}")
            if skipped:
                print(f"skipped (a policy of that name exists): {', '.join(skipped)}")
        if args.export is not None:
            data = export_policies(engine, args.export)
            print(f"wrote {len(data['policies'])} policies to {args.export}")
        if args.import_file is not None or args.export is not None:
            return 0
        policies = list_policies(engine)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([p.as_dict() for p in policies], indent=2, ensure_ascii=False))
        return 0
    if not policies:
        print("no policies yet: create one in the threshold studio, or redline policies --import")
        return 0
    print_table(["policy", "rule", "by"], [[p.name, p.rule(), p.created_by] for p in policies])
    return 0
