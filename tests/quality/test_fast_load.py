"""The column loader (`redline.quality.data`) returns exactly the frames the ORM loader
it replaced returned: same rows, order, values and dtypes, on both dialects."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, literal, or_, select, update
from tests.quality.helpers import T0, add_batch, add_review, add_samples, planted_store
from typing_extensions import override

from redline.demo import create_demo
from redline.progress import Cancelled, CancelToken
from redline.quality.data import (
    CODE_MARKERS,
    REVIEW_FRAME_COLUMNS,
    SAMPLE_FRAME_COLUMNS,
    TimeRange,
    live,
    load_reviews,
    load_samples,
)
from redline.quality.overview import quality_overview
from redline.store.models import Review, Sample
from redline.store.session import session_scope


def reviewed_in(period: TimeRange) -> Any:
    query = select(Review.sample_id).where(live())
    if period.since is not None:
        query = query.where(Review.updated_at >= period.since)
    if period.until is not None:
        query = query.where(Review.updated_at < period.until)
    return query.distinct()


def orm_rows(engine: Engine, query: Any) -> list[tuple[Any, ...]]:
    with session_scope(engine) as session:
        return [tuple(r) for r in session.execute(query)]


def orm_reviews(engine: Engine, period: TimeRange) -> pd.DataFrame:
    """The loader as it was before (ORM rows, result processors), kept as the reference."""
    query = (
        select(
            Review.sample_id,
            Review.reviewer,
            Review.verdict,
            Review.rating,
            Review.categories,
            Review.note,
            Review.correction,
            Review.adjudicated,
            Review.updated_at,
            Review.time_spent_ms,
        )
        .where(live(), Review.sample_id.in_(reviewed_in(period)))
        .order_by(Review.sample_id, Review.updated_at)
    )
    frame = pd.DataFrame(orm_rows(engine, query), columns=list(REVIEW_FRAME_COLUMNS))
    frame["categories"] = [list(c or ()) for c in frame["categories"]]
    frame["adjudicated"] = frame["adjudicated"].astype(bool)
    return frame


def orm_samples(engine: Engine, period: TimeRange) -> pd.DataFrame:
    def contains(text: str) -> Any:
        if engine.dialect.name == "sqlite":
            return func.instr(Sample.input_text, literal(text)) > 0
        return func.strpos(Sample.input_text, literal(text)) > 0

    query = select(
        Sample.id,
        Sample.batch_id,
        Sample.captured_at,
        Sample.model,
        Sample.prompt_name,
        Sample.prompt_version,
        Sample.variant,
        Sample.language,
        Sample.score,
        Sample.decision,
        Sample.inclusion_prob,
        Sample.tokens_in,
        Sample.tokens_out,
        Sample.latency_ms,
        func.length(Sample.input_text),
        or_(*(contains(m) for m in CODE_MARKERS)),
        Sample.segments,
        Sample.signal_copied,
        Sample.signal_edited,
        Sample.signal_follow_up,
        Sample.signal_thumbs,
    ).where(Sample.id.in_(reviewed_in(period)))
    return pd.DataFrame(orm_rows(engine, query), columns=list(SAMPLE_FRAME_COLUMNS))


@pytest.fixture
def demo_engine(db_engine: Engine, tmp_path: Path) -> Engine:
    """The demo store (planted reviews on PostgreSQL) plus the odd cases it lacks: a
    tombstone, an adjudicated review, NULL capture time, signals and segments, JSON null
    segments, several categories."""
    if db_engine.dialect.name == "sqlite":
        create_demo(db_engine, count=300, seed=5, work_dir=tmp_path)
    else:
        # The demo goes through the file import, which is SQLite-only for now (it sets a
        # PRAGMA); the planted store has the same kinds of rows.
        planted_store(db_engine, 200)
    batch = add_batch(db_engine)
    # One set of keys for every row (an executemany binds them all).
    plain: dict[str, Any] = {
        "segments": {"plan": "free"},
        "signal_copied": None,
        "signal_edited": None,
        "signal_follow_up": None,
        "signal_thumbs": None,
        "tokens_in": 12,
    }
    odd = add_samples(
        db_engine,
        batch,
        [
            {**plain, **row}
            for row in (
                {"captured_at": None, "segments": None, "input_text": "def f(): pass"},
                {"segments": {"plan": "pro", "n": 3}, "signal_copied": True, "signal_thumbs": -1},
                {"signal_edited": False, "signal_follow_up": True, "tokens_in": None},
            )
        ],
    )
    add_review(db_engine, odd[0], "ana", "bad", categories=["tone", "hallucination"])
    add_review(db_engine, odd[0], "lead", "good", adjudicated=True)
    add_review(db_engine, odd[1], "ben", "good", correction="Better.", note="fine")
    add_review(db_engine, odd[2], "ana", "bad", deleted=True)
    with db_engine.begin() as conn:
        conn.execute(update(Sample).where(Sample.id == odd[2]).values(segments=None))
    return db_engine


def test_the_column_loader_returns_what_the_orm_loader_did(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        latest = conn.execute(select(func.max(Review.updated_at))).scalar_one()
    periods = (
        TimeRange(),
        TimeRange(since=latest - timedelta(days=7)),
        TimeRange(until=T0 + timedelta(days=1, minutes=30)),
        TimeRange(until=T0 - timedelta(days=3650)),  # nothing
    )
    for period in periods:
        reviews = load_reviews(demo_engine, period)
        pd.testing.assert_frame_equal(reviews, orm_reviews(demo_engine, period))
        samples = load_samples(demo_engine, period)
        expected = orm_samples(demo_engine, period)
        # Neither query orders the samples: compare them in id order.
        pd.testing.assert_frame_equal(
            samples.sort_values("sample_id", key=lambda s: s.map(str), ignore_index=True),
            expected.sort_values("sample_id", key=lambda s: s.map(str), ignore_index=True),
        )
    assert len(load_reviews(demo_engine)) > 50
    assert load_samples(demo_engine)["segments"].map(lambda s: isinstance(s, dict)).any()


def test_rows_share_no_mutable_values(demo_engine: Engine) -> None:
    reviews = load_reviews(demo_engine)
    lists = [c for c in reviews["categories"]]
    assert len({id(c) for c in lists}) == len(lists)


class CancelWhileReading(CancelToken):
    """The user presses Cancel as soon as the first rows are read."""

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        if text.startswith("reading"):
            self.cancel()


def test_loading_can_be_cancelled(demo_engine: Engine) -> None:
    with pytest.raises(Cancelled):
        quality_overview(demo_engine, progress=CancelWhileReading())
