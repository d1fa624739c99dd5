"""Export speed and memory: Redline's export of reviewed samples against a raw baseline.

Builds (once, cached under bench/out/) a store of N reviewed samples, each with one bad
review carrying a correction (a tenth multi-turn, a fifth with an email, phone number
or card number in it), then in the same run, each phase in its own child process so
its peak RSS is its own:

1. baseline: the same records read with raw `sqlite3` (one join, no ORM) and written
   as OpenAI chat JSONL with `json.dumps` (and once more with `orjson.dumps`);
2. Redline: `run_export` in every format (openai without and with redaction, dpo,
   csv, parquet, and the regression set of one prompt version).

Prints rows/s, peak RSS and the ratio (wall and CPU time) against the json.dumps
baseline per format. The issue's targets: openai without redaction <= 1.5x the
baseline, peak RSS <= 300 MB.
`--rss-check N` also exports the first N rows only (a filter on the capture time), to
show that peak RSS does not grow with the row count.

`--repeat N` runs every phase N times, interleaved, and prints the medians (a shared
machine's load comes in bursts).

Usage: python bench/export_bench.py [--samples 1000000] [--formats openai,csv]
       [--rss-check 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from corpus import OUTPUT_LENGTHS, TURN_LENGTHS, Corpus
from redline import clock

OUT = Path(__file__).parent / "out"
START = datetime(2026, 1, 1, tzinfo=UTC)
PROMPTS = [("support-answer", f"v{i}") for i in range(1, 5)]
MODELS = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet"]
PII = [
    " Reach me at jane.doe+billing@example.com.",
    " Call me on +44 20 7946 0958 please.",
    " My card is 4111 1111 1111 1111.",
]
SYSTEM = "You are a helpful support assistant for Acme Cloud. Answer briefly and politely. " * 4
CHUNK = 10_000


def build_store(path: Path, samples: int, *, seed: int = 11) -> None:
    """A migrated store with `samples` samples, each with one review with a correction.

    Rows go straight to the driver (`redline.store.bulk`), the way the import writes.
    """
    from redline.store import bulk
    from redline.store.base import uuid7
    from redline.store.local import open_local_store

    rng = random.Random(seed)
    corpus = Corpus(seed)  # the texts: eleven languages, log-normal lengths, all unique

    partial = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    engine = open_local_store(partial)
    batch = uuid7()
    now = bulk.sqlite_time(clock.now())
    review_columns = (
        "id", "created_at", "updated_at", "revision", "seq", "dirty", "sample_id", "reviewer",
        "verdict", "rating", "categories", "note", "correction", "flagged", "time_spent_ms",
        "device", "adjudicated", "deleted",
    )  # fmt: skip
    insert_review = (
        f"INSERT INTO review ({', '.join(review_columns)}) "
        f"VALUES ({', '.join('?' for _ in review_columns)})"
    )
    with engine.begin() as conn:
        conn.connection.cursor().execute(
            "INSERT INTO batch (id, created_at, updated_at, revision, dirty, source, file_name, "
            "file_sha256, file_size, format, shape, mapping, sampling, status, records_read, "
            "rows_imported, rows_duplicate, rows_bad, rows_not_sampled, resume_line, "
            "reviewers_per_sample, imported_by, started_at, message) VALUES "
            "(?, ?, ?, 1, 0, 'bench', 'bench.jsonl', ?, 0, 'jsonl', 'flat', '{}', '{}', "
            "'complete', 0, 0, 0, 0, 0, 0, 1, 'bench', ?, '')",
            (batch.hex, now, now, "0" * 64, now),
        )
    for base in range(0, samples, CHUNK):
        sample_rows: list[tuple[Any, ...]] = []
        review_rows: list[tuple[Any, ...]] = []
        for i in range(base, min(samples, base + CHUNK)):
            sample_id, review_id = uuid7(), uuid7()
            answer = corpus.text(OUTPUT_LENGTHS, language := corpus.language())
            name, version = rng.choice(PROMPTS)
            question = corpus.unique_input(language) + (rng.choice(PII) if i % 5 == 0 else "")
            messages = None
            if i % 10 == 3:
                messages = [
                    {"role": "user", "content": corpus.text(TURN_LENGTHS, language)},
                    {"role": "assistant", "content": corpus.text(TURN_LENGTHS, language)},
                    {"role": "user", "content": question},
                ]
            captured = START + timedelta(seconds=i * 2)
            # fmt: off
            sample_rows.append(
                (
                    sample_id.hex, now, now, 1, None, 0, batch.hex, "bench", f"rec-{i}",
                    f"{i:032x}", bulk.sqlite_time(captured), rng.choice(MODELS), name, version,
                    rng.choice(["A", "B"]), f"s{i // 5}", SYSTEM, question,
                    bulk.sqlite_json(messages), answer, rng.random(), "pass",
                    rng.uniform(100, 3000), rng.randint(50, 500), rng.randint(50, 800),
                    language.code, 0, None, None, None, None, None, 1.0,
                )
            )
            correction = corpus.text(OUTPUT_LENGTHS, language) + (
                rng.choice(PII) if i % 5 == 1 else ""
            )
            review_rows.append(
                (
                    review_id.hex, now, now, 1, None, 0, sample_id.hex, "ana", "bad",
                    rng.randint(1, 3), bulk.sqlite_json(["incomplete"]), "", correction, 0,
                    rng.randint(5_000, 90_000), "bench", 0, 0,
                )
            )
            # fmt: on
        with engine.begin() as conn:
            bulk.insert_samples(conn, sample_rows)
            cursor = conn.connection.cursor()
            cursor.executemany(insert_review, review_rows)
            cursor.close()
        if base % 100_000 == 0:
            print(f"  built {base + len(sample_rows):,} samples", file=sys.stderr, flush=True)
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.replace(path)


# --------------------------------------------------------------------------- phases

BASELINE_SQL = (
    "SELECT s.system_prompt, s.input_text, s.input_messages, r.correction "
    "FROM review r JOIN sample s ON s.id = r.sample_id "
    "WHERE r.deleted = 0 AND r.correction IS NOT NULL AND s.captured_at < ? "
    "ORDER BY r.sample_id"
)


def baseline(store: Path, out: Path, until: str, dumps: str) -> int:
    """Raw sqlite3 + json.dumps (or orjson.dumps): the same OpenAI records, no checks."""
    import orjson

    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    rows = 0
    with out.open("wb") as handle:
        for system, text, messages, correction in conn.execute(BASELINE_SQL, (until,)):
            turns = json.loads(messages) if messages else [{"role": "user", "content": text}]
            record = {
                "messages": [
                    {"role": "system", "content": system},
                    *turns,
                    {"role": "assistant", "content": correction},
                ]
            }
            if dumps == "orjson":
                handle.write(orjson.dumps(record) + b"\n")
            else:
                handle.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            rows += 1
    conn.close()
    return rows


def redline_export(store: Path, out: Path, until: str, fmt: str, redact: bool) -> int:
    from redline.export.service import run_export
    from redline.export.types import ExportFilters, ExportOptions
    from redline.store.local import open_read_only

    filters = ExportFilters(until=datetime.fromisoformat(until).replace(tzinfo=UTC))
    if fmt == "regression":
        filters = ExportFilters(
            prompt_name=PROMPTS[0][0], prompt_version=PROMPTS[0][1], until=filters.until
        )
    options = ExportOptions(
        format=fmt,  # type: ignore[arg-type]  # checked by the CLI's choices
        filters=filters,
        redact=redact,
        overwrite=True,
    )
    engine = open_read_only(store)
    try:
        return run_export(engine, options, out).written
    finally:
        engine.dispose()


Phase = tuple[float, float, int, int]  # wall seconds, CPU seconds, rows, peak RSS bytes


def _phase(queue: mp.Queue[Phase], fn: Callable[..., int], args: tuple[Any, ...]) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    rows = fn(*args)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    queue.put((elapsed, cpu, rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))


def run_phase(fn: Callable[..., int], *args: Any) -> Phase:
    """(wall s, CPU s, rows, peak RSS bytes) of `fn(*args)` in a fresh child process."""
    queue: mp.Queue[Phase] = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_phase, args=(queue, fn, args))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"phase {fn.__name__}{args[3:]} failed (exit {process.exitcode})")
    return result


def report(label: str, result: Phase, base: Phase | None) -> None:
    # On a shared machine the CPU-time ratio is the steadier one; both are printed.
    elapsed, cpu, rows, rss = result
    ratio = f"  ratio wall {elapsed / base[0]:5.2f} cpu {cpu / base[1]:5.2f}" if base else ""
    print(
        f"{label:<24}{rows:>10,} rows {elapsed:7.1f} s (cpu {cpu:6.1f} s) "
        f"{rows / elapsed:>8,.0f} rows/s  peak RSS {rss / 1e6:4.0f} MB{ratio}",
        flush=True,
    )


def median_phase(phases: list[Phase]) -> Phase:
    """Median wall and CPU time of repeated runs (rows alike), the highest peak RSS."""
    return (
        statistics.median(p[0] for p in phases),
        statistics.median(p[1] for p in phases),
        phases[0][2],
        max(p[3] for p in phases),
    )


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


FORMATS = ("openai", "openai+redact", "dpo", "csv", "parquet", "regression")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    parser.add_argument("--rss-check", type=int, default=0, metavar="N")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per phase, interleaved; medians are reported"
    )
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    OUT.mkdir(exist_ok=True)
    store = OUT / f"export-{args.samples // 1000}k.sqlite"
    if not store.exists():
        print(f"building {store} ...", file=sys.stderr)
        t0 = time.perf_counter()
        build_store(store, args.samples)
        print(f"built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="redline-export-bench-"))
    print(f"store {store} ({store.stat().st_size / 1e9:.1f} GB), {args.samples:,} reviewed samples")
    print(f"{os.cpu_count()} CPUs, {load()}")

    def until(rows: int) -> str:
        return (START + timedelta(seconds=2 * rows)).replace(tzinfo=None).isoformat(" ")

    sizes = [args.samples] + ([args.rss_check] if args.rss_check else [])
    for size in sizes:
        end = until(size)
        runs: dict[str, list[Phase]] = defaultdict(list)
        # Repetitions are interleaved (every phase once, then again), so a burst of load
        # from others on a shared machine spreads over all phases instead of one.
        for repetition in range(1, args.repeat + 1):
            print(f"\n-- first {size:,} samples, run {repetition} of {args.repeat} ({load()})")
            out = work / "baseline.jsonl"
            base = run_phase(baseline, store, out, end, "json")
            runs["baseline json.dumps"].append(base)
            report("baseline json.dumps", base, None)
            runs["baseline orjson"].append(run_phase(baseline, store, out, end, "orjson"))
            report("baseline orjson", runs["baseline orjson"][-1], base)
            out.unlink()
            for fmt in formats:
                name = fmt.removesuffix("+redact")
                suffix = {"csv": ".csv", "parquet": ".parquet"}.get(name, ".jsonl")
                out = work / f"export{suffix}"
                result = run_phase(redline_export, store, out, end, name, fmt.endswith("+redact"))
                runs[f"redline {fmt}"].append(result)
                report(f"redline {fmt}", result, base)
                for leftover in work.iterdir():
                    leftover.unlink()
        if args.repeat > 1:
            print(f"\n-- first {size:,} samples: medians of {args.repeat} runs ({load()})")
            median_base = median_phase(runs["baseline json.dumps"])
            for label, phases in runs.items():
                median = median_phase(phases)
                report(label, median, None if label == "baseline json.dumps" else median_base)
    work.rmdir()
    print("\ntargets: openai (no redaction) ratio <= 1.5, peak RSS <= 300 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
