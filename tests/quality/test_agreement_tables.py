"""The agreement tables' one builder (used by `redline agreement`, the Quality page and
the weekly report): columns, number formats, undefined values."""

from __future__ import annotations

import math

from redline.analytics.agreement import (
    AgreementReport,
    CategoryAgreement,
    Interval,
    PairAgreement,
)
from redline.analytics.stats import rate
from redline.quality.agreement_tables import (
    CATEGORIES_HEADER,
    PAIRS_HEADER,
    categories_table,
    coefficient,
    pairs_table,
)


def _report() -> AgreementReport:
    return AgreementReport(
        reviewers=("ana", "ben"),
        items=1200,
        percent=rate(1000, 1200),
        fleiss=0.5,
        alpha=0.5,
        alpha_rating=math.nan,
        rating_items=0,
        pairs=(
            PairAgreement("ana", "ben", 1200, rate(1000, 1200), Interval(0.61, 0.5, 0.7, 1200)),
        ),
        categories=(
            CategoryAgreement("verdict", "bad", 1200, 300, rate(1100, 1200), 0.7, 0.71, 0.8),
            CategoryAgreement(
                "failure category", "tone", 1200, 0, rate(1200, 1200), *[math.nan] * 3
            ),
        ),
        score_auc=Interval(math.nan, math.nan, math.nan, 0),
    )


def test_pairs_table_rows() -> None:
    table = pairs_table(_report())
    assert table.header == PAIRS_HEADER
    assert table.rows == (
        ("ana / ben", "1,200", rate(1000, 1200).percent(), "0.61 (0.50–0.70, n=1,200)"),
    )
    assert table.numeric == (1,)


def test_categories_table_rows_name_verdicts_and_say_n_a() -> None:
    table = categories_table(_report())
    assert table.header == CATEGORIES_HEADER
    assert [row[0] for row in table.rows] == ["verdict: bad", "tone"]
    assert table.rows[0][1:3] == ("1,200", "300")
    assert table.rows[0][4:] == ("0.70", "0.71", "0.80")
    assert table.rows[1][4:] == ("n/a", "n/a", "n/a")
    assert table.numeric == (1, 2, 4, 5, 6)
    assert all(len(row) == len(table.header) for row in table.rows)


def test_coefficient() -> None:
    assert coefficient(0.123) == "0.12"
    assert coefficient(-0.05) == "-0.05"
    assert coefficient(math.nan) == "n/a"
