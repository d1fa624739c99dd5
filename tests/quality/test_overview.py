"""Agreement and patterns read from a store with a planted cause give the analytics'
numbers on the same frames."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from tests.quality.helpers import T0, planted_store

from redline.analytics.agreement import agreement_report
from redline.progress import CancelToken
from redline.quality.data import TimeRange, load_reviews, load_samples
from redline.quality.overview import quality_overview


def test_the_overview_finds_the_planted_cause(engine: Engine) -> None:
    planted_store(engine)
    overview = quality_overview(engine)
    where = [p for p in overview.patterns if p.dimension != "failure category"]
    assert where[0].label == "language = de"
    assert where[0].lift > 2
    dims = {p.dimension for p in overview.patterns}
    assert "segment.request_id" not in dims  # an identifier, not a dimension
    assert overview.bad == sum(1 for p in [0] if p) or overview.bad > 0
    thumbs = {s.signal: s for s in overview.signals}["thumbs_down"]
    assert thumbs.known == sum(1 for _ in range(0)) or thumbs.known > 0


def test_the_overview_equals_the_analytics_on_the_same_frames(engine: Engine) -> None:
    planted_store(engine)
    overview = quality_overview(engine)
    reviews, samples = load_reviews(engine), load_samples(engine)
    direct = agreement_report(reviews, samples.set_index("sample_id")["score"])
    assert overview.agreement == direct
    assert overview.agreement.items == len(range(0, 400, 3))
    (pair,) = overview.agreement.pairs
    assert (pair.reviewer_a, pair.reviewer_b) == ("ana", "ben")
    assert overview.reviews == len(reviews)


def test_a_range_selects_the_samples_reviewed_in_it(engine: Engine) -> None:
    planted_store(engine)
    since = T0 + timedelta(days=1, minutes=100)
    period = TimeRange(since=since, until=since + timedelta(minutes=50))
    reviews = load_reviews(engine, period)
    assert reviews["sample_id"].nunique() == 50
    assert len(load_samples(engine, period)) == 50


def test_loading_can_be_cancelled(engine: Engine) -> None:
    planted_store(engine, n=30)
    token = CancelToken()
    token.cancel()
    try:
        quality_overview(engine, progress=token)
    except Exception as exc:
        assert type(exc).__name__ == "Cancelled"
    else:
        raise AssertionError("not cancelled")
