"""Turn a sample's reviews into the one judgment it is exported with.

A lead's adjudicated review is the final word on a disputed sample: it wins over the
individual reviews whatever they say. Otherwise the verdict is the one most reviewers
gave; a tie between verdicts is a disagreement and the sample stays out (training on
a coin flip teaches the coin). The correction comes from the most recent agreeing
review that has one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from redline.export.types import Resolved, ReviewRow

__all__ = ["DISAGREE", "resolve"]

DISAGREE = "reviewers disagree"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _recency(review: ReviewRow) -> datetime:
    return review.updated_at or _EPOCH


def resolve(reviews: Sequence[ReviewRow]) -> Resolved | str:
    """The resolved judgment, or the reason there is none (a drop reason).

    `reviews` are the reviews that count (after any reviewer filter); not empty.
    """
    if len(reviews) == 1 and reviews[0].verdict is not None:
        # Most samples have one review: it is the judgment (the general rules below give
        # the same result, at a multiple of the cost, which counts at a million rows).
        only = reviews[0]
        # One category or none is sorted and unique already.
        cats = only.categories if len(only.categories) < 2 else tuple(sorted(set(only.categories)))
        return Resolved(only.verdict, only, cats, 1, only.adjudicated, (only,))
    adjudicated = [r for r in reviews if r.adjudicated]
    if adjudicated:
        primary = max(adjudicated, key=_recency)
        agreeing = [r for r in reviews if r.verdict == primary.verdict]
        return Resolved(
            verdict=primary.verdict,
            primary=primary,
            categories=tuple(sorted(set(primary.categories))),
            agreement=len(agreeing),
            adjudicated=True,
            reviews=(primary,),
        )
    votes = Counter(r.verdict for r in reviews if r.verdict is not None)
    if not votes:
        # Only comments or corrections without a verdict: one judgment, no vote.
        primary = max(reviews, key=lambda r: (r.correction is not None, _recency(r)))
        return Resolved(None, primary, tuple(sorted(set(primary.categories))), 0, False,
                        tuple(reviews))  # fmt: skip
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return DISAGREE
    verdict, count = ranked[0]
    agreeing = [r for r in reviews if r.verdict == verdict]
    primary = max(agreeing, key=lambda r: (bool(r.correction), _recency(r)))
    categories = sorted({c for r in agreeing for c in r.categories})
    return Resolved(verdict, primary, tuple(categories), count, False, tuple(reviews))
