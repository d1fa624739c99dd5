"""Sampling while importing, with a known inclusion probability for every record.

- `random:N` and `stratified:FIELD:N` take exactly N (per stratum): a first pass counts
  the records (per stratum), then a seeded generator picks which ordinals to keep.
  Inclusion probability = N / count (of the stratum).
- The weighted kinds draw every record independently (Poisson sampling) with
  probability p_i = min(1, c * w_i), c chosen in the first pass so the expected total
  is N. The draw uses a hash of the record's key and the seed, not a running random
  stream, so a resumed import makes exactly the same choices.

Statistics re-weight a sample by 1 / inclusion probability (Horvitz-Thompson).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redline.ingest.mapping import MappedRecord
from redline.ingest.types import SamplingRule

if TYPE_CHECKING:
    import numpy as np

# Weights: records the rule favours count 1, the rest this much (so the rest of the
# traffic is still represented, at a known lower rate).
BACKGROUND_WEIGHT = 0.1


def record_weight(rule: SamplingRule, record: MappedRecord) -> float:
    """How strongly a weighted rule favours this record (before scaling)."""
    if rule.kind == "low_score":
        if record.score is None:
            return BACKGROUND_WEIGHT
        # Scores are usually in [0, 1]; lower scores are likelier to be bad outputs.
        return max(BACKGROUND_WEIGHT, 1.0 - min(max(record.score, 0.0), 1.0))
    if rule.kind == "score_band":
        assert rule.low is not None and rule.high is not None
        inside = record.score is not None and rule.low <= record.score <= rule.high
        return 1.0 if inside else BACKGROUND_WEIGHT
    if rule.kind == "negative_signals":
        negative = (
            record.signal_thumbs == -1
            or bool(record.signal_edited)
            or bool(record.signal_follow_up)
        )
        return 1.0 if negative else BACKGROUND_WEIGHT
    return 1.0


def stratum_of(rule: SamplingRule, record: MappedRecord) -> str:
    """The stratum value of a record for `stratified` (missing values form one stratum)."""
    assert rule.field is not None
    name = rule.field
    if name.startswith("segment."):
        value = (record.segments or {}).get(name.removeprefix("segment."))
    else:
        value = getattr(record, name, None)
    return "" if value is None else str(value)


def hash_uniform(seed: int, key: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, key)."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


@dataclass
class SamplingPlan:
    """What the first pass learned, and the decision for each record in the second."""

    rule: SamplingRule
    total: int = 0
    strata_counts: dict[str, int] = field(default_factory=dict)
    weight_histogram: dict[float, int] = field(default_factory=dict)
    _chosen: np.ndarray | None = None
    _strata_chosen: dict[str, np.ndarray] = field(default_factory=dict)
    _strata_seen: dict[str, int] = field(default_factory=dict)
    _scale: float = 0.0

    @property
    def needs_first_pass(self) -> bool:
        return self.rule.kind != "all"

    def observe(self, record: MappedRecord) -> None:
        """First pass: count one good record."""
        self.total += 1
        if self.rule.kind == "stratified":
            stratum = stratum_of(self.rule, record)
            self.strata_counts[stratum] = self.strata_counts.get(stratum, 0) + 1
        elif self.rule.kind in ("low_score", "score_band", "negative_signals"):
            weight = round(record_weight(self.rule, record), 4)
            self.weight_histogram[weight] = self.weight_histogram.get(weight, 0) + 1

    def finish_first_pass(self) -> None:
        """Fix the choices: which ordinals (random, stratified) or the scale (weighted)."""
        # Imported here: an import of everything (the common case, and its worker
        # process) never loads numpy.
        import numpy as np

        rng = np.random.default_rng(self.rule.seed)
        n = self.rule.n or 0
        if self.rule.kind == "random":
            k = min(n, self.total)
            self._chosen = np.sort(rng.choice(self.total, size=k, replace=False))
        elif self.rule.kind == "stratified":
            for stratum in sorted(self.strata_counts):
                count = self.strata_counts[stratum]
                k = min(n, count)
                self._strata_chosen[stratum] = np.sort(rng.choice(count, size=k, replace=False))
        elif self.weight_histogram:
            self._scale = _solve_scale(self.weight_histogram, n)

    def decide(self, ordinal: int, key: str, record: MappedRecord) -> float:
        """Second pass: the inclusion probability if the record is kept, else 0.

        `ordinal` counts good records from 0 in file order (the same in both passes).
        """
        kind = self.rule.kind
        if kind == "all":
            return 1.0
        if kind == "random":
            assert self._chosen is not None
            if not _contains(self._chosen, ordinal):
                return 0.0
            return len(self._chosen) / self.total
        if kind == "stratified":
            stratum = stratum_of(self.rule, record)
            seen = self._strata_seen.get(stratum, 0)
            self._strata_seen[stratum] = seen + 1
            chosen = self._strata_chosen.get(stratum)
            if chosen is None or not _contains(chosen, seen):
                return 0.0
            return len(chosen) / self.strata_counts[stratum]
        p = min(1.0, self._scale * round(record_weight(self.rule, record), 4))
        return p if hash_uniform(self.rule.seed, key) < p else 0.0


def _contains(sorted_values: np.ndarray, value: int) -> bool:
    index = int(sorted_values.searchsorted(value))
    return index < len(sorted_values) and int(sorted_values[index]) == value


def _solve_scale(histogram: dict[float, int], n: int) -> float:
    """The c with sum over records of min(1, c * w) = n (or every record if n >= total)."""
    total = sum(histogram.values())
    if n >= total:
        return float("inf")

    def expected(c: float) -> float:
        return sum(count * min(1.0, c * w) for w, count in histogram.items())

    low, high = 0.0, 1.0
    while expected(high) < n:
        high *= 2.0
    for _ in range(100):
        mid = (low + high) / 2.0
        if expected(mid) < n:
            low = mid
        else:
            high = mid
    return high
