"""The regression set of a prompt version: the cases its next version must fix.

The loop, end to end:

1. `build_regression_set`: the samples of version A that reviewers judged bad become
   a JSONL file, one case per line (the export's "regression" format: `id`, the input
   `messages`, the `reference` answer from the correction or null, the
   `original_output`). PII is masked as in every export, with a manifest beside it.
2. Elsewhere, the cases run through version B (and A, if wanted).
3. `import_regression_outputs`: a JSONL of `{"id": <case id>, "output": "..."}` lines
   (optionally `model`, `latency_ms`, `tokens_in`, `tokens_out`) comes back as one import
   batch of B's samples: same input as the case, B's output, tagged with B's version, the
   source `regression:<prompt>` and the segment fields `regression_of` (the case) and
   `regression_base` (A's version). They are reviewed like any sample.
4. `compare_regression`: per case, A's judgment against B's, paired: how many B fixed,
   how many it broke, the fix rate with its Wilson interval, and McNemar's exact test on
   the pairs that changed.
5. Pairwise review (`redline.review.pairwise`, the "Pairwise" workspace): the same
   input once, A's and B's outputs side by side (blind order), and the reviewer's
   preference; `pairwise_results` gives B's win rate and the sign test, and
   `redline.export.pairwise` writes the decided pairs as DPO training data.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select, update

from redline import clock
from redline.analytics.stats import Rate, TestResult, mcnemar_exact, rate
from redline.errors import RedlineError
from redline.export.resolve import resolve
from redline.export.service import run_export
from redline.export.types import ExportFilters, ExportOptions, ExportResult, ReviewRow
from redline.ingest.service import import_file
from redline.ingest.types import ImportReport
from redline.progress import NO_PROGRESS, Progress, check
from redline.review.regression_cases import cases, chunks, regression_outputs, regression_source
from redline.store.models import Batch, Review, Sample
from redline.store.session import session_scope

__all__ = [
    "RegressionComparison",
    "RegressionPair",
    "build_regression_set",
    "compare_regression",
    "import_regression_outputs",
    "regression_options",
    "regression_source",
]

MAX_PROBLEMS_SHOWN = 5
_OPTIONAL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "latency_ms": (int, float),
    "tokens_in": int,
    "tokens_out": int,
}


def regression_options(
    prompt_name: str,
    version: str,
    *,
    redact: bool = True,
    custom_patterns: dict[str, str] | None = None,
    overwrite: bool = False,
    shared_profile: str | None = None,
) -> ExportOptions:
    """The export that makes a version's regression set: its samples judged bad."""
    return ExportOptions(
        format="regression",
        filters=ExportFilters(prompt_name=prompt_name, prompt_version=version, verdicts=("bad",)),
        redact=redact,
        custom_patterns=dict(custom_patterns or {}),
        overwrite=overwrite,
        shared_profile=shared_profile,
    )


def build_regression_set(
    engine: Engine,
    prompt_name: str,
    version: str,
    out: Path,
    *,
    options: ExportOptions | None = None,
    progress: Progress = NO_PROGRESS,
) -> ExportResult:
    """Write the regression set of `prompt_name` `version` to `out` (and its manifest).

    `options` defaults to `regression_options(prompt_name, version)`; pass it to set
    redaction, overwriting or the shared profile.
    """
    options = options or regression_options(prompt_name, version)
    return run_export(engine, options, out, progress=progress)


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class _Output:
    line: int
    case_id: uuid.UUID
    output: str
    extra: dict[str, Any]


def _read_outputs(path: Path, problems: list[str]) -> list[_Output]:
    """Parse the outputs file; bad lines are added to `problems` with their number."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RedlineError(f"cannot read the file ({exc.strerror})", where=str(path)) from None
    outputs: list[_Output] = []
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError:
                problems.append(f"line {number}: not valid JSON")
                continue
            if not isinstance(record, dict):
                problems.append(f"line {number}: not a JSON object")
                continue
            try:
                case_id = uuid.UUID(str(record.get("id", "")))
            except ValueError:
                problems.append(f"line {number}: 'id' is not a case id from the regression set")
                continue
            output = record.get("output")
            if not isinstance(output, str) or not output.strip():
                problems.append(f"line {number}: no 'output' text")
                continue
            extra = {}
            for name, kind in _OPTIONAL_FIELDS.items():
                value = record.get(name)
                if value is None:
                    continue
                if not isinstance(value, kind) or isinstance(value, bool):
                    problems.append(f"line {number}: '{name}' has the wrong type")
                    break
                extra[name] = value
            else:
                outputs.append(_Output(number, case_id, output, extra))
    return outputs


def import_regression_outputs(
    engine: Engine,
    path: Path,
    *,
    prompt_name: str,
    version: str,
    imported_by: str = "",
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Import version `version`'s outputs on a regression set as one batch (see the module
    docstring for the file). All or nothing: a file with any bad line is refused with
    the lines named, and nothing is written. Importing the same outputs again adds
    nothing (each case has one sample per version).
    """
    path = Path(path)
    problems: list[str] = []
    outputs = _read_outputs(path, problems)
    seen: dict[uuid.UUID, int] = {}
    for item in outputs:
        if item.case_id in seen:
            problems.append(
                f"line {item.line}: case {item.case_id} is on line {seen[item.case_id]} too"
            )
        seen.setdefault(item.case_id, item.line)
    cases: dict[uuid.UUID, Any] = {}
    with session_scope(engine) as session:
        for chunk in chunks(list(seen)):
            check(progress)
            rows = session.execute(
                select(
                    Sample.id,
                    Sample.prompt_name,
                    Sample.prompt_version,
                    Sample.system_prompt,
                    Sample.input_text,
                    Sample.input_messages,
                    Sample.language,
                    Sample.model,
                ).where(Sample.id.in_(chunk))
            ).all()
            cases.update({row.id: row for row in rows})
    for item in outputs:
        case = cases.get(item.case_id)
        if case is None:
            problems.append(f"line {item.line}: no sample {item.case_id} in this store")
        elif case.prompt_name != prompt_name:
            problems.append(
                f"line {item.line}: case {item.case_id} is a sample of "
                f"{case.prompt_name or 'no prompt'}, not of {prompt_name}"
            )
        elif case.prompt_version == version:
            problems.append(
                f"line {item.line}: case {item.case_id} is already a sample of {version}"
            )
    if not outputs and not problems:
        problems.append("no outputs in the file")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        raise RedlineError(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}, nothing imported: "
            + shown
            + (f"; and {more} more" if more > 0 else ""),
            where=str(path),
            hint='one line per case: {"id": "<id from the regression set>", "output": "..."}',
        )
    now = clock.now().isoformat()
    with tempfile.TemporaryDirectory(prefix="redline-regression-") as folder:
        staged = Path(folder) / (path.stem + ".jsonl")
        with staged.open("wb") as out:
            for item in outputs:
                case = cases[item.case_id]
                record: dict[str, Any] = {
                    "external_id": f"{item.case_id}@{version}",
                    "captured_at": now,
                    "prompt_name": prompt_name,
                    "prompt_version": version,
                    "system_prompt": case.system_prompt,
                    "output": item.output,
                    "model": case.model,
                    "language": case.language,
                    "regression_of": str(item.case_id),
                    "regression_base": case.prompt_version,
                    **item.extra,
                }
                if case.input_messages:
                    record["messages"] = case.input_messages
                else:
                    record["input"] = case.input_text
                out.write(orjson.dumps(record) + b"\n")
        mapping = {
            name: name
            for name in ("external_id", "captured_at", "prompt_name", "prompt_version",
                         "system_prompt", "output", "model", "language", "messages", "input",
                         "latency_ms", "tokens_in", "tokens_out")
        }  # fmt: skip
        mapping["segment.regression_of"] = "regression_of"
        mapping["segment.regression_base"] = "regression_base"
        report = import_file(
            staged,
            engine=engine,
            source=regression_source(prompt_name),
            mapping=mapping,
            imported_by=imported_by,
            progress=progress,
        )
    # The batch names the user's file, not the staged copy (gone now).
    with session_scope(engine) as session:
        session.execute(
            update(Batch).where(Batch.id == report.batch_id).values(file_name=str(path))
        )
    return replace(report, file_name=str(path))


# --------------------------------------------------------------------------- compare


@dataclass(frozen=True, slots=True)
class RegressionPair:
    """One case: the original sample (A) and the new version's sample (B) for its input."""

    case_id: uuid.UUID
    new_id: uuid.UUID
    base_version: str | None
    verdict_a: str | None
    verdict_b: str | None  # None: B's output not judged yet (or reviewers disagree)
    output_a: str
    output_b: str


@dataclass(frozen=True)
class RegressionComparison:
    """A against B on a regression set, pair by pair.

    Attributes:
        prompt_name / version: the prompt and B's version.
        pairs: every case with B's output, in case id order.
        judged: pairs where both A and B have a verdict.
        fixed: A bad, B good. broken: A good, B bad. still_bad: both bad.
        fix_rate: B good among judged pairs whose A was bad (Wilson interval).
        test: McNemar's exact test on the changed pairs (fixed vs broken).
    """

    prompt_name: str
    version: str
    pairs: tuple[RegressionPair, ...]
    judged: int
    fixed: int
    broken: int
    still_bad: int
    unjudged: int
    fix_rate: Rate
    test: TestResult

    def summary(self) -> str:
        """One sentence for a person."""
        if not self.pairs:
            return (
                f"no outputs of {self.version} on a regression set yet "
                "(redline prompts regression import)"
            )
        if not self.judged:
            return f"{len(self.pairs):,} cases with {self.version}'s output, none judged yet"
        return (
            f"{self.version} fixed {self.fixed:,} of {self.fixed + self.still_bad:,} judged "
            f"failures ({self.fix_rate.percent()}), broke {self.broken:,}; "
            f"{self.unjudged:,} not judged yet"
        )


def _verdicts(session: Any, sample_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """Each sample's resolved verdict (the export's rules: adjudication, then majority)."""
    reviews: dict[uuid.UUID, list[ReviewRow]] = {}
    for chunk in chunks(sample_ids):
        rows = session.execute(
            select(
                Review.sample_id,
                Review.reviewer,
                Review.verdict,
                Review.adjudicated,
                Review.updated_at,
            ).where(Review.sample_id.in_(chunk), Review.deleted.is_(False))
        ).all()
        for row in rows:
            reviews.setdefault(row.sample_id, []).append(
                ReviewRow(
                    reviewer=row.reviewer,
                    verdict=row.verdict,
                    rating=None,
                    categories=(),
                    note="",
                    correction=None,
                    flagged=False,
                    adjudicated=bool(row.adjudicated),
                    time_spent_ms=0,
                    updated_raw=row.updated_at,
                )
            )
    verdicts: dict[uuid.UUID, str | None] = {}
    for sample_id, found in reviews.items():
        resolved = resolve(found)
        verdicts[sample_id] = None if isinstance(resolved, str) else resolved.verdict
    return verdicts


def compare_regression(engine: Engine, prompt_name: str, version: str) -> RegressionComparison:
    """Pair every imported output of `version` with its case and compare the verdicts."""
    with session_scope(engine) as session:
        outputs = regression_outputs(session, prompt_name, version, Sample.output)
        links = {case: row for row, case in outputs}
        case_rows = cases(session, sorted(links))
        verdicts = _verdicts(session, [*case_rows, *(r.id for r in links.values())])
    pairs = tuple(
        RegressionPair(
            case_id=case_id,
            new_id=links[case_id].id,
            base_version=case.prompt_version,
            verdict_a=verdicts.get(case_id),
            verdict_b=verdicts.get(links[case_id].id),
            output_a=case.output or "",
            output_b=links[case_id].output or "",
        )
        for case_id, case in sorted(case_rows.items())
    )
    judged = [p for p in pairs if p.verdict_a and p.verdict_b]
    fixed = sum(1 for p in judged if p.verdict_a == "bad" and p.verdict_b == "good")
    broken = sum(1 for p in judged if p.verdict_a == "good" and p.verdict_b == "bad")
    still_bad = sum(1 for p in judged if p.verdict_a == "bad" and p.verdict_b == "bad")
    failures = sum(1 for p in judged if p.verdict_a == "bad")
    return RegressionComparison(
        prompt_name=prompt_name,
        version=version,
        pairs=pairs,
        judged=len(judged),
        fixed=fixed,
        broken=broken,
        still_bad=still_bad,
        unjudged=len(pairs) - len(judged),
        fix_rate=rate(fixed, failures),
        test=mcnemar_exact(fixed, broken),
    )
