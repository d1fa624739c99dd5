"""Values the import service takes and returns (frozen, Qt-free, ORM-free)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from redline.errors import RedlineError

SamplingKind = Literal["all", "random", "stratified", "low_score", "score_band", "negative_signals"]

SAMPLING_HELP = (
    "all | random:N | stratified:FIELD:N (up to N per value) | low-score:N | "
    "band:LOW-HIGH:N | negative:N (weighted towards negative implicit signals)"
)


@dataclass(frozen=True)
class SamplingRule:
    """Which records of a file to import.

    `random` and `stratified` take exactly N (per stratum); the weighted kinds
    (`low_score`, `score_band`, `negative_signals`) draw each record independently
    with a known probability, N in expectation. Every imported sample records its
    inclusion probability so statistics can be re-weighted to production.
    """

    kind: SamplingKind = "all"
    n: int | None = None
    field: str | None = None
    low: float | None = None
    high: float | None = None
    seed: int = 0

    @classmethod
    def parse(cls, text: str, *, seed: int = 0) -> SamplingRule:
        """Parse the CLI form (see SAMPLING_HELP)."""
        parts = text.strip().split(":")
        kind = parts[0].lower().replace("_", "-")
        try:
            if kind == "all" and len(parts) == 1:
                return cls(seed=seed)
            if kind == "random" and len(parts) == 2:
                return cls("random", n=_positive(parts[1]), seed=seed)
            if kind == "stratified" and len(parts) == 3 and parts[1]:
                return cls("stratified", n=_positive(parts[2]), field=parts[1], seed=seed)
            if kind == "low-score" and len(parts) == 2:
                return cls("low_score", n=_positive(parts[1]), seed=seed)
            if kind == "band" and len(parts) == 3:
                low, high = (float(v) for v in parts[1].split("-", 1))
                if not low < high:
                    raise ValueError("the band's low end must be below its high end")
                return cls("score_band", n=_positive(parts[2]), low=low, high=high, seed=seed)
            if kind == "negative" and len(parts) == 2:
                return cls("negative_signals", n=_positive(parts[1]), seed=seed)
        except ValueError as exc:
            raise RedlineError(
                f"bad sampling rule {text!r} ({exc})", hint=f"use {SAMPLING_HELP}"
            ) from exc
        raise RedlineError(f"unknown sampling rule {text!r}", hint=f"use {SAMPLING_HELP}")

    def describe(self) -> str:
        """The rule in the CLI form."""
        match self.kind:
            case "all":
                return "all"
            case "random":
                return f"random:{self.n}"
            case "stratified":
                return f"stratified:{self.field}:{self.n}"
            case "low_score":
                return f"low-score:{self.n}"
            case "score_band":
                return f"band:{self.low}-{self.high}:{self.n}"
            case "negative_signals":
                return f"negative:{self.n}"


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("N must be a positive whole number")
    return value


@dataclass(frozen=True)
class Problem:
    """One rejected record: where it is in the file and why."""

    line: int
    reason: str
    excerpt: str = ""


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Counts add up: records_read = imported + duplicates + bad + not_sampled.
    """

    batch_id: uuid.UUID
    source: str
    file_name: str
    format: str
    shape: str
    status: str
    records_read: int
    imported: int
    duplicates: int
    bad: int
    not_sampled: int
    resumed: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    """The first problems (at most 100); all of them are in the store (import_problem)."""
    message: str = ""
