"""The Quality workspace: reviewer agreement, feedback patterns, the disagreement queue
with adjudication, and the weekly report.

Numbers come from `redline.quality.overview.quality_overview` in a background task
(latest wins, with progress and Cancel), the same call `redline agreement` /
`redline patterns` and the report make. Activating a pattern (double-click or Enter,
or "Open in queue") opens its bad samples in the review queue; the patterns can be
narrowed to one dimension. Everyone sees the disagreements side by side; only a lead
is offered the adjudication form (`redline.quality.rules`), which writes through the
write pool and announces the change, so the queue and this page refresh.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from redline import clock
from redline.analytics.patterns import Pattern
from redline.errors import RedlineError
from redline.quality.agreement_tables import (
    CATEGORIES_HEADER,
    PAIRS_HEADER,
    categories_table,
    coefficient,
    pairs_table,
)
from redline.quality.data import TimeRange
from redline.quality.disagreements import Adjudication, Disagreement, adjudicate, disagreements
from redline.quality.overview import QualityOverview, quality_overview
from redline.quality.report import WeeklyReport, write_weekly_report
from redline.quality.rules import adjudication_refusal
from redline.review.types import Changes, Verdict
from redline.roles import Role, parse_role
from redline.ui.page_tasks import PageTasks
from redline.ui.quality.report_dialog import ReportRangeDialog, last_days
from redline.ui.tasks import Task
from redline.ui.wording import count
from redline.ui.workspaces import WorkspaceContext

__all__ = ["QualityPage"]

RANGES = (("Last 7 days", 7), ("Last 30 days", 30), ("All time", None))
REVIEW_FIELDS = ("verdict", "rating", "categories", "note", "correction", "when")
ALL_DIMENSIONS = "All dimensions"


def _p(value: float) -> str:
    if math.isnan(value):
        return ""
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _points(value: float, low: float, high: float) -> str:
    """A difference of two rates in percentage points, with its interval."""
    if math.isnan(value):
        return "n/a"
    return f"{100 * value:+.1f} pts ({100 * low:+.1f} to {100 * high:+.1f})"


def signals_sentence(overview: QualityOverview) -> str:
    """Which implicit signal tells the most about a bad verdict, in words."""
    usable = [
        s
        for s in overview.signals
        if s.present and s.bad_with.defined and s.bad_without.defined and s.p_value < 0.05
    ]
    if not overview.signals:
        return "No implicit signals were recorded on the reviewed samples."
    if not usable:
        return (
            "No implicit signal goes with a different bad rate here (p < 0.05): none is a "
            "better guide for sampling than chance."
        )
    best = max(usable, key=lambda s: abs(s.difference))
    return (
        f"Strongest: where '{best.signal}' fired, {100 * best.bad_with.value:.0f} % were judged "
        f"bad, against {100 * best.bad_without.value:.0f} % where it did not; sampling on it "
        f"would catch {100 * best.recall.value:.0f} % of the bad samples."
    )


def _table(name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> None:
    # Emptied first: replacing the items of a table whose columns resize to contents
    # re-measures every row per item (minutes for a few thousand disagreements).
    table.setRowCount(0)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c in numeric:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


class QualityPage(QWidget):
    """The "Quality" workspace (see the module docstring).

    Attributes:
        overview: the numbers shown (None before the first arrive).
        shown_patterns: the patterns in the table (after the dimension filter).
        items: the disagreements listed.
        last_report: the last weekly report written from here.
    """

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = PageTasks(
            context.runner,
            self,
            title="Quality",
            on_failure=lambda _exc: self.status_label.setText(""),
        )
        self.overview: QualityOverview | None = None
        self.shown_patterns: list[Pattern] = []
        self.items: list[Disagreement] = []
        self.last_report: WeeklyReport | None = None
        self._overview_task: Task | None = None
        self._report_task: Task | None = None

        # -- controls --
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("qualityRange")
        for text, days in RANGES:
            self.range_combo.addItem(text, days)
        self.range_combo.setCurrentIndex(1)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("qualityRefresh")
        self.report_button = QPushButton("&Weekly report…")
        self.report_button.setObjectName("qualityReport")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("qualityProgress")
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("qualityCancel")
        self.cancel_button.hide()
        self.status_label = QLabel("")
        self.status_label.setObjectName("metaLabel")
        controls = QHBoxLayout()
        label = QLabel("&Samples reviewed in")
        label.setBuddy(self.range_combo)
        widgets: tuple[QWidget, ...] = (label, self.range_combo, self.refresh_button)
        for widget in widgets:
            controls.addWidget(widget)
        controls.addStretch(1)
        for widget in (self.status_label, self.progress_bar, self.cancel_button):
            controls.addWidget(widget)
        controls.addWidget(self.report_button)

        # -- agreement --
        self.agreement_summary = QLabel("")
        self.agreement_summary.setObjectName("agreementSummary")
        self.agreement_summary.setWordWrap(True)
        self.pairs_table = _table("agreementPairs", PAIRS_HEADER)
        self.categories_table = _table("agreementCategories", CATEGORIES_HEADER)
        agreement = QWidget()
        layout = QVBoxLayout(agreement)
        layout.addWidget(self.agreement_summary)
        layout.addWidget(self.pairs_table, 1)
        layout.addWidget(self.categories_table, 2)

        # -- patterns --
        self.patterns_table = _table(
            "patternsTable", ("pattern", "of bad reviews", "of reviewed", "lift", "p", "samples")
        )
        self.patterns_table.setToolTip("Double-click or Enter: open these bad samples in the queue")
        self.open_button = QPushButton("&Open in queue")
        self.open_button.setObjectName("patternOpen")
        self.dimension_combo = QComboBox()
        self.dimension_combo.setObjectName("patternDimension")
        self.dimension_combo.addItem(ALL_DIMENSIONS, None)
        self.signals_table = _table(
            "signalsTable",
            (
                "signal",
                "recorded",
                "fired",
                "bad when fired",
                "bad otherwise",
                "difference",
                "p",
                "catches of bad",
            ),
        )
        self.signals_table.setToolTip(
            "How often a sample was judged bad when the signal fired and when it did not, "
            "and how many of the bad samples sampling on the signal would catch"
        )
        patterns = QWidget()
        layout = QVBoxLayout(patterns)
        self.patterns_summary = QLabel("")
        self.patterns_summary.setObjectName("patternsSummary")
        layout.addWidget(self.patterns_summary)
        row = QHBoxLayout()
        dimension_label = QLabel("&Dimension")
        dimension_label.setBuddy(self.dimension_combo)
        row.addWidget(dimension_label)
        row.addWidget(self.dimension_combo)
        row.addStretch(1)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        layout.addWidget(self.patterns_table, 3)
        layout.addWidget(
            QLabel(
                "Implicit signals (cheap, recorded in production) against the reviewers' verdicts"
            )
        )
        self.signals_summary = QLabel("")
        self.signals_summary.setObjectName("signalsSummary")
        self.signals_summary.setWordWrap(True)
        layout.addWidget(self.signals_summary)
        layout.addWidget(self.signals_table, 2)

        # -- disagreements --
        self.disagreement_list = _table(
            "disagreementList", ("captured", "prompt", "language", "verdicts")
        )
        self.reviews_table = QTableWidget(len(REVIEW_FIELDS), 0)
        self.reviews_table.setObjectName("reviewsSideBySide")
        self.reviews_table.setVerticalHeaderLabels(list(REVIEW_FIELDS))
        self.reviews_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reviews_table.setWordWrap(True)
        self.reviews_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.sample_view = QTextBrowser()
        self.sample_view.setObjectName("disputedSample")
        self.verdict_combo = QComboBox()
        self.verdict_combo.setObjectName("adjudicationVerdict")
        for verdict in Verdict:
            self.verdict_combo.addItem(verdict.value, verdict.value)
        self.correction_edit = QPlainTextEdit()
        self.correction_edit.setObjectName("adjudicationCorrection")
        self.correction_edit.setPlaceholderText("the ideal output (optional)")
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("adjudicationNote")
        self.adjudicate_button = QPushButton("Record &final verdict")
        self.adjudicate_button.setObjectName("adjudicateButton")
        self.adjudicate_button.setEnabled(False)
        self.adjudication_form = QWidget()
        self.adjudication_form.setObjectName("adjudicationForm")
        form = QFormLayout(self.adjudication_form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Final &verdict", self.verdict_combo)
        form.addRow("&Correction", self.correction_edit)
        form.addRow("N&ote", self.note_edit)
        form.addRow("", self.adjudicate_button)
        # Shown instead of the form to whoever may not adjudicate (a reviewer).
        self.lead_only_label = QLabel("")
        self.lead_only_label.setObjectName("leadOnlyLabel")
        self.lead_only_label.setWordWrap(True)
        detail = QWidget()
        layout = QVBoxLayout(detail)
        layout.addWidget(self.sample_view, 2)
        layout.addWidget(self.reviews_table, 2)
        layout.addWidget(self.adjudication_form)
        layout.addWidget(self.lead_only_label)
        disputes = QSplitter(Qt.Orientation.Horizontal)
        disputes.addWidget(self.disagreement_list)
        disputes.addWidget(detail)
        disputes.setStretchFactor(1, 2)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("qualityTabs")
        self.tabs.addTab(agreement, "Agreement")
        self.tabs.addTab(patterns, "Patterns")
        self.tabs.addTab(disputes, "Disagreements")
        page = QVBoxLayout(self)
        page.addLayout(controls)
        page.addWidget(self.tabs, 1)

        # -- wiring --
        self.range_combo.currentIndexChanged.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.report_button.clicked.connect(self.ask_weekly_report)
        self.cancel_button.clicked.connect(self.cancel)
        self.dimension_combo.currentIndexChanged.connect(lambda _i: self._show_patterns())
        self.patterns_table.itemActivated.connect(lambda _item: self.open_pattern())
        self.patterns_table.cellDoubleClicked.connect(lambda _r, _c: self.open_pattern())
        self.open_button.clicked.connect(self.open_pattern)
        self.disagreement_list.itemSelectionChanged.connect(self._show_disagreement)
        self.adjudicate_button.clicked.connect(self.record_adjudication)
        context.hub.changed.connect(self._on_changes)
        self._apply_role()
        self.refresh()

    # ------------------------------------------------------------------ loading

    def period(self) -> TimeRange:
        days = self.range_combo.currentData()
        if days is None:
            return TimeRange()
        return TimeRange(since=clock.now() - timedelta(days=int(days)))

    @Slot()
    def refresh(self) -> None:
        """Recompute agreement and patterns and reload the disagreements (in the background)."""
        self.status_label.setText("Measuring…")
        self._overview_task = self.tasks.run(
            quality_overview,
            self.context.engine,
            self.period(),
            key="quality-overview",
            pass_progress=True,
            on_success=self._on_overview,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.status_label.setText("Cancelled"),
            on_finished=self._task_done,
        )
        self._show_busy()
        self.reload_disagreements()

    def reload_disagreements(self) -> None:
        self.tasks.run(
            disagreements,
            self.context.engine,
            key="quality-disagreements",
            on_success=self._on_disagreements,
        )

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress_bar.setRange(0, max(total, 0))
        self.progress_bar.setValue(done)
        self.status_label.setText(text)

    def _show_busy(self) -> None:
        """Progress and Cancel stay up while an overview or a report is computing."""
        busy = self._overview_task is not None or self._report_task is not None
        if busy and not self.progress_bar.isVisible():
            self.progress_bar.setRange(0, 0)
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.report_button.setEnabled(self._report_task is None)

    def _task_done(self, task: Task) -> None:
        if task is self._overview_task:
            self._overview_task = None
        if task is self._report_task:
            self._report_task = None
        self._show_busy()

    @Slot()
    def cancel(self) -> None:
        """Cancel what is computing (the overview and the report)."""
        for task in (self._overview_task, self._report_task):
            if task is not None:
                task.cancel()

    def _on_changes(self, changes: Changes) -> None:
        if changes.reviews or changes.samples:
            self.refresh()

    # ------------------------------------------------------------------ agreement, patterns

    def _on_overview(self, overview: QualityOverview) -> None:
        self.overview = overview
        self._fill_agreement(overview)
        self._fill_dimensions(overview)
        self._show_patterns()
        self._fill_signals(overview)

    def _fill_agreement(self, overview: QualityOverview) -> None:
        a = overview.agreement
        self.status_label.setText(
            f"{count(overview.reviews, 'review')}, {count(overview.judged, 'sample')} judged, "
            f"{overview.bad:,} bad"
        )
        if a.items:
            self.agreement_summary.setText(
                f"{count(a.items, 'sample')} reviewed by two or more people. All agreed on "
                f"{a.percent.percent()}. Fleiss' kappa {coefficient(a.fleiss)}, Krippendorff's "
                f"alpha {coefficient(a.alpha)} (verdicts), {coefficient(a.alpha_rating)} "
                "(ratings, ordinal). "
                f"Production score against the final verdict: AUC {a.score_auc.text()}."
            )
        else:
            self.agreement_summary.setText(
                "No sample in this range was reviewed by two people: ask for overlap on a "
                "batch (`redline overlap BATCH 2`) to measure agreement."
            )
        for widget, table in (
            (self.pairs_table, pairs_table(a)),
            (self.categories_table, categories_table(a)),
        ):
            _fill(widget, table.rows, numeric=table.numeric)

    def _fill_dimensions(self, overview: QualityOverview) -> None:
        """Offer the dimensions of this overview, keeping the chosen one if it is still there."""
        chosen = self.dimension_combo.currentData()
        self.dimension_combo.blockSignals(True)
        self.dimension_combo.clear()
        self.dimension_combo.addItem(ALL_DIMENSIONS, None)
        for dimension in overview.dimensions:
            self.dimension_combo.addItem(dimension, dimension)
        self.dimension_combo.setCurrentIndex(max(self.dimension_combo.findData(chosen), 0))
        self.dimension_combo.blockSignals(False)

    def _show_patterns(self) -> None:
        """Fill the patterns table with the patterns of the chosen dimension (or all)."""
        overview = self.overview
        if overview is None:
            return
        dimension = self.dimension_combo.currentData()
        self.shown_patterns = [
            p for p in overview.patterns if dimension is None or p.dimension == dimension
        ]
        which = "each value" if dimension is None else f"each {dimension}"
        self.patterns_summary.setText(
            f"Among {count(overview.bad, 'sample')} judged bad (of {overview.judged:,}): {which}'s "
            "share of bad reviews against its share of all reviewed samples, ranked by the "
            "difference. Double-click a row to open its bad samples in the queue."
        )
        _fill(
            self.patterns_table,
            [
                (
                    p.label,
                    p.share.percent(),
                    f"{100 * p.base.value:.1f} %",
                    f"{p.lift:.2f} ({p.lift_low:.2f}–{p.lift_high:.2f})",
                    "< 0.001" if p.p_value < 0.001 else f"{p.p_value:.3f}",
                    f"{len(p.sample_ids):,}",
                )
                for p in self.shown_patterns
            ],
            numeric=(2, 4, 5),
        )

    def _fill_signals(self, overview: QualityOverview) -> None:
        self.signals_summary.setText(signals_sentence(overview))
        _fill(
            self.signals_table,
            [
                (
                    s.signal,
                    f"{s.known:,}",
                    f"{s.present:,}",
                    s.bad_with.percent(),
                    s.bad_without.percent(),
                    _points(s.difference, s.difference_low, s.difference_high),
                    _p(s.p_value),
                    s.recall.percent(),
                )
                for s in overview.signals
            ],
            numeric=(1, 2, 6),
        )

    def selected_pattern(self) -> Pattern | None:
        row = self.patterns_table.currentRow()
        if not 0 <= row < len(self.shown_patterns):
            return None
        return self.shown_patterns[row]

    @Slot()
    def open_pattern(self) -> None:
        """Open the bad samples of the selected pattern in the review queue."""
        pattern = self.selected_pattern()
        if pattern is None:
            return
        ids = frozenset(uuid.UUID(str(i)) for i in pattern.sample_ids)
        self.context.show_selection(ids, f"bad reviews with {pattern.label}")

    # ------------------------------------------------------------------ disagreements

    def _on_disagreements(self, items: list[Disagreement]) -> None:
        selected = self.selected_disagreement()
        self.items = items
        # Quiet while refilling: the sample is shown once, for the row kept selected.
        self.disagreement_list.blockSignals(True)
        _fill(
            self.disagreement_list,
            [
                (
                    f"{d.captured_at:%Y-%m-%d %H:%M}" if d.captured_at else "",
                    d.prompt,
                    d.language or "",
                    d.verdicts,
                )
                for d in items
            ],
        )
        keep = next(
            (i for i, d in enumerate(items) if selected and d.sample_id == selected.sample_id),
            0 if items else -1,
        )
        if keep >= 0:
            self.disagreement_list.selectRow(keep)
        self.disagreement_list.blockSignals(False)
        self._show_disagreement()
        self.tabs.setTabText(2, f"Disagreements ({len(items)})" if items else "Disagreements")

    def role(self) -> Role:
        """The settings' role; an unknown one counts as a reviewer (as in the catalog)."""
        try:
            return parse_role(self.context.settings.role)
        except RedlineError:
            return Role.REVIEWER

    def _apply_role(self) -> str:
        """Offer the adjudication form only to who may adjudicate; returns why not ('')."""
        refusal = adjudication_refusal(actor=self.context.settings.reviewer, role=self.role())
        self.adjudication_form.setVisible(not refusal)
        self.lead_only_label.setVisible(bool(refusal))
        self.lead_only_label.setText(
            f"Only a lead records the final verdict: {refusal}." if refusal else ""
        )
        return refusal

    def selected_disagreement(self) -> Disagreement | None:
        rows = self.disagreement_list.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.items):
            return None
        return self.items[rows[0].row()]

    def _show_disagreement(self) -> None:
        item = self.selected_disagreement()
        allowed = not self._apply_role()
        self.adjudicate_button.setEnabled(item is not None and allowed)
        if item is None:
            self.sample_view.clear()
            self.reviews_table.setColumnCount(0)
            return
        self.sample_view.setPlainText(
            f"{item.prompt} · {item.language or '?'} · score "
            f"{'n/a' if item.score is None else f'{item.score:.2f}'}\n\n"
            f"INPUT\n{item.input_text}\n\nOUTPUT\n{item.output}"
        )
        reviews = list(item.reviews) + ([item.adjudication] if item.adjudication else [])
        self.reviews_table.setColumnCount(len(reviews))
        self.reviews_table.setHorizontalHeaderLabels(
            [f"{r.reviewer} (final)" if r.adjudicated else r.reviewer for r in reviews]
        )
        for column, review in enumerate(reviews):
            values = (
                review.verdict or "—",
                "" if review.rating is None else str(review.rating),
                ", ".join(review.categories),
                review.note,
                review.correction or "",
                f"{review.updated_at:%Y-%m-%d %H:%M}",
            )
            for row, text in enumerate(values):
                self.reviews_table.setItem(row, column, QTableWidgetItem(text))
        self.reviews_table.resizeRowsToContents()
        corrections = [r.correction for r in item.reviews if r.correction]
        self.correction_edit.setPlainText(corrections[0] if corrections else "")
        self.note_edit.clear()

    @Slot()
    def record_adjudication(self) -> None:
        """Record the lead's final verdict and correction on the selected sample."""
        item = self.selected_disagreement()
        if item is None or self._apply_role():
            return
        decision = Adjudication(
            sample_id=item.sample_id,
            verdict=Verdict(self.verdict_combo.currentData()),
            correction=self.correction_edit.toPlainText(),
            note=self.note_edit.text(),
            categories=tuple(
                dict.fromkeys(
                    c
                    for r in item.reviews
                    if r.verdict == self.verdict_combo.currentData()
                    for c in r.categories
                )
            ),
        )
        self.adjudicate_button.setEnabled(False)

        self.tasks.run(
            adjudicate,
            self.context.engine,
            decision,
            lead=self.context.settings.reviewer,
            role=self.role(),
            device=self.context.settings.device,
            write=True,
            on_success=self.context.hub.publish,
        )

    # ------------------------------------------------------------------ weekly report

    @staticmethod
    def ask_report_range(parent: QWidget) -> TimeRange | None:
        """Which days the report covers (a small dialog; tests replace this)."""
        return ReportRangeDialog.ask(parent)

    @staticmethod
    def ask_report_path(parent: QWidget) -> Path | None:
        """Where to save the report (a file dialog; tests replace this)."""
        name = f"redline-review-{clock.now():%Y-%m-%d}.html"
        path, _ = QFileDialog.getSaveFileName(
            parent, "Save the weekly review report", str(Path.home() / name), "HTML (*.html)"
        )
        return Path(path) if path else None

    @Slot()
    def ask_weekly_report(self) -> None:
        period = self.ask_report_range(self)
        if period is None:
            return
        path = self.ask_report_path(self)
        if path is not None:
            self.write_weekly_report(path, period)

    def write_weekly_report(self, path: Path, period: TimeRange | None = None) -> Task:
        """Write the report for `period` (default: the last seven days) to `path` in the
        background."""
        period = period or last_days()
        since = period.since or last_days().since
        assert since is not None  # last_days always has both ends
        self.status_label.setText("Writing the report…")

        self._report_task = self.tasks.run(
            write_weekly_report,
            self.context.engine,
            path,
            since=since,
            until=period.until,
            key="quality-report",
            pass_progress=True,
            on_success=lambda report: self._on_report(report, path),
            on_progress=self._on_progress,
            on_cancelled=lambda: self.status_label.setText("Report cancelled"),
            on_finished=self._task_done,
        )
        self._show_busy()
        return self._report_task

    def _on_report(self, report: WeeklyReport, path: Path) -> None:
        self.last_report = report
        self.status_label.setText(f"Report for {report.period.label()} written to {path}")
