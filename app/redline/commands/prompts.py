"""`redline prompts ...` (the catalog, its lifecycle and audit trail) and `redline experiment`.

Who you are and your role come from the settings (`reviewer`, `role`); the same rules
as in the GUI apply (`redline.prompts.rules`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redline.commands.common import (
    EXIT_ERROR,
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

ACTIONS = ("submit", "approve", "reject", "deploy", "retire")


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    p = commands.add_parser(
        "prompts",
        parents=[common],
        help="the prompt catalog: versions, review, deployment, audit",
        description="The prompt catalog. Lifecycle: draft → in_review → approved → deployed "
        "→ retired (or rejected). Only leads approve and deploy; no one approves their own "
        "version. Your name and role come from the settings.",
    )
    sub = p.add_subparsers(dest="prompts_command", metavar="ACTION", required=True)
    sub.add_parser("list", parents=[common], help="every prompt with its deployed version")
    s = sub.add_parser("show", parents=[common], help="a prompt's versions, or one version")
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("version", nargs="?", metavar="VERSION")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s = sub.add_parser("diff", parents=[common], help="word diff of two versions")
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("old", metavar="OLD")
    s.add_argument("new", metavar="NEW")
    s = sub.add_parser(
        "new",
        parents=[common],
        help="create a draft version from a YAML or JSON file (as `prompts export` writes)",
    )
    s.add_argument("name", metavar="PROMPT")
    s.add_argument(
        "file", type=Path, metavar="FILE",
        help="YAML (.yaml/.yml) or JSON with template, variables, ...",
    )  # fmt: skip
    s.add_argument("--version", dest="label", metavar="LABEL", help="label (default: next vN)")
    s.add_argument("--create-prompt", action="store_true", help="add the prompt if missing")
    s = sub.add_parser("export", parents=[common], help="write one version as YAML or JSON")
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("version", metavar="VERSION")
    s.add_argument(
        "-o", "--output", type=Path, metavar="FILE",
        help="file; .yaml/.yml writes YAML, else JSON (default: stdout)",
    )  # fmt: skip
    s.add_argument("--format", choices=("json", "yaml"), help="format on stdout (default: json)")
    for action in ACTIONS:
        s = sub.add_parser(action, parents=[common], help=f"{action} a version")
        s.add_argument("name", metavar="PROMPT")
        s.add_argument("version", metavar="VERSION")
        s.add_argument("--reason", default="", help="why (kept in the audit trail)")
    s = sub.add_parser(
        "rollback", parents=[common], help="deploy the previous approved version again"
    )
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("--to", metavar="VERSION", help="the version to deploy (default: previous)")
    s.add_argument("--reason", default="", help="why (kept in the audit trail)")
    s = sub.add_parser("audit", parents=[common], help="the audit trail, newest first")
    s.add_argument("name", nargs="?", metavar="PROMPT", help="only this prompt's events")
    s.add_argument("--by", metavar="PERSON", help="only this person's events")
    s.add_argument("--since", metavar="DATE", help="from this date (YYYY-MM-DD, UTC)")
    s.add_argument("--until", metavar="DATE", help="before this date (YYYY-MM-DD, UTC)")
    s.add_argument("--verify", action="store_true", help="check the hash chain; exit 2 if broken")

    r = sub.add_parser(
        "regression",
        parents=[common],
        help="a version's regression set: build it, import a new version's outputs, compare",
        description="build: the samples of VERSION judged bad, as JSONL cases (id, messages, "
        "reference, original_output) with PII masked and a manifest. import: a new version's "
        'outputs on those cases ({"id": CASE_ID, "output": "..."} per line) as one batch for '
        "review. compare: the new version's verdicts against the cases', pair by pair, and "
        "the reviewers' pairwise preferences (win rate, sign test). dpo: the pairwise "
        "preferences as DPO training pairs.",
    )
    steps = r.add_subparsers(dest="regression_step", metavar="STEP", required=True)
    s = steps.add_parser("build", parents=[common], help="write the regression set of a version")
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("version", metavar="VERSION", help="the version whose failures to collect")
    s.add_argument("out", type=Path, metavar="OUT", help="the JSONL file to write")
    s.add_argument("--no-redact", action="store_true", help="write PII as it is")
    s.add_argument("--force", action="store_true", help="replace existing files")
    s = steps.add_parser("import", parents=[common], help="import a new version's outputs")
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("version", metavar="NEW_VERSION", help="the version that made the outputs")
    s.add_argument("file", type=Path, metavar="FILE", help="JSONL: id + output per line")
    s = steps.add_parser("compare", parents=[common], help="the new version against the cases")
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("version", metavar="NEW_VERSION")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s = steps.add_parser(
        "dpo",
        parents=[common],
        help="write the pairwise preferences as DPO pairs (chosen = the preferred output)",
    )
    s.add_argument("name", metavar="PROMPT")
    s.add_argument("version", metavar="NEW_VERSION")
    s.add_argument("out", type=Path, metavar="OUT", help="the JSONL file to write")
    s.add_argument("--reviewer", metavar="NAME", help="only this reviewer's choices")
    s.add_argument("--no-redact", action="store_true", help="write PII as it is")
    s.add_argument("--force", action="store_true", help="replace existing files")

    e = commands.add_parser(
        "experiment",
        parents=[common],
        usage="%(prog)s [NAME] [--json] [--min-samples N] [--assign SESSION_ID]\n"
        "       %(prog)s create NEW_NAME --prompt PROMPT --control V --treatment V "
        "[--split SHARE] [--min-samples N]",
        help="A/B comparison of an experiment's arms (no name: list; create NEW_NAME: add one)",
        description="Satisfaction per arm with Wilson intervals, the difference with "
        "Newcombe's interval, a z-test (Fisher's exact for small counts), the sample-ratio "
        "check against the planned split. `create NEW_NAME` adds an experiment between two "
        "versions of one prompt.",
    )
    e.add_argument("name", nargs="?", metavar="NAME", help="experiment name or unique prefix")
    e.add_argument("new_name", nargs="?", metavar="NEW_NAME", help="with create: its name")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.add_argument(
        "--min-samples",
        type=int,
        metavar="N",
        help="judged samples needed per arm (with create: the experiment's minimum, 200)",
    )
    e.add_argument("--assign", metavar="SESSION_ID", help="print the arm a session is assigned to")
    create = e.add_argument_group("create")
    create.add_argument("--prompt", metavar="PROMPT", help="the prompt both arms belong to")
    create.add_argument("--control", metavar="VERSION", help="the control arm's version")
    create.add_argument("--treatment", metavar="VERSION", help="the treatment arm's version")
    create.add_argument("--control-variant", metavar="LABEL", help="its A/B label in the logs")
    create.add_argument("--treatment-variant", metavar="LABEL", help="its A/B label in the logs")
    create.add_argument(
        "--split", type=float, default=0.5, metavar="SHARE", help="the control's share (0.5)"
    )
    return {"prompts": cmd_prompts, "experiment": cmd_experiment}


# --------------------------------------------------------------------------- helpers


def _date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RedlineError(
            f"{option} {value!r} is not a date", hint="write it as YYYY-MM-DD"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _identity() -> tuple[str, Any]:
    from redline.roles import parse_role
    from redline.settings import load_settings

    return reviewer_name(), parse_role(load_settings().role)


def _version_dict(version: Any) -> dict[str, Any]:
    return {
        "prompt": version.prompt_name,
        "version": version.version,
        "status": version.status.value,
        "author": version.author,
        "parent": version.parent_version,
        "template": version.template,
        "variables": list(version.variables),
        "parameters": version.parameters,
        "tools": list(version.tools),
        "change_note": version.change_note,
        "created_at": version.created_at.isoformat(),
        "decided_by": version.decided_by,
    }


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


# --------------------------------------------------------------------------- prompts


def cmd_prompts(args: argparse.Namespace) -> int:

    engine = open_store(args, create=args.prompts_command == "new")
    try:
        handler = {
            "list": _list,
            "show": _show,
            "diff": _diff,
            "new": _new,
            "export": _export,
            "rollback": _rollback,
            "audit": _audit,
            "regression": _regression,
        }.get(args.prompts_command, _transition)
        ok = handler(engine, args)
    finally:
        engine.dispose()
    return EXIT_OK if ok else EXIT_ERROR


def _list(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import list_prompts

    prompts = list_prompts(engine)
    if not prompts:
        print("no prompts yet (redline prompts new NAME FILE --create-prompt, or redline demo)")
        return True
    rows = [
        (p.name, p.deployed or "-", str(p.versions), p.owner, ", ".join(p.tags), p.purpose[:50])
        for p in prompts
    ]
    print_table(("prompt", "deployed", "versions", "owner", "tags", "purpose"), rows, numeric=[2])
    return True


def _show(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import find_version, list_versions
    from redline.prompts.evidence import version_quality_of

    if args.version is None:
        versions = list_versions(engine, args.name)
        if args.json:
            print(json.dumps([_version_dict(v) for v in versions], indent=2, ensure_ascii=False))
            return True
        rows = []
        for v in versions:
            q = version_quality_of(engine, v.prompt_name, v.version)
            rows.append(
                (
                    v.version,
                    v.status.value,
                    v.author,
                    _when(v.created_at),
                    q.satisfaction.percent() if q.judged else "-",
                    v.change_note[:60],
                )
            )
        print_table(("version", "status", "author", "created", "satisfaction", "note"), rows)
        return True
    version = find_version(engine, args.name, args.version)
    quality = version_quality_of(engine, version.prompt_name, version.version)
    if args.json:
        print(
            json.dumps(
                {**_version_dict(version), "quality": quality.as_dict()},
                indent=2,
                ensure_ascii=False,
            )
        )
        return True
    print(f"{version.label}  [{version.status.value}]  by {version.author}")
    if version.parent_version:
        print(f"parent      {version.parent_version}")
    if version.decided_by:
        print(f"decided by  {version.decided_by} at {_when(version.decided_at)}")
    print(f"note        {version.change_note}")
    print(f"variables   {', '.join(version.variables) or '-'}")
    print(f"parameters  {json.dumps(version.parameters, sort_keys=True)}")
    print(f"tools       {json.dumps(list(version.tools)) if version.tools else '-'}")
    print("template:")
    for line in version.template.splitlines():
        print(f"  {line}")
    print()
    _print_quality(quality)
    return True


def _print_quality(q: Any) -> None:
    print(f"quality ({q.samples:,} samples, {q.judged:,} judged)")
    if not q.judged:
        print("  no reviews yet")
    print(f"  satisfaction   {q.satisfaction.percent()}")
    if q.satisfaction_weighted is not None:
        print(f"  (weighted)     {q.satisfaction_weighted.percent()}")
    m = q.mean_rating
    if m.defined:
        print(f"  mean rating    {m.value:.2f} ({m.low:.2f}–{m.high:.2f}, n={m.n})")
    print(f"  corrected      {q.correction_rate.percent()}")
    print(f"  overridden     {q.override_rate.percent()}")
    for label, mean, unit in (
        ("tokens in", q.tokens_in, ""),
        ("tokens out", q.tokens_out, ""),
        ("latency", q.latency_ms, " ms"),
    ):
        if mean.defined:
            print(
                f"  {label:<14} {mean.value:,.0f}{unit} "
                f"({mean.low:,.0f}–{mean.high:,.0f}, n={mean.n})"
            )
    for category in q.failure_categories:
        print(f"  failure: {category.name:<16} {category.rate.percent()}")


def _diff(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import find_version
    from redline.prompts.diff import version_diff

    old = find_version(engine, args.name, args.old)
    new = find_version(engine, args.name, args.new)
    color = sys.stdout.isatty()
    print(f"{old.label} → {new.version}")
    for part in version_diff(old, new):
        print(f"\n== {part.name}: {part.summary()}")
        if not part.changed:
            continue
        out = []
        for seg in part.segments:
            if seg.kind == "equal":
                out.append(seg.text)
            elif seg.kind == "delete":
                out.append(f"\x1b[9;31m{seg.text}\x1b[0m" if color else f"[-{seg.text}-]")
            else:
                out.append(f"\x1b[4;32m{seg.text}\x1b[0m" if color else f"{{+{seg.text}+}}")
        print("".join(out))
    return True


def _new(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import create_draft, create_prompt, list_prompts
    from redline.prompts.files import read_version_file

    actor, _role = _identity()
    spec, label = read_version_file(args.file)
    if args.create_prompt and args.name not in {p.name for p in list_prompts(engine)}:
        create_prompt(engine, args.name, actor=actor)
    version = create_draft(engine, args.name, spec, actor=actor, version=args.label or label)
    print(
        f"draft {version.label} created; submit it with: "
        f"redline prompts submit {args.name} {version.version}"
    )
    return True


def _export(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import find_version
    from redline.prompts.files import file_format, version_file_text

    version = find_version(engine, args.name, args.version)
    if args.output is None:
        sys.stdout.write(version_file_text(version, args.format or "json"))
    else:
        fmt = args.format or file_format(args.output)
        try:
            args.output.write_text(version_file_text(version, fmt), encoding="utf-8")
        except OSError as exc:
            raise RedlineError(
                f"cannot write the file ({exc.strerror})", where=str(args.output)
            ) from exc
        print(f"{version.label} written to {args.output} ({fmt.upper()})")
    return True


def _transition(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import find_version, transition
    from redline.prompts.rules import Action

    actor, role = _identity()
    version = find_version(engine, args.name, args.version)
    after = transition(
        engine, version.id, Action(args.prompts_command), actor=actor, role=role, reason=args.reason
    )
    print(f"{after.label}: {version.status.value} → {after.status.value}")
    return True


def _rollback(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import deployed_version, rollback

    actor, role = _identity()
    before = deployed_version(engine, args.name)
    after = rollback(
        engine, args.name, actor=actor, role=role, reason=args.reason, to_version=args.to
    )
    was = before.version if before else "nothing"
    print(f"{args.name}: rolled back from {was} to {after.version} (now deployed)")
    return True


def _audit(engine: Any, args: argparse.Namespace) -> bool:
    from redline.prompts.catalog import list_prompts, list_versions
    from redline.store.audit import audit_events, verify_chain

    if args.verify:
        report = verify_chain(engine)
        if report.intact:
            print(f"audit trail intact: {report.events:,} events, every hash matches")
            return True
        print(
            f"audit trail BROKEN at event {report.broken_at}: {report.problem}",
            file=sys.stderr,
        )
        return False
    entity_ids = None
    if args.name:
        prompt = next((p for p in list_prompts(engine) if p.name == args.name), None)
        if prompt is None:
            raise RedlineError(f"no prompt named {args.name!r}")
        entity_ids = [str(prompt.id), *(str(v.id) for v in list_versions(engine, args.name))]
    events = audit_events(
        engine,
        entity_ids=entity_ids,
        actor=args.by,
        since=_date(args.since, "--since"),
        until=_date(args.until, "--until"),
    )
    if not events:
        print("no audit events match")
        return True
    rows = [
        (
            e.ref,
            _when(e.occurred_at),
            e.actor,
            e.action,
            e.label or e.entity_id[:12],
            _change(e.before, e.after),
            e.reason[:50],
        )
        for e in events
    ]
    print_table(("#", "when (UTC)", "who", "action", "what", "change", "reason"), rows, numeric=[0])
    return True


def _regression(engine: Any, args: argparse.Namespace) -> bool:
    from redline.commands.export import print_result
    from redline.export.pairwise import export_preference_pairs
    from redline.export.service import configured_profile
    from redline.prompts.regression import (
        build_regression_set,
        compare_regression,
        import_regression_outputs,
        regression_options,
    )
    from redline.review.pairwise import pairwise_results
    from redline.settings import load_settings

    if args.regression_step == "compare":
        comparison = compare_regression(engine, args.name, args.version)
        preferences = pairwise_results(engine, args.name, args.version)
        _print_comparison(comparison, preferences, as_json=args.json)
        return True
    progress = TerminalProgress(sys.stderr)
    try:
        with cancel_on_interrupt(progress):
            if args.regression_step == "dpo":
                exported = export_preference_pairs(
                    engine,
                    args.out,
                    prompt_name=args.name,
                    version=args.version,
                    reviewer=args.reviewer,
                    redact=not args.no_redact,
                    custom_patterns=dict(load_settings().redaction_patterns),
                    overwrite=args.force,
                    progress=progress,
                )
            elif args.regression_step == "build":
                settings = load_settings()
                options = regression_options(
                    args.name,
                    args.version,
                    redact=not args.no_redact,
                    custom_patterns=dict(settings.redaction_patterns),
                    overwrite=args.force,
                    shared_profile=configured_profile(settings),
                )
                result = build_regression_set(
                    engine, args.name, args.version, args.out, options=options, progress=progress
                )
            else:
                report = import_regression_outputs(
                    engine,
                    args.file,
                    prompt_name=args.name,
                    version=args.version,
                    imported_by=reviewer_name(),
                    progress=progress,
                )
    finally:
        progress.clear()
    if args.regression_step == "dpo":
        print(exported.summary())
        print(f"manifest: {exported.manifest_path}")
    elif args.regression_step == "build":
        print_result(result, dry=False)
        print(
            f"next: run the cases through the new version, then `redline prompts regression "
            f"import {args.name} NEW_VERSION OUTPUTS.jsonl`"
        )
    else:
        print(
            f"{args.name} {args.version}: imported {report.imported:,} outputs as batch "
            f"{report.batch_id}" + (f" ({report.message})" if report.imported == 0 else "")
        )
        print(
            f"review them in the queue (batch filter), then `redline prompts regression "
            f"compare {args.name} {args.version}`"
        )
    return True


def _print_comparison(comparison: Any, preferences: Any, *, as_json: bool) -> None:
    c = comparison
    w = preferences
    if as_json:
        data = {
            "prompt": c.prompt_name,
            "version": c.version,
            "cases": len(c.pairs),
            "judged": c.judged,
            "fixed": c.fixed,
            "broken": c.broken,
            "still_bad": c.still_bad,
            "unjudged": c.unjudged,
            "fix_rate": {"value": _num(c.fix_rate.value), "low": _num(c.fix_rate.low),
                         "high": _num(c.fix_rate.high), "n": c.fix_rate.n},
            "mcnemar_p": _num(c.test.p_value),
            "pairs": [
                {"case": str(p.case_id), "new_sample": str(p.new_id), "base": p.base_version,
                 "verdict_a": p.verdict_a, "verdict_b": p.verdict_b}
                for p in c.pairs
            ],
            "pairwise": {
                "pairs": w.pairs, "judged_pairs": w.judged_pairs, "reviewers": w.reviewers,
                # Every reviewer's choice on its own (a pair judged by two counts twice).
                "candidate": w.candidate, "baseline": w.baseline, "ties": w.ties,
                "both_bad": w.both_bad,
                # One vote per judged pair: what the win rate and the sign test count.
                "unit": "pair",
                "pair_votes": {"candidate": w.votes.candidate, "baseline": w.votes.baseline,
                               "ties": w.votes.ties, "both_bad": w.votes.both_bad,
                               "split": w.votes.split},
                "split": w.votes.split,
                "win_rate": {"value": _num(w.win_rate.value), "low": _num(w.win_rate.low),
                             "high": _num(w.win_rate.high), "n": w.win_rate.n},
                "sign_test_p": _num(w.test.p_value),
                "excluded": "one vote per pair (its reviewers' most common choice); tied, "
                "both bad and split pairs are left out of the win rate and the test",
            },
        }  # fmt: skip
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    print(f"{c.prompt_name} {c.version} on its regression set: {c.summary()}")
    if c.fixed + c.broken:
        print(f"  McNemar's exact test on the {c.fixed + c.broken:,} changed pairs: "
              f"p = {c.test.p_value:.3g}")  # fmt: skip
    print(f"pairwise preference: {w.summary()}")
    if w.decided:
        print(f"  win rate with its Wilson 95 % interval; exact sign test p = "
              f"{w.test.p_value:.3g} on {w.decided:,} decided pairs; tied, both bad and "
              "split pairs excluded")  # fmt: skip
    if w.choices:
        print(f"  {w.choices_summary()}")


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    old = (before or {}).get("status")
    new = (after or {}).get("status")
    if old and new and old != new:
        return f"{old} → {new}"
    return new or ""


# --------------------------------------------------------------------------- experiment


def cmd_experiment(args: argparse.Namespace) -> int:
    from redline.analytics.experiments import assign_arm
    from redline.prompts.evidence import experiment_result, find_experiment, list_experiments

    create_options = ("prompt", "control", "treatment", "control_variant", "treatment_variant")
    if args.name == "create":
        return _create_experiment(args)
    given = [f"--{o.replace('_', '-')}" for o in create_options if getattr(args, o) is not None]
    if given or args.new_name is not None:
        raise RedlineError(
            f"{', '.join(given) or repr(args.new_name)} only goes with `redline experiment "
            "create NEW_NAME`"
        )
    engine = open_store(args, create=False)
    try:
        if args.name is None:
            experiments = list_experiments(engine)
            if not experiments:
                print("no experiments yet")
                return EXIT_OK
            rows = [
                (e.name, e.prompt_name or "", e.control, e.treatment, e.status) for e in experiments
            ]
            print_table(("experiment", "prompt", "control", "treatment", "status"), rows)
            return EXIT_OK
        if args.assign is not None:
            info = find_experiment(engine, args.name)
            arm = assign_arm(
                args.assign,
                info.name,
                (info.control, info.treatment),
                (info.planned_split, 1 - info.planned_split),
            )
            print(arm)
            return EXIT_OK
        if args.min_samples is not None and args.min_samples < 1:
            raise RedlineError(f"--min-samples must be at least 1 (got {args.min_samples})")
        info, result = experiment_result(engine, args.name, min_samples_per_arm=args.min_samples)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{info.name}  ({info.prompt_name}, {info.status})")
    print(f"verdict: {result.verdict()}")
    print()
    rows = [
        (
            a.name,
            f"{a.quality.samples:,}",
            f"{a.quality.judged:,}",
            a.satisfaction.percent(),
            "yes" if a.enough else f"no (< {result.min_samples_per_arm})",
        )
        for a in result.arms
    ]
    print_table(("arm", "samples", "judged", "satisfaction", "enough"), rows, numeric=[1, 2])
    for c in result.comparisons:
        print()
        print(
            f"{c.arm} − {c.control}: {100 * c.difference:+.1f} points "
            f"({100 * c.low:+.1f} to {100 * c.high:+.1f}), {_test_text(c)}"
        )
        if c.weighted_difference is not None and c.weighted_low is not None:
            print(
                f"  re-weighted to production traffic: {100 * c.weighted_difference:+.1f} "
                f"points ({100 * c.weighted_low:+.1f} to {100 * (c.weighted_high or 0):+.1f})"
            )
    srm = result.sample_ratio
    planned = " / ".join(f"{100 * s:.0f} %" for s in srm.planned)
    observed = " / ".join(f"{o:,.0f}" for o in srm.observed)
    flag = "MISMATCH" if srm.mismatch else "ok"
    print(
        f"\nsample ratio: {observed} against {planned} planned: {flag} "
        f"(χ² = {srm.test.statistic:.2f}, p = {srm.test.p_value:.3g})"
    )
    for note in result.notes:
        print(f"note: {note}")
    return EXIT_OK


def _create_experiment(args: argparse.Namespace) -> int:
    from redline.prompts.experiments import DEFAULT_MIN_SAMPLES, ExperimentSpec, create_experiment

    missing = [
        option
        for option, value in (
            ("NEW_NAME", args.new_name),
            ("--prompt", args.prompt),
            ("--control", args.control),
            ("--treatment", args.treatment),
        )
        if not value
    ]
    if missing:
        raise RedlineError(
            f"experiment create needs {', '.join(missing)}",
            hint="redline experiment create NEW_NAME --prompt PROMPT --control V1 --treatment V2",
        )
    spec = ExperimentSpec(
        name=args.new_name,
        prompt_name=args.prompt,
        control_version=args.control,
        treatment_version=args.treatment,
        control_variant=args.control_variant,
        treatment_variant=args.treatment_variant,
        planned_split=args.split,
        min_samples_per_arm=(
            args.min_samples if args.min_samples is not None else DEFAULT_MIN_SAMPLES
        ),
    )
    engine = open_store(args, create=False)
    try:
        info = create_experiment(engine, spec, actor=reviewer_name())
    finally:
        engine.dispose()
    print(
        f"experiment {info.name} created: {info.prompt_name} {info.control} (control, "
        f"{100 * info.planned_split:g} %) vs {info.treatment}, at least "
        f"{info.min_samples_per_arm:,} judged samples per arm"
    )
    return EXIT_OK


def _test_text(c: Any) -> str:
    if c.test.test == "fisher":
        return f"Fisher's exact p = {c.test.p_value:.3g}"
    return f"z = {c.test.statistic:.2f}, p = {c.test.p_value:.3g}"
