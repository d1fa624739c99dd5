"""Threshold studio speed: curves on a million reviewed scores, and dragging on the canvas.

1. Full recompute: build `ThresholdCurves` (sort, cumulative sums) and every rate with its
   Wilson band on a 241-point grid, against scikit-learn's `precision_recall_curve` on
   the same arrays in the same run (the baseline; prints the ratio ours/sklearn).
   Targets: <= 100 ms, and no slower than scikit-learn. Also timed: the weighted curves
   (a few inclusion probabilities, and the worst case of one per sample), and the
   studio's whole view (curves plus a small multiple per language).
2. Dragging: the studio page on the demo set offscreen; real mouse events drag the
   candidate line across the rate curves, one move per event-loop turn (so none is
   coalesced), and blitted redraws per second are counted. Target: >= 30 per second.

Usage: python bench/threshold_bench.py [--scores 1000000] [--repeat 5] [--steps 300]
Needs the bench extra (scikit-learn): pip install -e '.[bench]'
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _scores(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    good = rng.random(n) < 0.7
    scores = np.round(np.where(good, rng.beta(6, 2, n), rng.beta(3, 3, n)), 4)
    return scores, good


def bench_curves(n: int, repeat: int) -> None:
    from sklearn.metrics import precision_recall_curve

    from redline.analytics.threshold import BAD, GOOD, ScoredSamples, ThresholdCurves

    scores, good = _scores(n)
    labels = np.where(good, GOOD, BAD).astype(np.int8)
    samples = ScoredSamples(scores, labels, np.ones(n))
    rng = np.random.default_rng(2)
    # Weighted sampling at import keeps strata at different rates: a few distinct
    # inclusion probabilities (the usual case) ...
    strata = ScoredSamples(scores, labels, rng.choice([1.0, 0.2, 0.05], n, p=[0.2, 0.3, 0.5]))
    # ... or, the worst case, a probability of its own per sample (every weight distinct).
    distinct = ScoredSamples(scores, labels, rng.uniform(0.01, 1.0, n))

    def build(data: ScoredSamples, weighted: bool) -> float:
        start = time.perf_counter()
        curves = ThresholdCurves(data, direction="ge", target="good", current=0.7,
                                 weighted=weighted)  # fmt: skip
        curves.table(points=241)
        return time.perf_counter() - start

    ours, theirs, strata_s, distinct_s = [], [], [], []
    for _ in range(repeat):
        ours.append(build(samples, False))
        start = time.perf_counter()
        precision_recall_curve(good, scores)
        theirs.append(time.perf_counter() - start)
        strata_s.append(build(strata, True))
        distinct_s.append(build(distinct, True))
    curves = ThresholdCurves(samples, direction="ge", target="good", current=0.7, weighted=False)
    start = time.perf_counter()
    steps = 10_000
    for t in np.linspace(0, 1, steps):
        curves.at(float(t))
    at_us = (time.perf_counter() - start) / steps * 1e6
    best, base = min(ours), min(theirs)
    print(f"{n:,} reviewed scores, best of {repeat}")
    print(f"  redline curves (sort + 5 rates with Wilson bands, 241 points)  {best * 1e3:7.1f} ms")
    print(f"  sklearn precision_recall_curve                                {base * 1e3:7.1f} ms")
    print(f"  ratio redline/sklearn: {best / base:.2f} (target <= 1.0); <= 100 ms: {best <= 0.1}")
    label = "weighted, 3 inclusion probabilities (strata)"
    print(f"  {label:<62}{min(strata_s) * 1e3:7.1f} ms")
    label = "weighted, a probability per sample (worst case: argsort)"
    print(f"  {label:<62}{min(distinct_s) * 1e3:7.1f} ms")
    print(f"  one operating point (a drag step's numbers): {at_us:.1f} µs")
    bench_view(samples, repeat)


def bench_view(samples: object, repeat: int) -> None:
    """What the studio recomputes when the cohort or the slicing changes: the curves,
    their grid, and a small multiple per language (5), on the same million."""
    import uuid

    from redline.analytics.threshold import ScoredSamples
    from redline.policies.samples import PolicyData
    from redline.policies.service import PolicyInfo
    from redline.policies.studio import compute_view

    assert isinstance(samples, ScoredSamples)
    n = len(samples)
    rng = np.random.default_rng(3)
    languages = np.array(["en", "de", "fr", "ja", "es"], dtype=object)[rng.integers(0, 5, n)]
    sliced = ScoredSamples(samples.scores, samples.labels, samples.inclusion_prob,
                           segments={"language": languages})  # fmt: skip
    policy = PolicyInfo(
        id=uuid.uuid4(), name="bench", description="", score_field="score", direction="ge",
        action="auto_send", threshold=0.7, segment_field="language",
        segment_thresholds={"ja": 0.8}, created_by="bench",
    )  # fmt: skip
    data = PolicyData(policy=policy, samples=sliced, prompts=())
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        view = compute_view(data, cohort="de" if i % 2 else None, dimension="language",
                            weighted=False)  # fmt: skip
        times.append(time.perf_counter() - start)
    label = f"studio view: curves + {len(view.segments)} small multiples by language"
    print(f"  {label:<62}{min(times) * 1e3:7.1f} ms")


def bench_drag(steps: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile
    from pathlib import Path

    from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from redline.demo import create_demo
    from redline.settings import Settings
    from redline.store.local import open_local_store
    from redline.ui.changes import ChangeHub
    from redline.ui.studio.page import StudioPage
    from redline.ui.tasks import TaskRunner
    from redline.ui.theme import Theme
    from redline.ui.workspaces import WorkspaceContext

    app = QApplication.instance() or QApplication([])
    Theme(app, setting="light")  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_local_store(Path(tmp) / "bench.sqlite")
        create_demo(engine, count=3000, work_dir=Path(tmp))
        runner = TaskRunner()
        context = WorkspaceContext(
            engine=engine, settings=Settings(reviewer="bench"), runner=runner, hub=ChangeHub(),
            show_selection=lambda ids, label: None, show_workspace=lambda key: QWidget(),
        )  # fmt: skip
        page = StudioPage(context)
        page.resize(1500, 900)
        loop = QEventLoop()
        page.view_ready.connect(loop.quit)
        page.show()
        loop.exec()
        canvas = page.figures.main
        while not canvas.can_blit():
            app.processEvents()
        ax = page.figures.curves_axes
        assert ax is not None
        ratio = canvas.devicePixelRatioF()

        def pixel(t: float) -> QPoint:
            x, y = ax.transData.transform((t, 0.5))
            return QPoint(round(x / ratio), round(canvas.height() - y / ratio))

        # Real mouse events on the canvas, one per event-loop turn (the worst case:
        # nothing is coalesced, every move is redrawn).
        left, no = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        QTest.mousePress(canvas, left, no, pixel(0.3))
        app.processEvents()
        blits, draws = canvas.blits, canvas.full_draws
        start, cpu_start = time.perf_counter(), time.process_time()
        for t in np.linspace(0.3, 0.95, steps):
            QTest.mouseMove(canvas, pixel(float(t)))
            app.processEvents()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        QTest.mouseRelease(canvas, left, no, pixel(0.95))
        done = canvas.blits - blits
        assert page.view is not None
        print(f"drag on the real canvas (1500×900 offscreen, {page.view.curves.reviewed:,} "
              f"reviewed, {len(page.view.segments)} small multiples): {steps} mouse moves, "
              f"{done} blitted redraws in {elapsed:.2f} s = {done / elapsed:.0f} per second "
              f"(target >= 30), {elapsed / max(done, 1) * 1e3:.1f} ms each "
              f"({cpu / max(done, 1) * 1e3:.1f} ms of it on the CPU; the rest is waiting "
              f"for a core on a shared machine); full redraws during the drag: "
              f"{canvas.full_draws - draws}")  # fmt: skip
        QTimer.singleShot(0, lambda: None)
        runner.shutdown()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    bench_curves(args.scores, args.repeat)
    bench_drag(args.steps)


if __name__ == "__main__":
    main()
