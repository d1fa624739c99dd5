"""The Drift workspace: production over time against a reference window, and what moved.

The page asks `redline.drift.service.compute_drift` for a report in a background task
(latest wins: changing a control recomputes) and shows
- four over-time plots (score percentiles, the prompt version mix, latency and length
  medians, implicit signal and satisfaction rates with their Wilson intervals), each with
  the reference drawn on the left;
- the flagged findings in a table; for the selected one, "Open in queue" opens its
  drifted samples in the review queue, "Open threshold studio" hands over to the studio
  (disabled while the studio is not part of this build), and the sampling rule that
  over-samples the slice at the next import, with a plain-words explanation.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QDate, Qt, Slot
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from redline import clock
from redline.analytics.drift import DriftLevels
from redline.analytics.drift_report import DriftFinding, DriftReport, WindowSummary
from redline.drift.options import DEFAULT_REFERENCE_DAYS, DEFAULT_SINCE_DAYS
from redline.drift.service import ReferenceSpec, compute_drift
from redline.drift.suggest import suggest_sampling
from redline.ui.page_tasks import PageTasks
from redline.ui.tasks import Task
from redline.ui.workspaces import WORKSPACES, WorkspaceContext

__all__ = ["DriftPage"]

STUDIO_KEY = "studio"
COLUMNS = ("level", "window", "quantity", "slice", "measure", "what moved")
LEVEL_TEXT = {"alert": "● alert", "watch": "○ watch"}


def _utc_day(value: QDate) -> datetime:
    return datetime(value.year(), value.month(), value.day(), tzinfo=UTC)


def _qdate(moment: datetime) -> QDate:
    return QDate(moment.year, moment.month, moment.day)


def _measure(finding: DriftFinding) -> str:
    value = finding.statistic
    if math.isnan(value):
        return "n/a"
    if finding.method == "psi":
        return f"PSI {value:.2f}"
    if finding.method == "ks":
        return f"KS D {value:.2f}"
    return f"{100 * value:+.1f} pts"


class DriftPage(QWidget):
    """The "Drift" workspace (see the module docstring).

    Attributes:
        report: the report shown (None before the first one arrives).
        figure: the matplotlib figure of the over-time plots.
    """

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = PageTasks(
            context.runner, self, title="Drift could not be measured",
            on_failure=lambda _exc: self.status_label.setText("failed"),
        )  # fmt: skip
        self.report: DriftReport | None = None
        self._flagged: list[DriftFinding] = []
        self._task: Task | None = None

        today = clock.today()
        since = clock.start_of_day(today - timedelta(days=DEFAULT_SINCE_DAYS))
        reference_start = since - timedelta(days=DEFAULT_REFERENCE_DAYS)

        # -- controls --
        self.since_edit = self._date_edit("driftSince", _qdate(since))
        self.by_combo = QComboBox()
        self.by_combo.setObjectName("driftBy")
        for text, by in (("week", "week"), ("day", "day"), ("batch", "batch")):
            self.by_combo.addItem(text, by)
        self.reference_start_edit = self._date_edit("driftReferenceStart", _qdate(reference_start))
        self.reference_end_edit = self._date_edit(
            "driftReferenceEnd", _qdate(since - timedelta(days=1))
        )
        self.refresh_button = QPushButton("&Measure")
        self.refresh_button.setObjectName("driftRefresh")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("driftCancel")
        self.cancel_button.setEnabled(False)
        self.status_label = QLabel("")
        self.status_label.setObjectName("metaLabel")
        controls = QHBoxLayout()
        for text, widget in (
            ("Watch since", self.since_edit),
            ("by", self.by_combo),
            ("against the reference", self.reference_start_edit),
            ("to", self.reference_end_edit),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            controls.addWidget(label)
            controls.addWidget(widget)
        controls.addWidget(self.refresh_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.status_label, 1)

        # -- plots --
        self.figure = Figure(figsize=(10, 4.5), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)  # type: ignore[no-untyped-call]
        self.canvas.setObjectName("driftCanvas")
        self.canvas.setMinimumHeight(260)

        # -- flagged findings and what to do about them --
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("driftTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.open_in_queue())

        self.queue_button = QPushButton("Open in &queue")
        self.queue_button.setObjectName("driftOpenQueue")
        self.queue_button.setEnabled(False)
        self.queue_button.clicked.connect(self.open_in_queue)
        self.studio_button = QPushButton("Open threshold &studio")
        self.studio_button.setObjectName("driftOpenStudio")
        self.studio_button.setEnabled(False)
        self.studio_button.clicked.connect(self.open_studio)
        self.suggestion_label = QLabel("")
        self.suggestion_label.setObjectName("driftSuggestion")
        self.suggestion_label.setWordWrap(True)
        self.suggestion_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes_label = QLabel("")
        self.notes_label.setObjectName("metaLabel")
        self.notes_label.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.queue_button)
        actions.addWidget(self.studio_button)
        actions.addWidget(self.suggestion_label, 1)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.table, 1)
        lower_layout.addLayout(actions)
        lower_layout.addWidget(self.notes_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.canvas)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(splitter, 1)

        self.refresh_button.clicked.connect(self.refresh)
        self.cancel_button.clicked.connect(self._cancel)
        self.by_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.context.hub.changed.connect(self._on_changes)
        self._update_studio_button(None)
        self.refresh()

    def _date_edit(self, name: str, value: QDate) -> QDateEdit:
        edit = QDateEdit(value)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    # ------------------------------------------------------------------ computing

    def levels(self) -> DriftLevels:
        """The flag levels from the settings (`extra["drift_levels"]`), else defaults."""
        try:
            return DriftLevels.from_dict(self.context.settings.extra.get("drift_levels") or {})
        except ValueError:
            return DriftLevels()

    def refresh(self) -> None:
        """Recompute the report for the current controls (in the background)."""
        since = _utc_day(self.since_edit.date())
        reference = ReferenceSpec.between(
            _utc_day(self.reference_start_edit.date()),
            _utc_day(self.reference_end_edit.date()) + timedelta(days=1),
        )
        self._task = self.tasks.run(
            compute_drift,
            self.context.engine,
            since=since,
            by=self.by_combo.currentData(),
            reference=reference,
            levels=self.levels(),
            key="drift-report",
            pass_progress=True,
            on_success=self._on_report,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.status_label.setText("cancelled"),
            on_finished=lambda _task: self.cancel_button.setEnabled(False),
        )
        self.cancel_button.setEnabled(True)
        self.status_label.setText("measuring…")

    @Slot()
    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        share = f" {100 * done // total} %" if total else ""
        self.status_label.setText(f"{text}{share}")

    @Slot(object)
    def _on_changes(self, _changes: Any) -> None:
        # Reviews feed the satisfaction rate; recompute once the page is looked at.
        if self.isVisible():
            self.refresh()

    @Slot(object)
    def _on_report(self, report: DriftReport) -> None:
        self.report = report
        self._flagged = report.flagged()
        alerts = sum(1 for f in self._flagged if f.level == "alert")
        self.status_label.setText(
            f"{len(report.windows)} windows by {report.by} · {len(self._flagged)} flagged "
            f"({alerts} alert)"
        )
        self.notes_label.setText("\n".join(report.notes))
        self._fill_table()
        self._draw()

    # ------------------------------------------------------------------ table

    def _fill_table(self) -> None:
        assert self.report is not None
        labels = {w.key: w.label for w in self.report.windows}
        self.table.setRowCount(len(self._flagged))
        for row, finding in enumerate(self._flagged):
            cells = (
                LEVEL_TEXT.get(finding.level, finding.level),
                labels.get(finding.window, finding.window),
                finding.label,
                finding.slice,
                _measure(finding),
                finding.message,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(finding.message)
                self.table.setItem(row, column, item)
        if self._flagged:
            self.table.selectRow(0)
        else:
            self._on_selection_changed()

    def flagged(self) -> list[DriftFinding]:
        """The findings listed in the table, in its order."""
        return list(self._flagged)

    def selected_finding(self) -> DriftFinding | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._flagged[rows[0].row()]

    @Slot()
    def _on_selection_changed(self) -> None:
        finding = self.selected_finding()
        self.queue_button.setEnabled(finding is not None and bool(finding.sample_ids))
        self._update_studio_button(finding)
        if finding is None:
            self.suggestion_label.setText("")
            return
        suggestion = suggest_sampling(finding)
        rule = (
            f"Next import: <code>--sample {suggestion.rule}</code>. "
            if suggestion.rule
            else "No import sampling rule fits. "
        )
        self.suggestion_label.setText(rule + suggestion.explanation)

    def _studio_available(self) -> bool:
        return any(spec.key == STUDIO_KEY for spec in WORKSPACES)

    def _update_studio_button(self, finding: DriftFinding | None) -> None:
        if not self._studio_available():
            self.studio_button.setEnabled(False)
            self.studio_button.setToolTip("The threshold studio is not part of this build yet.")
            return
        is_score = finding is not None and finding.quantity in ("score", "policy-score")
        self.studio_button.setEnabled(is_score)
        self.studio_button.setToolTip(
            "Review the threshold on this score distribution"
            if is_score
            else "Select a score distribution finding"
        )

    @Slot()
    def open_in_queue(self) -> None:
        """Open the selected finding's drifted samples in the review queue."""
        finding = self.selected_finding()
        if finding is None or not finding.sample_ids or self.report is None:
            return
        window = self.report.window(finding.window).label
        self.context.show_selection(
            finding.sample_ids, f"drift: {finding.label}, {finding.slice} ({window})"
        )

    @Slot()
    def open_studio(self) -> None:
        """Hand over to the threshold studio (when it is part of this build)."""
        if self._studio_available():
            self.context.show_workspace(STUDIO_KEY)

    # ------------------------------------------------------------------ plots

    def _draw(self) -> None:
        assert self.report is not None
        report = self.report
        self.figure.clear()
        palette = QGuiApplication.palette()
        text = palette.color(QPalette.ColorRole.WindowText).name()
        self.figure.set_facecolor(palette.color(QPalette.ColorRole.Window).name())
        axes = self.figure.subplots(2, 2, sharex=True)
        summaries = list(report.summaries)
        labels = ["ref"] + [_short(w.label) for w in report.windows]
        x = list(range(len(summaries)))
        _plot_scores(axes[0][0], x, summaries)
        _plot_mix(axes[0][1], x, summaries, "prompt")
        _plot_medians(axes[1][0], x, summaries)
        _plot_rates(axes[1][1], x, summaries)
        flagged_windows = {f.window for f in self._flagged if f.level == "alert"}
        for row in axes:
            for ax in row:
                ax.axvspan(-0.5, 0.5, color="#999999", alpha=0.12, linewidth=0)
                for i, summary in enumerate(summaries):
                    if summary.window in flagged_windows:
                        ax.axvspan(i - 0.5, i + 0.5, color="#c2272d", alpha=0.06, linewidth=0)
                ax.tick_params(colors=text, labelsize=7)
                ax.title.set_color(text)
                ax.set_xticks(x, labels, rotation=30, ha="right")
                for spine in ax.spines.values():
                    spine.set_color(text)
        self.canvas.draw_idle()  # type: ignore[no-untyped-call]


def _short(label: str) -> str:
    return label if len(label) <= 14 else label[:13] + "…"


def _plot_scores(ax: Axes, x: list[int], summaries: list[WindowSummary]) -> None:
    p10 = [s.score_quantiles[0] for s in summaries]
    p50 = [s.score_quantiles[1] for s in summaries]
    p90 = [s.score_quantiles[2] for s in summaries]
    ax.fill_between(x, p10, p90, alpha=0.25, label="10–90th percentile")
    ax.plot(x, p50, marker="o", label="median")
    ax.set_title("production score", fontsize=9)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="lower left")


def _plot_mix(ax: Axes, x: list[int], summaries: list[WindowSummary], column: str) -> None:
    categories = sorted({c for s in summaries for c in s.mixes.get(column, {})})
    bottom = [0.0] * len(summaries)
    for category in categories:
        shares = [s.mixes.get(column, {}).get(category, 0.0) for s in summaries]
        ax.bar(x, shares, bottom=bottom, label=category, width=0.8)
        bottom = [b + v for b, v in zip(bottom, shares, strict=True)]
    ax.set_title("prompt version mix", fontsize=9)
    ax.set_ylim(0, 1)
    if categories:
        ax.legend(fontsize=6, loc="upper left", ncols=2)


def _plot_medians(ax: Axes, x: list[int], summaries: list[WindowSummary]) -> None:
    # Each median relative to the reference's, so different units share one axis.
    for column, label in (
        ("latency_ms", "latency"),
        ("input_chars", "input length"),
        ("output_chars", "output length"),
        ("tokens_out", "output tokens"),
    ):
        base = summaries[0].medians.get(column, math.nan)
        if not base or math.isnan(base):
            continue
        ax.plot(x, [s.medians.get(column, math.nan) / base for s in summaries], marker=".",
                label=label)  # fmt: skip
    ax.axhline(1.0, color="#999999", linewidth=0.8)
    ax.set_title("medians (× reference)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")


def _plot_rates(ax: Axes, x: list[int], summaries: list[WindowSummary]) -> None:
    for column, label in (
        ("satisfaction", "judged good"),
        ("signal_copied", "copied"),
        ("signal_edited", "edited"),
        ("signal_follow_up", "follow-up"),
        ("thumbs_down", "thumbs down"),
    ):
        rates = [s.rates.get(column) for s in summaries]
        if not any(r is not None and r.defined for r in rates):
            continue
        values = [r.value if r is not None and r.defined else math.nan for r in rates]
        low = [
            v - r.low if r is not None and r.defined else 0.0
            for v, r in zip(values, rates, strict=True)
        ]
        high = [
            r.high - v if r is not None and r.defined else 0.0
            for v, r in zip(values, rates, strict=True)
        ]
        ax.errorbar(x, values, yerr=[low, high], marker=".", capsize=2, label=label)
    ax.set_title("rates (95 % Wilson intervals)", fontsize=9)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left", ncols=2)
