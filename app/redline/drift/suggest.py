"""After drift: an import sampling rule that sends more of the drifted slice to review.

Only the rules the importer has can be suggested (`redline.ingest.types.SAMPLING_HELP`):
a score band, low scores, negative implicit signals, or up to N per value of a field.
None of them selects one prompt version or a length or latency range, so each
suggestion says in plain words what it over-samples besides the slice, or that no rule
can express the slice at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from redline.analytics.drift_report import DriftFinding
from redline.ingest.types import SamplingRule

__all__ = ["DEFAULT_SUGGESTED_N", "SamplingSuggestion", "suggest_sampling"]

DEFAULT_SUGGESTED_N = 500
# Fields `stratified:FIELD:N` can split on, by the drift report's mix column.
STRATIFIABLE = {
    "language": "language",
    "model": "model",
    "variant": "variant",
    "prompt": "prompt_version",
}
NEGATIVE_SIGNALS = {"signal:signal_edited", "signal:signal_follow_up", "signal:thumbs_down"}


@dataclass(frozen=True)
class SamplingSuggestion:
    """A rule for `redline import --sample` (None when no rule fits) and why."""

    rule: str | None
    explanation: str

    def parsed(self) -> SamplingRule | None:
        """The rule as the importer reads it (checks that it is valid)."""
        return None if self.rule is None else SamplingRule.parse(self.rule)


def suggest_sampling(finding: DriftFinding, *, n: int = DEFAULT_SUGGESTED_N) -> SamplingSuggestion:
    """The import sampling rule that best over-samples what `finding` says drifted."""
    quantity = finding.quantity
    if quantity in ("score", "policy-score"):
        return _score_band(finding, n)
    if quantity.startswith("mix:"):
        return _stratified(finding, n)
    if quantity in NEGATIVE_SIGNALS and finding.statistic > 0:
        return SamplingSuggestion(
            f"negative:{n}",
            f"Draws records with a thumbs-down, an edit or a follow-up ten times as often "
            f"as the rest (about {n} records), so the rise in the {finding.label} reaches "
            "review. It favours all three signals, not only this one.",
        )
    if quantity == "satisfaction" and finding.statistic < 0:
        return SamplingSuggestion(
            f"low-score:{n}",
            "Reviews are not known at import, so no rule can pick the outputs reviewers "
            "would judge bad; low production scores are the nearest proxy (about "
            f"{n} records, weighted towards low scores).",
        )
    return SamplingSuggestion(
        None,
        f"No import rule selects by {finding.label}: the rules sample by score, by "
        "negative signals or per value of a field. Review the drifted samples from the "
        "queue instead (open in queue).",
    )


def _score_band(finding: DriftFinding, n: int) -> SamplingSuggestion:
    grown = finding.detail.get("grown_range")
    where = "" if finding.slice_value is None else f" of {finding.slice}"
    caveat = (
        ""
        if finding.slice_value is None
        else f" No rule selects {finding.slice} alone, so other traffic in that band is "
        "over-sampled too."
    )
    if not grown:
        return SamplingSuggestion(
            f"low-score:{n}",
            f"Draws about {n} records weighted towards low scores, where the shifted "
            f"scores{where} most likely need a look.{caveat}",
        )
    low, high = (float(v) if v is not None else math.nan for v in grown)
    low = 0.0 if not math.isfinite(low) else max(0.0, low)
    high = 1.0 if not math.isfinite(high) else high
    if not low < high:
        high = low + 0.01
    rule = f"band:{low:.2f}-{high:.2f}:{n}"
    return SamplingSuggestion(
        rule,
        f"Scores{where} moved into {low:.2f}–{high:.2f}; this draws about {n} records with "
        f"a score in that band ten times as often as the rest.{caveat}",
    )


def _stratified(finding: DriftFinding, n: int) -> SamplingSuggestion:
    column = finding.quantity.removeprefix("mix:")
    field = STRATIFIABLE.get(column)
    if field is None and column.startswith("segment."):
        field = column
    value = finding.slice_value
    categories = finding.detail.get("categories") or []
    current = finding.detail.get("shares_current") or []
    share = next(
        (float(s) for c, s in zip(categories, current, strict=False) if c == value), math.nan
    )
    if field is None or value is None:
        return SamplingSuggestion(
            None, f"No import rule splits by the {finding.label}; review from the queue."
        )
    even = 1.0 / max(1, len(categories))
    if not share <= even:
        return SamplingSuggestion(
            None,
            f"{value} is now {100 * share:.0f} % of the traffic. `stratified:{field}:N` "
            "takes up to N records per value, which would sample the grown category "
            "less, not more; no import rule over-samples one value of a field. Review it "
            "from the queue instead.",
        )
    note = " (one value for all prompts' versions of that name)" if column == "prompt" else ""
    return SamplingSuggestion(
        f"stratified:{field}:{n}",
        f"Takes up to {n} records per {field}{note}, so {value} ({100 * share:.0f} % of the "
        "traffic now) gets as many as the large values and reaches review. It evens out "
        "every value of the field, not only this one.",
    )
