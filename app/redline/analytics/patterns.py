"""What the bad reviews have in common: dimension = value pairs ranked by how much more
often they occur among bad samples than among all reviewed samples.

"38 % of bad reviews are non-English inputs, which are 12 % of reviewed traffic":
share = 38 % (of the bad samples, with its Wilson interval), base = 12 % (of all
reviewed samples), lift = share / base ≈ 3.2. Patterns are ranked by the excess share
(share − base): the part of the bad reviews the value accounts for beyond its weight in
traffic, which favours values that are both common among bad reviews and over-
represented there, where lift alone would favour rare values.

The unit is the sample (its final verdict), so every interval assumes independent
units. The lift interval treats the base share as known (it is measured on all reviewed
samples, a superset of the bad ones); the p-value compares the bad rate with the value
against the bad rate without it (Fisher's exact test when counts are small).

Inputs are frames, one row per reviewed sample indexed by sample id: a boolean `bad`
column and one column per dimension (a value, None, or a list of values for a
multi-valued dimension such as failure category).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from redline.analytics.stats import (
    DEFAULT_CONFIDENCE,
    Rate,
    difference_interval,
    proportions_compared,
    rate,
)

__all__ = [
    "MISSING",
    "Pattern",
    "SignalRelation",
    "implicit_signals",
    "input_length_bucket",
    "rank_patterns",
]

MISSING = "(none)"
LENGTH_BUCKETS = ((200, "< 200 chars"), (1000, "200–999 chars"), (4000, "1,000–3,999 chars"))
LONGEST_BUCKET = "≥ 4,000 chars"


def input_length_bucket(length: float | None) -> str | None:
    """The input-length bucket a character count falls in (None when unknown)."""
    if length is None or (isinstance(length, float) and math.isnan(length)):
        return None
    for upper, label in LENGTH_BUCKETS:
        if length < upper:
            return label
    return LONGEST_BUCKET


@dataclass(frozen=True, slots=True)
class Pattern:
    """One dimension = value among the bad samples, against all reviewed samples.

    Attributes:
        share: bad samples with the value / bad samples (Wilson interval).
        base: reviewed samples with the value / reviewed samples.
        lift: share / base, with the share's interval divided by the base.
        bad_rate: bad samples with the value / reviewed samples with the value.
        p_value: bad rate with the value against without it (two-sided).
        sample_ids: the bad samples with the value (what a click opens in the queue).
    """

    dimension: str
    value: str
    share: Rate
    base: Rate
    lift: float
    lift_low: float
    lift_high: float
    bad_rate: Rate
    p_value: float
    sample_ids: tuple[Hashable, ...]

    @property
    def excess(self) -> float:
        """share − base: the ranking key."""
        return self.share.value - self.base.value

    @property
    def label(self) -> str:
        return f"{self.dimension} = {self.value}"

    def sentence(self) -> str:
        """'38 % of bad reviews have language = de, which is 12 % of reviewed samples.'"""
        return (
            f"{100 * self.share.value:.0f} % of bad reviews have {self.label}, "
            f"which is {100 * self.base.value:.0f} % of reviewed samples"
        )


def _value_codes(column: pd.Series) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], list[str]]:
    """Each distinct (row position, value) of a column, as positions and value codes:
    lists exploded, None as MISSING, values as text; and the values in code order.

    Positions and codes instead of sample ids: hashing and sorting UUID objects per
    dimension is what made ranking take seconds on a few hundred thousand samples."""
    series = pd.Series(column.to_numpy(dtype=object), index=np.arange(len(column)))
    if series.map(lambda v: isinstance(v, list | tuple)).any():
        series = series.explode()
    values = series.where(series.notna(), MISSING).astype(str)
    pairs = pd.DataFrame({"row": series.index.to_numpy(), "value": values.to_numpy()})
    pairs = pairs.drop_duplicates()
    codes, uniques = pd.factorize(pairs["value"])
    return (
        pairs["row"].to_numpy(dtype=np.intp),
        np.asarray(codes, dtype=np.intp),
        [str(u) for u in uniques],
    )


def rank_patterns(
    frame: pd.DataFrame,
    dimensions: Sequence[str],
    *,
    min_bad: int = 3,
    min_base: int = 5,
    include_missing: bool = False,
    confidence: float = DEFAULT_CONFIDENCE,
) -> list[Pattern]:
    """Every dimension = value with at least `min_bad` bad and `min_base` reviewed samples,
    ranked by excess share (share − base), largest first.

    Missing values ("(none)") are left out unless `include_missing`.
    """
    if frame.empty or "bad" not in frame:
        return []
    bad = frame["bad"].astype(bool).to_numpy()
    n_bad, n_all = int(bad.sum()), len(frame)
    if n_bad == 0:
        return []
    patterns: list[Pattern] = []
    for dimension in dimensions:
        if dimension not in frame:
            continue
        rows, codes, values = _value_codes(frame[dimension])
        bad_pair = bad[rows]
        all_counts = np.bincount(codes, minlength=len(values))
        bad_counts = np.bincount(codes[bad_pair], minlength=len(values))
        for code, value in enumerate(values):
            if value == MISSING and not include_missing:
                continue
            k_all, k_bad = int(all_counts[code]), int(bad_counts[code])
            if k_bad < min_bad or k_all < min_base:
                continue
            bad_rows = rows[bad_pair & (codes == code)]
            patterns.append(
                _pattern(
                    dimension,
                    value,
                    k_bad=k_bad,
                    n_bad=n_bad,
                    k_all=k_all,
                    n_all=n_all,
                    bad_ids=frame.index[bad_rows],
                    confidence=confidence,
                )
            )
    patterns.sort(key=lambda p: (-p.excess, p.p_value, p.label))
    return patterns


def _pattern(
    dimension: str,
    value: str,
    *,
    k_bad: int,
    n_bad: int,
    k_all: int,
    n_all: int,
    bad_ids: pd.Index,
    confidence: float,
) -> Pattern:
    share = rate(k_bad, n_bad, confidence)
    base = rate(k_all, n_all, confidence)
    lift = share.value / base.value
    # Bad rate with the value against the bad rate of the samples without it.
    test = proportions_compared(k_bad, k_all, n_bad - k_bad, n_all - k_all)
    return Pattern(
        dimension=dimension,
        value=value,
        share=share,
        base=base,
        lift=lift,
        lift_low=share.low / base.value,
        lift_high=share.high / base.value,
        bad_rate=rate(k_bad, k_all, confidence),
        p_value=test.p_value,
        sample_ids=tuple(bad_ids),
    )


@dataclass(frozen=True, slots=True)
class SignalRelation:
    """How one implicit signal relates to the reviewers' verdicts.

    Attributes:
        signal: the signal's name ("copied", "thumbs_down", ...).
        known: reviewed samples on which the signal was recorded at all.
        present: of those, samples where it fired.
        bad_with / bad_without: bad rate where it fired / where it did not.
        difference: bad_with − bad_without, Newcombe interval.
        recall: the share of bad samples on which it fired (as a sampling rule: how
            many bad outputs sampling on this signal would catch).
        p_value: bad_with against bad_without (Fisher when counts are small).
    """

    signal: str
    known: int
    present: int
    bad_with: Rate
    bad_without: Rate
    difference: float
    difference_low: float
    difference_high: float
    recall: Rate
    p_value: float

    @property
    def lift(self) -> float:
        """How much more likely a bad verdict is where the signal fired."""
        if not (self.bad_with.defined and self.bad_without.defined) or self.bad_without.value == 0:
            return math.nan
        return self.bad_with.value / self.bad_without.value


def implicit_signals(
    frame: pd.DataFrame, signals: Sequence[str], *, confidence: float = DEFAULT_CONFIDENCE
) -> list[SignalRelation]:
    """For each signal column (True / False / None = not recorded): bad rates with and
    without it, and how many bad samples it catches, on the samples where it is known."""
    result: list[SignalRelation] = []
    for signal in signals:
        if signal not in frame:
            continue
        column = frame[signal]
        known = column.notna()
        fired = column[known].astype(bool).to_numpy()
        bad = frame.loc[known, "bad"].astype(bool).to_numpy()
        k1, n1 = int(np.sum(bad & fired)), int(np.sum(fired))
        k0, n0 = int(np.sum(bad & ~fired)), int(np.sum(~fired))
        with_signal, without = rate(k1, n1, confidence), rate(k0, n0, confidence)
        low, high = difference_interval(without, with_signal, confidence)
        result.append(
            SignalRelation(
                signal=signal,
                known=int(known.sum()),
                present=n1,
                bad_with=with_signal,
                bad_without=without,
                difference=with_signal.value - without.value,
                difference_low=low,
                difference_high=high,
                recall=rate(k1, k1 + k0, confidence),
                p_value=proportions_compared(k1, n1, k0, n0).p_value,
            )
        )
    return result
