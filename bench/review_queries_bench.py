"""Queue and search timings on a generated 1,000,000-sample local store.

Prints figures, asserts nothing. Usage:

    .venv/bin/python bench/review_queries_bench.py [--samples N] [--store PATH] [--keep]

With --store pointing at an existing file the generation step is skipped (the store is
upgraded to head first), so repeated runs measure warm queries on the same data.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Engine, func, insert, select

from corpus import OUTPUT_LENGTHS, Corpus
from redline.review import queue
from redline.review.service import ReviewService
from redline.review.types import QueueFilter, QueueSort, ReviewInput, Verdict
from redline.store.base import uuid7
from redline.store.local import open_local_store
from redline.store.models import Batch, Sample
from redline.store.search import ensure_search_index

T = TypeVar("T")

MODELS = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet", "llama-3-70b"]
PROMPTS = [("support-answer", f"v{i}") for i in range(1, 5)] + [
    ("summarise", f"v{i}") for i in range(1, 3)
]
SYSTEM_PROMPTS = [
    "You are a helpful support assistant for Acme Cloud. " * 8,
    "Summarise the customer conversation in three bullet points. " * 6,
]


def build_store(path: Path, samples: int, *, seed: int = 7) -> Engine:
    """A migrated store with `samples` synthetic samples (Core executemany, 10k per call)."""
    rng = random.Random(seed)
    corpus = Corpus(seed)  # the texts: eleven languages, log-normal lengths, all unique
    engine = open_local_store(path)
    batch_id = uuid7()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Batch),
            [
                {
                    "id": batch_id,
                    "source": "bench",
                    "file_name": "bench.jsonl",
                    "file_sha256": "0" * 64,
                    "format": "jsonl",
                    "shape": "flat",
                }
            ],
        )
    chunk = 10_000
    for base in range(0, samples, chunk):
        rows: list[dict[str, Any]] = []
        for i in range(base, min(samples, base + chunk)):
            prompt_name, prompt_version = rng.choice(PROMPTS)
            language = corpus.language()
            text_in = corpus.unique_input(language)
            if i % 1000 == 0:
                text_in += " refund invoice"
            rows.append(
                {
                    "id": uuid7(),
                    "batch_id": batch_id,
                    "source": "bench",
                    "external_id": f"rec-{i}",
                    "content_hash": f"{i:032x}",
                    # Mostly in order, as production logs are, with some jitter.
                    "captured_at": start + timedelta(seconds=i * 2 + rng.randint(-30, 30)),
                    "model": rng.choice(MODELS),
                    "prompt_name": prompt_name,
                    "prompt_version": prompt_version,
                    "variant": rng.choice(["A", "B", None]),
                    "session_id": f"s{i // 5}",
                    "system_prompt": SYSTEM_PROMPTS[prompt_name == "summarise"],
                    "input_text": text_in,
                    "output": corpus.text(OUTPUT_LENGTHS, language),
                    "score": rng.random(),
                    "decision": "pass",
                    "latency_ms": rng.uniform(100, 3000),
                    "tokens_in": rng.randint(50, 500),
                    "tokens_out": rng.randint(50, 800),
                    "language": language.code,
                    "segments": {"tier": rng.choice(["free", "pro"])},
                    "signal_copied": rng.choice([True, False, None]),
                    "signal_edited": rng.choice([True, False, None]),
                    "signal_follow_up": rng.choice([True, False, None]),
                    "signal_thumbs": rng.choice([1, -1, None, None, None]),
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(Sample), rows)
    return engine


def timed(label: str, fn: Callable[[], T], repeat: int = 1) -> T:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<58} {best * 1000:9.1f} ms")
    return result  # type: ignore[no-any-return]


def _batches(n: int, size: int) -> Iterator[range]:
    for i in range(0, n, size):
        yield range(i, min(n, i + size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated store")
    args = parser.parse_args()

    tmp: Path | None = None
    if args.store and args.store.exists():
        t0 = time.perf_counter()
        engine = open_local_store(args.store)
        print(f"open (and upgrade if needed): {time.perf_counter() - t0:.1f} s")
    else:
        path = args.store
        if path is None:
            tmp = Path(tempfile.mkdtemp(prefix="redline-bench-"))
            path = tmp / "bench.sqlite"
        t0 = time.perf_counter()
        engine = build_store(path, args.samples)
        print(f"generated {args.samples:,} samples in {time.perf_counter() - t0:.1f} s ({path})")
    try:
        run(engine)
    finally:
        engine.dispose()
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp)


def run(engine: Engine) -> None:
    me = "bench@example.com"
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Sample)).scalar_one()
        first_ids = [
            uuid.UUID(str(v)) for v in conn.execute(select(Sample.id).limit(300)).scalars()
        ]
    print(f"store: {total:,} samples")

    # Search index first: the queue's text filter needs it, and it is the UI's
    # background job after an import.
    t0 = time.perf_counter()
    indexed = ensure_search_index(engine)
    dt = time.perf_counter() - t0
    if indexed:
        print(
            f"ensure_search_index: {indexed:,} samples in {dt:.1f} s "
            f"({indexed / dt:,.0f} samples/s)"
        )
    else:
        print(f"ensure_search_index: already complete ({dt * 1000:.1f} ms)")

    service = ReviewService(engine, reviewer=me, device="bench")
    for sample_id in first_ids[:200]:
        service.submit(ReviewInput(sample_id, verdict=Verdict.GOOD, time_spent_ms=1000))
    timed(
        "submit (one review, committed)",
        lambda: service.submit(
            ReviewInput(first_ids[250], verdict=Verdict.BAD, correction="refund the invoice")
        ),
        repeat=1,
    )

    default = QueueFilter()
    by_time = QueueSort()
    snap = timed(
        "snapshot default (unreviewed, captured_at)",
        lambda: queue.snapshot(engine, default, by_time, me),
        repeat=3,
    )
    print(f"  -> {len(snap):,} rows")
    timed("first_page default", lambda: queue.first_page(engine, default, by_time, me), repeat=3)
    lang = QueueFilter(language="fr")
    snap_fr = timed("snapshot language=fr", lambda: queue.snapshot(engine, lang, by_time, me), 3)
    print(f"  -> {len(snap_fr):,} rows")
    timed("first_page language=fr", lambda: queue.first_page(engine, lang, by_time, me), 3)
    model = QueueFilter(model="gpt-4.1", status="all")
    snap_m = timed(
        "snapshot model=gpt-4.1 (status all)", lambda: queue.snapshot(engine, model, by_time, me), 3
    )
    print(f"  -> {len(snap_m):,} rows")
    timed("first_page model=gpt-4.1", lambda: queue.first_page(engine, model, by_time, me), 3)
    sig = QueueFilter(signal="thumbs_down")
    snap_s = timed(
        "snapshot signal=thumbs_down", lambda: queue.snapshot(engine, sig, by_time, me), 3
    )
    print(f"  -> {len(snap_s):,} rows")
    by_score = QueueSort("score", descending=True)
    timed(
        "snapshot default sorted by score desc",
        lambda: queue.snapshot(engine, default, by_score, me),
        3,
    )
    timed(
        "first_page default sorted by score desc",
        lambda: queue.first_page(engine, default, by_score, me),
        3,
    )
    by_model = QueueSort("model")
    timed(
        "snapshot default sorted by model", lambda: queue.snapshot(engine, default, by_model, me), 1
    )
    timed(
        "first_page default sorted by model",
        lambda: queue.first_page(engine, default, by_model, me),
        3,
    )
    timed(
        "snapshot reviewed_by_me",
        lambda: queue.snapshot(engine, QueueFilter(status="reviewed_by_me"), by_time, me),
        3,
    )

    page = np.asarray(
        snap[900_000 : 900_000 + queue.PAGE_SIZE] if len(snap) > 900_000 else snap[-200:]
    )
    rows = timed(
        "load_rows 200 rows at offset 900,000", lambda: queue.load_rows(engine, page, me), 3
    )
    print(f"  -> {len(rows)} rows")
    text = QueueFilter(status="all", text="refund invoice")
    hits = timed(
        "snapshot text='refund invoice' (status all)",
        lambda: queue.snapshot(engine, text, by_time, me),
        3,
    )
    print(f"  -> {len(hits):,} rows")
    common = QueueFilter(status="all", text="the")
    hits = timed(
        "snapshot text='the' (prefix, common)",
        lambda: queue.snapshot(engine, common, by_time, me),
        3,
    )
    print(f"  -> {len(hits):,} rows")
    timed(
        "first_page text='refund invoice'", lambda: queue.first_page(engine, text, by_time, me), 3
    )
    timed("progress(None)", lambda: service.progress(None), 3)


if __name__ == "__main__":
    main()
