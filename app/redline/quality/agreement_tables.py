"""The agreement tables as text: per reviewer pair, and per verdict and failure category.

One builder for the three places that show them (`redline agreement`, the Quality page
and the weekly report), so their columns and number formats cannot drift apart. Plain
strings only: each caller lays them out its own way (aligned text, a QTableWidget, HTML).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redline.analytics.agreement import AgreementReport

__all__ = [
    "CATEGORIES_HEADER",
    "PAIRS_HEADER",
    "TextTable",
    "categories_table",
    "coefficient",
    "pairs_table",
]

PAIRS_HEADER = ("reviewers", "samples", "agreement", "Cohen's kappa")
CATEGORIES_HEADER = (
    "category",
    "samples",
    "named",
    "agreement",
    "Fleiss' kappa",
    "alpha",
    "positive",
)


@dataclass(frozen=True, slots=True)
class TextTable:
    """A table of formatted cells; `numeric` lists the columns to align right."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()


def coefficient(value: float) -> str:
    """A kappa, alpha or share as 0.00 ("n/a" when undefined)."""
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def pairs_table(agreement: AgreementReport) -> TextTable:
    """Each pair of reviewers: the samples both reviewed, how often they agreed, Cohen's
    kappa with its interval."""
    return TextTable(
        PAIRS_HEADER,
        tuple(
            (
                f"{p.reviewer_a} / {p.reviewer_b}",
                f"{p.n:,}",
                p.percent.percent(),
                p.kappa.text(),
            )
            for p in agreement.pairs
        ),
        numeric=(1,),
    )


def categories_table(agreement: AgreementReport) -> TextTable:
    """Each verdict ("verdict: bad") and failure category, one against the rest."""
    return TextTable(
        CATEGORIES_HEADER,
        tuple(
            (
                f"verdict: {c.category}" if c.kind == "verdict" else c.category,
                f"{c.n:,}",
                f"{c.named:,}",
                c.percent.percent(),
                coefficient(c.kappa),
                coefficient(c.alpha),
                coefficient(c.positive),
            )
            for c in agreement.categories
        ),
        numeric=(1, 2, 4, 5, 6),
    )
