"""Review quality at scale: agreement, feedback patterns, the disagreement queue and the
weekly report on a 1,000,000-sample store with ~250,000 reviews.

Prints figures, asserts nothing. Usage:

    .venv/bin/python bench/quality_bench.py [--store bench/out/quality-1000k.sqlite]
                                            [--reviews 250000] [--gui]

The store is made once and kept: a copy of bench/out/review-1000k.sqlite when that
exists (review_queries_bench.py --keep makes it), else generated like that bench. If it
has no reviews, ~90 % of `--reviews` go to distinct samples by one of five reviewers and
the rest as second reviews (overlap), spread over the last six weeks, with a planted
cause (German inputs go bad far more often) and ~12 % disagreement on the overlap.

--gui also runs the Quality workspace's refresh through the real TaskRunner offscreen,
and reports the longest pause of the GUI thread while it computes (a 10 ms timer ticks
on the GUI thread; a gap far above 10 ms is a freeze the user would feel).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, insert, select

from redline import clock
from redline.analytics.agreement import agreement_report
from redline.analytics.patterns import implicit_signals, rank_patterns
from redline.analytics.quality import sample_outcomes
from redline.progress import Cancelled, CancelToken
from redline.quality.data import (
    ALL_TIME,
    SIGNALS,
    TimeRange,
    pattern_frame,
    reviews_query,
    samples_query,
)
from redline.quality.disagreements import disagreements
from redline.quality.overview import load_quality_data, quality_overview
from redline.quality.report import build_weekly_report
from redline.store.base import uuid7
from redline.store.local import open_local_store
from redline.store.models import Review, Sample

T = TypeVar("T")
OUT = Path(__file__).parent / "out"
REVIEWERS = ("ana", "ben", "cy", "dan", "eve")
CATEGORIES = ("hallucination", "tone", "incomplete", "wrong language")


def timed(label: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    print(f"  {label:<60} {time.perf_counter() - start:8.2f} s", flush=True)
    return result


def make_store(path: Path, samples: int) -> Engine:
    source = OUT / "review-1000k.sqlite"
    if not path.exists():
        if source.exists() and samples == 1_000_000:
            start = time.perf_counter()
            shutil.copyfile(source, path)
            print(f"copied {source.name} in {time.perf_counter() - start:.0f} s")
        else:
            sys.path.insert(0, str(Path(__file__).parent))
            from review_queries_bench import build_store

            start = time.perf_counter()
            build_store(path, samples).dispose()
            print(f"generated {samples:,} samples in {time.perf_counter() - start:.0f} s")
    return open_local_store(path)


def add_reviews(engine: Engine, total: int, *, seed: int = 11) -> None:
    """~90 % single reviews, ~10 % second reviews of the same samples (overlap)."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        rows = conn.execute(select(Sample.id, Sample.language)).all()
    overlap = total // 10
    picked = rng.sample(rows, total - overlap)
    now = clock.now()
    batch: list[dict[str, Any]] = []
    start = time.perf_counter()

    def review(sample_id: Any, reviewer: str, verdict: str, when: datetime) -> dict[str, Any]:
        bad = verdict == "bad"
        return {
            "id": uuid7(),
            "sample_id": sample_id,
            "reviewer": reviewer,
            "verdict": verdict,
            "rating": rng.randint(1, 2) if bad else rng.randint(4, 5),
            "categories": [rng.choice(CATEGORIES)] if bad else [],
            "time_spent_ms": rng.randint(5_000, 90_000),
            "device": "bench",
            "created_at": when,
            "updated_at": when,
            "dirty": False,
        }

    written = 0
    for i, (sample_id, language) in enumerate(picked):
        p_bad = 0.45 if language == "de" else 0.12
        verdict = "bad" if rng.random() < p_bad else ("unsure" if rng.random() < 0.03 else "good")
        when = now - timedelta(seconds=rng.uniform(0, 42 * 86_400))
        first = rng.choice(REVIEWERS)
        batch.append(review(sample_id, first, verdict, when))
        if i < overlap:
            second = rng.choice([r for r in REVIEWERS if r != first])
            other = verdict
            if rng.random() < 0.12:
                other = "good" if verdict == "bad" else "bad"
            batch.append(review(sample_id, second, other, when + timedelta(hours=2)))
        if len(batch) >= 10_000:
            with engine.begin() as conn:
                conn.execute(insert(Review), batch)
            written += len(batch)
            batch.clear()
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(Review), batch)
        written += len(batch)
    print(f"added {written:,} reviews in {time.perf_counter() - start:.0f} s")


def sql_alone(engine: Engine) -> None:
    """The loader's two queries through the raw DBAPI cursor, values left undecoded: the
    floor under "load reviews + reviewed samples" (the rest is decoding into frames)."""
    queries = (reviews_query(ALL_TIME), samples_query(engine, ALL_TIME))
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for query in queries:
            cursor.execute(str(query.compile(engine, compile_kwargs={"literal_binds": True})))
            while cursor.fetchmany(5000):
                pass


def cancel_latency(engine: Engine, after: float) -> float:
    """Seconds from cancel() to the service raising Cancelled."""
    token = CancelToken()
    raised: list[float] = []
    asked: list[float] = []

    def cancel() -> None:
        asked.append(time.perf_counter())
        token.cancel()

    def work() -> None:
        try:
            quality_overview(engine, ALL_TIME, token)
        except Cancelled:
            raised.append(time.perf_counter())

    thread = threading.Thread(target=work)
    timer = threading.Timer(after, cancel)
    thread.start()
    timer.start()
    thread.join()
    timer.cancel()
    return raised[0] - asked[0] if raised and asked else float("nan")


def bench_gui(engine: Engine) -> None:
    """The Quality workspace's refresh through the real TaskRunner; GUI-thread pauses."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from redline.settings import Settings
    from redline.ui.changes import ChangeHub
    from redline.ui.quality.page import QualityPage
    from redline.ui.tasks import TaskRunner
    from redline.ui.workspaces import WorkspaceContext

    app = QApplication.instance() or QApplication([])
    runner = TaskRunner()
    context = WorkspaceContext(
        engine=engine,
        settings=Settings(reviewer="bench", role="lead"),
        runner=runner,
        hub=ChangeHub(),
        show_selection=lambda ids, label: None,
        show_workspace=lambda key: QWidget(),
    )
    clock = QElapsedTimer()
    gaps: list[int] = []
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    runner.busy_changed.connect(lambda busy: None if busy else loop.quit())
    clock.start()
    timer.start()
    page = QualityPage(context)
    start = time.perf_counter()
    loop.exec()
    elapsed = time.perf_counter() - start
    timer.stop()
    app.processEvents()
    gaps.sort()
    print(
        f"  Quality page refresh (overview + disagreements) via TaskRunner: {elapsed:.1f} s; "
        f"GUI thread ticks {len(gaps)}, median gap {gaps[len(gaps) // 2]} ms, "
        f"99th percentile {gaps[int(len(gaps) * 0.99)]} ms, longest {gaps[-1]} ms"
    )
    print(f"    -> shown: {page.status_label.text()!r}")
    runner.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=OUT / "quality-1000k.sqlite")
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--reviews", type=int, default=250_000)
    parser.add_argument("--gui", action="store_true", help="also time the page offscreen")
    args = parser.parse_args()

    args.store.parent.mkdir(parents=True, exist_ok=True)
    engine = make_store(args.store, args.samples)
    with engine.connect() as conn:
        samples = conn.execute(select(func.count()).select_from(Sample)).scalar_one()
        reviews = conn.execute(select(func.count()).select_from(Review)).scalar_one()
    if reviews == 0:
        add_reviews(engine, args.reviews)
        with engine.connect() as conn:
            reviews = conn.execute(select(func.count()).select_from(Review)).scalar_one()
    print(f"store: {samples:,} samples, {reviews:,} reviews ({args.store})")

    print("all time, step by step:")
    data = timed("load reviews + reviewed samples", lambda: load_quality_data(engine))
    print(f"    -> {len(data.reviews):,} reviews of {len(data.samples):,} samples")
    timed("  of which the SQL alone (raw cursor, no decoding)", lambda: sql_alone(engine))
    scores = data.samples.set_index("sample_id")["score"].dropna()
    agreement = timed("agreement (kappa, alpha, pairs, categories, AUC)",
                      lambda: agreement_report(data.reviews, scores))  # fmt: skip
    print(f"    -> {agreement.items:,} samples reviewed twice, Fleiss {agreement.fleiss:.3f}")
    outcomes = timed("final verdict per sample", lambda: sample_outcomes(data.reviews))
    frame, dimensions = timed("pattern frame (dimensions per sample)",
                              lambda: pattern_frame(data.samples, outcomes))  # fmt: skip
    patterns = timed("rank patterns", lambda: rank_patterns(frame, dimensions))
    print(f"    -> {len(patterns)} patterns; top: {patterns[0].sentence() if patterns else '-'}")
    timed("implicit signals", lambda: implicit_signals(frame, SIGNALS))
    print("services end to end:")
    timed("quality_overview, all time", lambda: quality_overview(engine))
    week = TimeRange(since=clock.now() - timedelta(days=7))
    timed("quality_overview, last 7 days", lambda: quality_overview(engine, week))
    found = timed("disagreements (open), all time", lambda: disagreements(engine))
    print(f"    -> {len(found):,} open disagreements")
    timed("weekly report numbers, last 7 days (+ the 7 before)",
          lambda: build_weekly_report(engine, since=week.since or clock.now()))  # fmt: skip
    latency = cancel_latency(engine, 2.0)
    print(f"  cancel during quality_overview (after 2 s): stopped {latency * 1000:.0f} ms later")
    if args.gui:
        bench_gui(engine)
    engine.dispose()


if __name__ == "__main__":
    main()
