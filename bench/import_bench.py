"""Import speed: Redline's import against a raw json.loads + sqlite3 executemany baseline.

Generates N realistic flat JSONL records (~600 bytes each), then in the same process:
1. baseline: parse every line with json.loads and insert the same columns with raw
   sqlite3 executemany in one transaction, into a plain table;
2. Redline: `import_file` into a fresh store (mapping, validation, language guess for
   records without one, ids, hashes, idempotency index, chunked resumable commits).
Prints rows/s for both, the ratio redline/baseline, and peak RSS of each phase (each
runs in a child process so one phase's memory does not hide the other's).

Usage: python bench/import_bench.py [--records 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

QUESTIONS = [
    ("en", "How do I reset my password? The link in the email says it has expired."),
    ("en", "Can you summarise the attached contract clause about termination for me?"),
    ("en", "Why was my card charged twice for the same order last week?"),
    ("de", "Wie kann ich meine Lieferadresse ändern, nachdem die Bestellung raus ist?"),
    ("fr", "Pourquoi ma facture est-elle plus élevée que le mois dernier ?"),
    ("es", "¿Cómo puedo cancelar mi suscripción sin perder mis datos?"),
    ("ja", "注文をキャンセルするにはどうすればいいですか？"),
]
ANSWERS = [
    "You can reset it from Settings > Security > Reset password. If the link expired, "
    "request a new one; links are valid for 30 minutes. Let me know if it still fails.",
    "The clause allows either party to terminate with 30 days' written notice, except "
    "during the first 6 months, when termination requires cause as defined in section 4.",
    "I can see two authorisations for order 4471. The second one is a pending hold and "
    "will disappear within 3-5 business days; you have only been charged once.",
]
MODELS = ["gpt-4o-mini", "claude-3-5-haiku", "llama-3.1-70b"]


def generate(path: Path, count: int, seed: int = 1) -> None:
    """Write `count` flat JSONL records of about 600 bytes."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            lang, question = rng.choice(QUESTIONS)
            record = {
                "id": f"req-{i:09d}",
                "timestamp": (start + timedelta(seconds=i * 3)).isoformat(),
                "model": rng.choice(MODELS),
                "prompt_name": "support-assistant",
                "prompt_version": rng.choice(["v2", "v3"]),
                "variant": rng.choice(["A", "B"]),
                "session_id": f"s-{rng.randrange(10**8):08d}",
                "input": question,
                "output": rng.choice(ANSWERS),
                "score": round(rng.random(), 4),
                "latency_ms": rng.randrange(200, 4000),
                "prompt_tokens": rng.randrange(50, 2000),
                "completion_tokens": rng.randrange(20, 400),
                "copied": rng.random() < 0.2,
                "thumbs": rng.choice(["up", "down", None, None, None]),
            }
            # Most production logs carry a locale; a quarter don't and get a guess.
            if rng.random() < 0.75:
                record["language"] = lang
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


BASELINE_COLUMNS = (
    "external_id", "captured_at", "model", "prompt_name", "prompt_version", "variant",
    "session_id", "input_text", "output", "score", "latency_ms", "tokens_in", "tokens_out",
    "signal_copied", "signal_thumbs", "language",
)  # fmt: skip


def baseline(path: Path, db: Path, queue: mp.Queue[tuple[str, float, int, int]]) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"CREATE TABLE sample ({', '.join(BASELINE_COLUMNS)})")
    sql = f"INSERT INTO sample VALUES ({', '.join('?' for _ in BASELINE_COLUMNS)})"
    started = time.perf_counter()
    rows = 0

    def records():  # type: ignore[no-untyped-def]
        nonlocal rows
        with path.open("rb") as handle:
            for line in handle:
                r = json.loads(line)
                rows += 1
                yield (
                    r["id"], r["timestamp"], r["model"], r["prompt_name"], r["prompt_version"],
                    r["variant"], r["session_id"], r["input"], r["output"], r["score"],
                    r["latency_ms"], r["prompt_tokens"], r["completion_tokens"], r["copied"],
                    r["thumbs"], r.get("language"),
                )  # fmt: skip

    with conn:
        conn.executemany(sql, records())
    elapsed = time.perf_counter() - started
    queue.put(("baseline", elapsed, rows, _peak_rss()))


def redline(path: Path, db: Path, queue: mp.Queue[tuple[str, float, int, int]]) -> None:
    from redline.ingest.service import import_file
    from redline.store.local import open_local_store

    engine = open_local_store(db)
    started = time.perf_counter()
    report = import_file(path, engine=engine)
    elapsed = time.perf_counter() - started
    queue.put(("redline", elapsed, report.imported, _peak_rss()))


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _run(target, path: Path, db: Path) -> tuple[str, float, int, int]:  # type: ignore[no-untyped-def]
    queue: mp.Queue[tuple[str, float, int, int]] = mp.Queue()
    process = mp.get_context("fork").Process(target=target, args=(path, db, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="redline-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"records-{args.records}.jsonl"
    if not data.exists():
        print(f"generating {args.records:,} records -> {data}", file=sys.stderr)
        generate(data, args.records)
    size = data.stat().st_size
    print(f"file: {size / 1e6:.0f} MB, {size / args.records:.0f} bytes/record")
    for db in (work / "baseline.sqlite", work / "redline.sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    results = {
        name: (elapsed, rows, rss)
        for name, elapsed, rows, rss in (
            _run(baseline, data, work / "baseline.sqlite"),
            _run(redline, data, work / "redline.sqlite"),
        )
    }
    for name, (elapsed, rows, rss) in results.items():
        print(
            f"{name:9s} {rows:>10,} rows in {elapsed:7.1f} s = {rows / elapsed:>9,.0f} rows/s, "
            f"peak RSS {rss / 1e6:.0f} MB"
        )
    ratio = results["redline"][0] / results["baseline"][0]
    print(
        f"ratio redline/baseline: {ratio:.2f} (target <= 2.0); "
        f"redline peak RSS {results['redline'][2] / 1e6:.0f} MB (target <= 300 MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
