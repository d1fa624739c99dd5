"""The review workstation at a million samples, measured through the real widgets.

Opens `MainWindow` offscreen on a generated store and drives it as a reviewer does,
printing each figure with its target (issue 3) and its ratio against a baseline run in
the same process: the raw sqlite3 statements behind that step, without Qt, SQLAlchemy
or our code. Asserts nothing. Usage:

    .venv/bin/python bench/review_bench.py [--samples N] [--store PATH] [--rebuild]

The store is generated once (in a child process, so its memory does not count as the
window's) and cached under bench/out/; later runs reuse it. Reviews, history and drafts
the bench writes are removed before and after each run, so runs stay comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REVIEWER = "bench-reviewer"
BASELINE_REVIEWER = "bench-baseline"
SUBMITS = 100
JUMP_ROW = 900_000

# Offscreen Qt, and settings in a throwaway place (the bench never touches yours).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="redline-bench-home-"))
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


# ----------------------------------------------------------------------------- store


def build(path: Path, samples: int) -> None:
    """Generate the store (bench/review_queries_bench.py's generator) and index it."""
    sys.path.insert(0, str(BENCH_DIR))
    from redline.store.search import ensure_search_index
    from review_queries_bench import build_store

    partial = path.with_suffix(".partial")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    t0 = time.perf_counter()
    engine = build_store(partial, samples)
    print(f"generated {samples:,} samples in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    ensure_search_index(engine)
    print(f"search index built in {time.perf_counter() - t0:.0f} s", flush=True)
    engine.dispose()
    partial.rename(path)


def ensure_store(path: Path, samples: int, rebuild: bool) -> None:
    if path.exists() and not rebuild:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {path} ({samples:,} samples; once, then cached)…", flush=True)
    subprocess.run(
        [sys.executable, __file__, "--build-only", "--samples", str(samples), "--store", str(path)],
        check=True,
    )


def forget_bench_reviews(path: Path) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        with conn:
            for table in ("review", "review_history", "review_draft"):
                conn.execute(
                    f"DELETE FROM {table} WHERE reviewer IN (?, ?)", (REVIEWER, BASELINE_REVIEWER)
                )
    finally:
        conn.close()


# ------------------------------------------------------------------------- baselines


class Raw:
    """The raw sqlite3 statements behind each measured step (the baselines)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous = NORMAL")

    def first_page(self, where: str = "", params: tuple[Any, ...] = ()) -> list[int]:
        sql = f"SELECT rowid FROM sample {where} ORDER BY captured_at, rowid LIMIT 100"
        return [r for (r,) in self.conn.execute(sql, params)]

    def sample(self, rowid: int) -> tuple[Any, ...]:
        row = self.conn.execute("SELECT * FROM sample WHERE rowid = ?", (rowid,)).fetchone()
        return tuple(row)

    def first_screen(self) -> None:
        rows = self.first_page()
        self.page(rows)
        self.sample(rows[0])

    def page(self, rowids: list[int]) -> None:
        self.conn.execute(
            "SELECT s.rowid, s.id, s.score, s.model, s.language, s.captured_at, "
            "substr(s.input_text, 1, 240) FROM sample s "
            "WHERE s.rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(rowids),),
        ).fetchall()

    def submit(self, sample_rowid: int, next_rowid: int) -> None:
        (sample_id,) = self.conn.execute(
            "SELECT id FROM sample WHERE rowid = ?", (sample_rowid,)
        ).fetchone()
        self.conn.execute("BEGIN")
        self.conn.execute(
            "INSERT INTO review (id, sample_id, reviewer, verdict, categories, note, flagged, "
            "time_spent_ms, device, adjudicated, created_at, updated_at, revision, dirty) "
            "VALUES (?, ?, ?, 'good', '[]', '', 0, 0, 'bench', 0, "
            "datetime('now'), datetime('now'), 1, 1)",
            (os.urandom(16).hex(), sample_id, BASELINE_REVIEWER),
        )
        self.conn.execute("COMMIT")
        self.sample(next_rowid)


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# ---------------------------------------------------------------------------- report


def report(label: str, value_ms: float, target_ms: float, baseline_ms: float) -> None:
    ok = "ok  " if value_ms <= target_ms else "MISS"
    ratio = value_ms / baseline_ms if baseline_ms > 0 else float("inf")
    print(
        f"{ok} {label:<44} {value_ms:8.1f} ms  (target ≤ {target_ms:,.0f} ms; "
        f"baseline {baseline_ms:6.1f} ms, ratio {ratio:5.1f})",
        flush=True,
    )


# ---------------------------------------------------------------------------- widgets


def _quiet(_mode: Any, _context: Any, message: str) -> None:
    # The offscreen platform cannot resize native windows to hints; Qt says so each time.
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def run(path: Path) -> None:
    from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal, qInstallMessageHandler
    from PySide6.QtTest import QTest

    from redline.settings import Settings
    from redline.store.local import open_local_store
    from redline.ui.app import application
    from redline.ui.main_window import MainWindow

    app = application()
    qInstallMessageHandler(_quiet)
    forget_bench_reviews(path)
    raw = Raw(path)
    engine = open_local_store(path)
    (total,) = raw.conn.execute("SELECT count(*) FROM sample").fetchone()
    print(f"store: {path} ({total:,} samples); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    _, before_window = rss_mb()

    def wait(signal: Any, start: Callable[[], None], *, until: Callable[[], bool] | None = None,
             timeout_s: float = 60) -> float:  # fmt: skip
        """Seconds from start() until `signal` fired (and `until()` holds)."""
        loop = QEventLoop()
        done = [False]

        def fired(*_args: object) -> None:
            if until is None or until():
                done[0] = True
                loop.quit()

        signal.connect(fired)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(int(timeout_s * 1000))
        t0 = time.perf_counter()
        start()
        if not done[0]:
            loop.exec()
        elapsed = time.perf_counter() - t0
        timer.stop()
        signal.disconnect(fired)
        if not done[0]:
            raise SystemExit(f"timed out after {timeout_s:.0f} s")
        return elapsed

    # -- first screen: window constructed and shown, first sample fully shown --------
    settings = Settings(reviewer=REVIEWER, device="bench")
    holder: dict[str, MainWindow] = {}

    class Relay(QObject):  # the window does not exist yet: relay its signal
        fired = Signal()

    relay = Relay()

    def open_window() -> None:
        window = MainWindow(engine, settings=settings, store_path=path)
        holder["w"] = window
        window.controller.sample_shown.connect(lambda _id: relay.fired.emit())
        window.show()

    first_s = wait(relay.fired, open_window)
    window = holder["w"]
    controller = window.controller
    t0 = time.perf_counter()
    window.repaint()
    first_s += time.perf_counter() - t0
    report("first screen (window → first sample)", first_s * 1000, 1000,
           timed(raw.first_screen) * 1000)  # fmt: skip

    window.activateWindow()

    def settle() -> None:
        # Let background work (the full snapshot, filter options) finish: each step
        # measures a window at rest, as a reviewer meets it.
        deadline = time.monotonic() + 120
        while (
            controller.snapshot_generation != controller.queue_generation
            or window.runner.active_count()
        ):
            if time.monotonic() > deadline:
                keys = window.runner.active_keys()
                raise SystemExit(f"still busy after 120 s: {keys}")
            QTest.qWait(10)

    settle()
    print(f"     queue loaded: {window.queue_model.rowCount():,} rows")

    model = window.queue_model
    view = window.queue_view

    def rows_painted() -> None:
        view.viewport().repaint()

    # -- filter change: language = fr, to the first rows painted ---------------------
    combo = window.filter_bar.language_combo
    fr = next((i for i in range(combo.count()) if combo.itemData(i) == ("fr",)), 1)

    def change_language(index: int) -> Callable[[], None]:
        return lambda: combo.setCurrentIndex(index)

    times = []
    for index in (fr, 0, fr, 0, fr):
        times.append(wait(model.modelReset, change_language(index)) + timed(rows_painted, 1))
        settle()
    filter_ms = statistics.median(times) * 1000
    from redline.review import queue
    from redline.review.types import QueueFilter, QueueSort

    sql, params = queue._queue_sql(QueueFilter(language="fr"), QueueSort(), REVIEWER)
    head_sql = sql + " LIMIT 100"
    report("filter change (language) → first rows", filter_ms, 200,
           timed(lambda: raw.conn.execute(head_sql, params).fetchall()) * 1000)  # fmt: skip
    combo.setCurrentIndex(0)
    settle()

    # -- sort by model / by score, and a common-word search: first rows ------------------
    def first_rows_after(action: Callable[[], None]) -> float:
        elapsed = wait(model.modelReset, action) + timed(rows_painted, 1)
        settle()
        return elapsed * 1000

    header = view.horizontalHeader()
    from redline.ui.models.queue_model import Column

    sort_model_ms = first_rows_after(
        lambda: header.setSortIndicator(Column.MODEL, Qt.SortOrder.AscendingOrder)
    )
    by_model = "SELECT rowid FROM sample ORDER BY model, rowid LIMIT 100"
    report("sort by model → first rows", sort_model_ms, 200,
           timed(lambda: raw.conn.execute(by_model).fetchall()) * 1000)  # fmt: skip
    first_rows_after(lambda: header.setSortIndicator(Column.CAPTURED, Qt.SortOrder.AscendingOrder))

    search = window.filter_bar.search_edit

    def search_for(text: str) -> Callable[[], None]:
        def go() -> None:
            search.setText(text)
            search.returnPressed.emit()  # Return skips the typing debounce

        return go

    for word, label in (
        ("the", "common word"),
        ("th", "short prefix"),
        ("t", "one letter"),
        ("refund invoice", "rare words"),
    ):
        ms = first_rows_after(search_for(word))

        def match(w: str = word) -> object:
            return raw.conn.execute(
                "SELECT rowid FROM sample_fts WHERE sample_fts MATCH ? LIMIT 100", (f'"{w}"*',)
            ).fetchall()

        report(f"search {label} ({word!r}) → first rows", ms, 200, timed(match) * 1000)
    first_rows_after(search_for(""))

    # -- jump to row 900,000 ----------------------------------------------------------
    jump_row = min(JUMP_ROW, model.rowCount() - 1)

    def jump() -> None:
        controller.select_row(jump_row)
        view.viewport().repaint()

    def is_target() -> bool:
        return controller.current is not None and controller.current.detail.rowid == model.rowid_at(
            jump_row
        )

    def scroll_and_jump() -> None:
        view.scrollTo(model.index(0, 0))
        jump()

    rows_ms = timed(scroll_and_jump, 1) * 1000
    controller.select_row(0)
    wait(controller.sample_shown, lambda: None, until=lambda: controller.current is not None)
    jump_ms = wait(controller.sample_shown, jump, until=is_target) * 1000
    page = [int(r) for r in model.rowids[jump_row : jump_row + 200]]

    def read_page() -> None:
        raw.page(page)
        raw.sample(page[0])

    baseline = timed(read_page) * 1000
    report(f"jump to row {jump_row:,}: rows painted", rows_ms, 100, baseline)
    report(f"jump to row {jump_row:,}: its sample shown", jump_ms, 100, baseline)

    # -- submit → next sample fully shown, with the keys ------------------------------
    controller.select_row(0)
    wait(controller.sample_shown, lambda: None, until=lambda: controller.current is not None)
    settle()
    focus = view
    focus.setFocus()

    def submit_and_next(mode: str) -> float:
        if mode == "paced":
            settle()  # a reviewer reads for seconds: background work is done by then
        QTest.keyClick(focus, Qt.Key.Key_G)
        before = controller.current.detail.id if controller.current else None

        def press() -> None:
            QTest.keyClick(focus, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

        def start() -> None:
            cpu_start[0] = time.thread_time()
            if mode == "loop":
                # A real key press comes through the event loop, after the events already
                # queued (results of earlier tasks, paints), and those are timed with it.
                QTimer.singleShot(0, press)
            else:
                press()

        elapsed = wait(
            controller.sample_shown,
            start,
            until=lambda: controller.current is not None and controller.current.detail.id != before,
        )
        t0 = time.perf_counter()
        if mode == "sync":
            window.repaint()
        else:
            # The paint Qt does next: every widget the new sample changed (and any other
            # event already queued). A full window.repaint() would also paint what did not
            # change, and leave those queued paints to land in the next submit.
            app.processEvents()
        cpu.append(time.thread_time() - cpu_start[0])
        return elapsed + time.perf_counter() - t0

    # Samples the window did not review (one review per sample and reviewer).
    others = [int(r) for r in model.rowids[-41:]]
    base = sorted(timed(partial(raw.submit, others[i], others[i + 1]), 1) for i in range(40))
    cpu_start = [0.0]
    for mode, label in (
        ("paced", "at a reviewer's pace"),
        ("loop", "back to back"),
        # The method of earlier runs, for comparison: keys sent synchronously (QTest), so
        # no event-loop pass between two submits, which no keyboard can do, and a full
        # synchronous repaint of the window.
        ("sync", "back to back, QTest keys + repaint"),
    ):
        cpu: list[float] = []
        submits = sorted(submit_and_next(mode) for _ in range(SUBMITS))
        p95 = submits[int(len(submits) * 0.95) - 1] * 1000
        report(f"submit → next shown, p95, {label}", p95, 30, base[37] * 1000)
        cpu.sort()
        print(f"     median {statistics.median(submits) * 1000:.1f} ms, "
              f"max {submits[-1] * 1000:.1f} ms over {SUBMITS} submits; GUI thread CPU "
              f"median {statistics.median(cpu) * 1000:.1f} ms, "
              f"p95 {cpu[int(len(cpu) * 0.95) - 1] * 1000:.1f} ms")  # fmt: skip

    # -- memory -------------------------------------------------------------------------
    current, peak = rss_mb()
    ok = "ok  " if peak <= 400 else "MISS"
    print(f"{ok} {'peak RSS with the queue open':<44} {peak:8.0f} MB  (target ≤ 400 MB; "
          f"before the window {before_window:.0f} MB, now {current:.0f} MB)")  # fmt: skip

    window.close()
    engine.dispose()
    raw.conn.close()
    forget_bench_reviews(path)
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="default: bench/out/review-<N>.sqlite")
    parser.add_argument("--rebuild", action="store_true", help="generate the store again")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = args.store or BENCH_DIR / "out" / f"review-{args.samples // 1000}k.sqlite"
    if args.build_only:
        build(path, args.samples)
        return
    ensure_store(path, args.samples, args.rebuild)
    run(path)


if __name__ == "__main__":
    main()
