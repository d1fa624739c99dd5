"""Import speed: Redline's import against a raw json.loads + sqlite3 executemany baseline.

Generates N production-like JSONL records (bench/corpus.py: ~1.8 KB each on average, eleven
languages, 15 % chat records, 5 % with tool steps, every text unique), then in the same
process:
1. baseline: parse every line with json.loads and insert the same columns with raw
   sqlite3 executemany in one transaction, into a plain table;
2. Redline: `import_file` into a fresh store (mapping, validation, language guess for
   records without one, ids, hashes, idempotency index, chunked resumable commits).
Prints rows/s for both, the ratio redline/baseline, CPU seconds, and peak RSS of each
phase (each runs in a child process so one phase's memory does not hide the other's;
Redline's figures include its import worker process).

Usage: python bench/import_bench.py [--records 1000000] [--keep DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus import write_jsonl


def generate(path: Path, count: int, seed: int = 1) -> None:
    """Write `count` production-like records (bench/corpus.py: eleven languages, log-normal
    lengths, chat and tool-step records, every input unique)."""
    write_jsonl(path, count, seed)


Result = tuple[str, float, int, int, float]
"""(phase, wall seconds, rows, peak RSS bytes, CPU seconds)"""

BASELINE_COLUMNS = (
    "external_id", "captured_at", "model", "prompt_name", "prompt_version", "variant",
    "session_id", "input_text", "output", "score", "latency_ms", "tokens_in", "tokens_out",
    "signal_copied", "signal_thumbs", "language",
)  # fmt: skip


def baseline(path: Path, db: Path, queue: mp.Queue[Result]) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"CREATE TABLE sample ({', '.join(BASELINE_COLUMNS)})")
    sql = f"INSERT INTO sample VALUES ({', '.join('?' for _ in BASELINE_COLUMNS)})"
    started, cpu = time.perf_counter(), _cpu()
    rows = 0

    def records() -> Iterator[tuple[Any, ...]]:
        nonlocal rows
        with path.open("rb") as handle:
            for line in handle:
                r = json.loads(line)
                rows += 1
                messages = r.get("messages")
                if messages:  # a chat record: the turns before the answer, and the answer
                    question, answer = json.dumps(messages[:-1]), messages[-1]["content"]
                else:
                    question, answer = r["input"], r["output"]
                yield (
                    r["id"], r["timestamp"], r["model"], r["prompt_name"], r["prompt_version"],
                    r["variant"], r["session_id"], question, answer, r["score"],
                    r["latency_ms"], r["prompt_tokens"], r["completion_tokens"], r["copied"],
                    r["thumbs"], r.get("language"),
                )  # fmt: skip

    with conn:
        conn.executemany(sql, records())
    elapsed = time.perf_counter() - started
    queue.put(("baseline", elapsed, rows, _peak_rss(), _cpu() - cpu))


def redline(path: Path, db: Path, queue: mp.Queue[Result]) -> None:
    from redline.ingest.service import import_file
    from redline.store.local import open_local_store

    engine = open_local_store(db)
    started, cpu = time.perf_counter(), _cpu()
    report = import_file(path, engine=engine)
    elapsed = time.perf_counter() - started
    queue.put(("redline", elapsed, report.imported, _peak_rss(), _cpu() - cpu))


def _cpu() -> float:
    """CPU seconds of this process, all threads, and of its finished child processes
    (Redline's import worker): on a busy shared machine the wall times stretch with
    the load, the CPU times much less."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss() -> int:
    """Peak RSS of this process plus its largest finished child (the import worker runs
    alongside the importing process, so their peaks add up)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024


def _run(target, path: Path, db: Path) -> Result:  # type: ignore[no-untyped-def]
    queue: mp.Queue[Result] = mp.Queue()
    process = mp.get_context("fork").Process(target=target, args=(path, db, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _fresh(db: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run baseline and Redline this many times, alternating, and report medians "
        "(the ratio of each pair is taken within the pair, so load on a shared machine "
        "disturbs it less)",
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="redline-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"records-{args.records}.jsonl"
    if not data.exists():
        print(f"generating {args.records:,} records -> {data}", file=sys.stderr)
        generate(data, args.records)
    size = data.stat().st_size
    print(f"file: {size / 1e6:.0f} MB, {size / args.records:.0f} bytes/record")
    print(f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start: {_load()}")
    runs: list[dict[str, tuple[float, int, int, float]]] = []
    for _ in range(max(1, args.repeat)):
        results = {
            name: (elapsed, rows, rss, cpu)
            for name, elapsed, rows, rss, cpu in (
                _run(baseline, data, _fresh(work / "baseline.sqlite")),
                _run(redline, data, _fresh(work / "redline.sqlite")),
            )
        }
        runs.append(results)
        for name, (elapsed, rows, rss, cpu) in results.items():
            print(
                f"{name:9s} {rows:>10,} rows in {elapsed:7.1f} s = {rows / elapsed:>9,.0f} "
                f"rows/s, peak RSS {rss / 1e6:.0f} MB, CPU {cpu:.1f} s"
            )
        ratio = results["redline"][0] / results["baseline"][0]
        print(
            f"ratio redline/baseline: {ratio:.2f} (target <= 2.0); "
            f"redline peak RSS {results['redline'][2] / 1e6:.0f} MB (target <= 300 MB)",
            flush=True,
        )
    if len(runs) > 1:

        def summary(values: list[float], unit: str = "") -> str:
            values = sorted(values)
            median = statistics.median(values)
            return f"{median:.2f}{unit} (range {values[0]:.2f}-{values[-1]:.2f})"

        rss = max(r["redline"][2] for r in runs)
        print(f"median of {len(runs)} (range):")
        for name in ("baseline", "redline"):
            print(
                f"  {name:9s} wall {summary([r[name][0] for r in runs], ' s')}, "
                f"CPU {summary([r[name][3] for r in runs], ' s')}"
            )
        wall_ratios = [r["redline"][0] / r["baseline"][0] for r in runs]
        cpu_ratios = [r["redline"][3] / r["baseline"][3] for r in runs]
        print(
            f"  ratio redline/baseline: wall {summary(wall_ratios)} (target <= 2.0), "
            f"CPU {summary(cpu_ratios)}; redline peak RSS {rss / 1e6:.0f} MB"
        )
    print(f"load average (1, 5, 15 min) at the end: {_load()}")
    return 0


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
