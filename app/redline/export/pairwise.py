"""Preference pairs (DPO) from pairwise reviews: chosen = the preferred output.

Each pair (a candidate output and its baseline for the same input, see
`redline.review.pairwise`) becomes one record in TRL's conversational preference format,
`{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}`, when its
reviewers' choices agree on a winner. A pair is skipped, and counted in the manifest by
reason, when the choice is a tie, both outputs are bad, or its reviewers' most common
choice is shared by two kinds (they disagree). PII is masked as in every export, and the
file appears whole or not at all (written through `Staging`).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from redline import __version__, clock
from redline.export.chat_format import chat_messages
from redline.export.redaction import Redactor, token
from redline.export.writers import JsonlSink, Staging
from redline.progress import NO_PROGRESS, Progress, check
from redline.review.pairwise import Preference, PreferencePair, pair_vote, preference_pairs

__all__ = ["PairwiseExport", "export_preference_pairs"]

FORMAT = "dpo-pairwise"
SKIP_TIE = "tie"
SKIP_BOTH_BAD = "both bad"
SKIP_DISAGREE = "reviewers disagree"


@dataclass(frozen=True)
class PairwiseExport:
    """What an export of preference pairs wrote and skipped (with the reason)."""

    path: Path
    manifest_path: Path
    pairs: int  # pairs with at least one choice
    choices: int  # choices read (one per reviewer and pair)
    written: int
    skipped: dict[str, int] = field(default_factory=dict)
    redactions: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        skipped = ", ".join(f"{n:,} {why}" for why, n in self.skipped.items() if n) or "none"
        return (
            f"{FORMAT}: wrote {self.written:,} preference pairs of {self.pairs:,} judged "
            f"pairs to {self.path} (skipped: {skipped})"
        )


def _winner(choices: list[PreferencePair]) -> Preference | str:
    """The pair's preference (`pair_vote`, as the results count it), or the reason it
    has none that counts."""
    vote = pair_vote(c.preference for c in choices)
    return SKIP_DISAGREE if vote is None else vote


def export_preference_pairs(
    engine: Engine,
    out: Path,
    *,
    prompt_name: str | None = None,
    version: str | None = None,
    reviewer: str | None = None,
    redact: bool = True,
    custom_patterns: dict[str, str] | None = None,
    overwrite: bool = False,
    progress: Progress = NO_PROGRESS,
) -> PairwiseExport:
    """Write the decided pairs (of one prompt / candidate version / reviewer, if given)
    to `out` as JSONL, with `<out>.manifest.json` beside it."""
    out = Path(out)
    manifest_path = out.with_name(out.name + ".manifest.json")
    by_pair: dict[tuple[uuid.UUID, uuid.UUID], list[PreferencePair]] = {}
    choices = 0
    for choice in preference_pairs(
        engine, prompt_name=prompt_name, version=version, reviewer=reviewer
    ):
        by_pair.setdefault((choice.candidate_id, choice.baseline_id), []).append(choice)
        choices += 1
    redactor = Redactor(custom=dict(custom_patterns or {}))
    clean = redactor.redact if redact else str
    skipped = Counter({SKIP_TIE: 0, SKIP_BOTH_BAD: 0, SKIP_DISAGREE: 0})
    staging = Staging(overwrite=overwrite)
    try:
        sink = JsonlSink(staging.stage(out))
        manifest_temp = staging.stage(manifest_path)
        try:
            for done, group in enumerate(by_pair.values()):
                if done % 200 == 0:
                    check(progress)
                    progress.update(done, len(by_pair), "writing preference pairs")
                winner = _winner(group)
                if not isinstance(winner, Preference):
                    skipped[winner] += 1
                elif winner is Preference.TIE:
                    skipped[SKIP_TIE] += 1
                elif winner is Preference.BOTH_BAD:
                    skipped[SKIP_BOTH_BAD] += 1
                else:
                    sink.write(_record(group[0], winner, clean))
        finally:
            sha256 = sink.close()
        result = PairwiseExport(
            path=out,
            manifest_path=manifest_path,
            pairs=len(by_pair),
            choices=choices,
            written=sink.rows,
            skipped=dict(skipped),
            redactions=dict(redactor.counts),
        )
        manifest = _manifest(
            result, sha256, prompt_name=prompt_name, version=version, reviewer=reviewer,
            redact=redact, custom_patterns=custom_patterns or {},
        )  # fmt: skip
        manifest_temp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        staging.commit()
    except BaseException:
        staging.abort()
        raise
    progress.update(len(by_pair), len(by_pair), "done")
    return result


def _record(pair: PreferencePair, winner: Preference, clean: Any) -> dict[str, Any]:
    prompt = chat_messages(pair.system_prompt, pair.input_text, pair.input_messages)
    for message in prompt:
        if isinstance(message.get("content"), str):
            message["content"] = clean(message["content"])
    chosen, rejected = (
        (pair.candidate_output, pair.baseline_output)
        if winner is Preference.CANDIDATE
        else (pair.baseline_output, pair.candidate_output)
    )
    return {
        "prompt": prompt,
        "chosen": [{"role": "assistant", "content": clean(chosen)}],
        "rejected": [{"role": "assistant", "content": clean(rejected)}],
    }


def _manifest(
    result: PairwiseExport,
    sha256: str,
    *,
    prompt_name: str | None,
    version: str | None,
    reviewer: str | None,
    redact: bool,
    custom_patterns: dict[str, str],
) -> dict[str, Any]:
    return {
        "manifest_version": 1,
        "format": FORMAT,
        "created_at": clock.now().isoformat(timespec="seconds"),
        "redline_version": __version__,
        "filters": {"prompt_name": prompt_name, "version": version, "reviewer": reviewer},
        "rule": "one record per pair: its reviewers' most common choice; chosen = the "
        "preferred output, rejected = the other; ties, both bad and split choices skipped",
        "counts": {
            "pairs": result.pairs,
            "choices": result.choices,
            "written": result.written,
            "skipped": result.skipped,
        },
        "redaction": {
            "enabled": redact,
            "kinds": result.redactions,
            "custom_patterns": {name: token(name) for name in custom_patterns},
        },
        "files": [{"name": result.path.name, "rows": result.written, "sha256": sha256}],
    }
