"""The threshold studio: tune a policy's threshold on reviewed samples, then propose it.

Reading the samples and building the curves run as Tasks (progress, cancel); once the
curves exist, dragging the candidate line only looks numbers up (see
`redline.analytics.threshold`) and blits, and the summary sentence follows the mouse.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from redline.analytics.drift_report import DriftFinding
from redline.analytics.stats import Rate
from redline.analytics.threshold import (
    Cell,
    OperatingPoint,
    Suggestion,
    describe_change,
    proposal_evidence,
)
from redline.drift.service import policy_drift
from redline.errors import RedlineError
from redline.policies.samples import PolicyData, load_policy_data, segment_dimension
from redline.policies.service import (
    PolicyInfo,
    ProposalInfo,
    create_policy,
    create_proposal,
    decide_proposal,
    list_policies,
    list_proposals,
)
from redline.policies.studio import DIMENSIONS, StudioView, compute_view
from redline.roles import Role, parse_role
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.page_tasks import PageTasks
from redline.ui.resources import load_tokens
from redline.ui.studio.figures import CELL_NAMES, Colours, StudioFigures
from redline.ui.studio.policy_dialog import PolicyDialog
from redline.ui.studio.rates import RatesTable
from redline.ui.tasks import Task
from redline.ui.theme import current_theme
from redline.ui.wording import state_label
from redline.ui.workspaces import WorkspaceContext

__all__ = ["StudioPage"]

ALL = "All traffic"


class StudioPage(QWidget):
    """The threshold studio workspace.

    Signals:
        view_ready: the figures show a freshly computed view.
        summary_changed: the summary sentence changed (every drag step).
        proposal_stored: a ProposalInfo after a proposal was saved.
        drift_checked: the drift check of the policy finished (its warning, or "").
    """

    view_ready = Signal()
    summary_changed = Signal(str)
    proposal_stored = Signal(object)
    drift_checked = Signal(str)

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        # Every failure also ends the busy display; each task names its dialog's title.
        self.tasks = PageTasks(
            context.runner, self, title="Threshold studio",
            on_failure=lambda _exc: self._set_busy(False),
        )  # fmt: skip
        self.policies: list[PolicyInfo] = []
        self.data: PolicyData | None = None
        self.view: StudioView | None = None
        self.candidate = math.nan
        self._loading: Task | None = None
        # The last drift check's warning ("" when nothing drifted; None until checked).
        self.drift_warning: str | None = None
        self._stale = False
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(400)
        self._reload_timer.timeout.connect(self.load_data)

        theme = current_theme()
        self.figures = StudioFigures(Colours.from_tokens(self._tokens()))
        self.figures.on_drag = self._on_candidate_moved
        self.figures.on_release = self._on_candidate_moved
        self.figures.on_cell = self.open_cell
        if theme is not None:
            theme.changed.connect(self._on_theme_changed)

        # -- top bar --
        self.policy_box = QComboBox()
        self.policy_box.setObjectName("studioPolicy")
        self.policy_box.setMinimumContentsLength(16)
        self.new_policy_button = QPushButton("New policy…")
        self.cohort_box = QComboBox()
        self.cohort_box.setObjectName("studioCohort")
        self.cohort_box.setToolTip("Tune the default threshold, or one segment's own threshold")
        self.dimension_box = QComboBox()
        self.dimension_box.setObjectName("studioDimension")
        self.dimension_box.setToolTip("Small multiples: compare the cohorts of this field")
        self.weighted_check = QCheckBox("Re-weight to production traffic")
        self.weighted_check.setToolTip(
            "Weigh each sample by 1 / its inclusion probability (weighted sampling at import)"
        )
        for combo in (self.policy_box, self.cohort_box, self.dimension_box):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.export_button = QPushButton("Export figure…")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress_text = QLabel("")
        self.progress_text.setObjectName("metaLabel")
        self.cancel_button = QPushButton("Cancel")
        top = QHBoxLayout()
        top.addWidget(QLabel("Policy"))
        top.addWidget(self.policy_box)
        top.addWidget(self.new_policy_button)
        top.addSpacing(12)
        top.addWidget(QLabel("Threshold of"))
        top.addWidget(self.cohort_box)
        top.addWidget(QLabel("Compare by"))
        top.addWidget(self.dimension_box)
        top.addWidget(self.weighted_check)
        top.addStretch(1)
        top.addWidget(self.progress_text)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_button)
        top.addWidget(self.export_button)
        self._set_busy(False)

        # -- right panel --
        self.rule_label = QLabel("")
        self.rule_label.setObjectName("studioRule")
        self.rule_label.setWordWrap(True)
        self.summary_label = QLabel("")
        self.summary_label.setObjectName("studioSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rates_table = RatesTable()
        self.warning_label = QLabel("")
        self.warning_label.setObjectName("studioWarnings")
        self.warning_label.setWordWrap(True)
        self.drift_label = QLabel("")
        self.drift_label.setObjectName("studioDrift")
        self.drift_label.setWordWrap(True)
        self.drift_label.setVisible(False)

        suggest = QGroupBox("Suggest")
        self.fp_cost_spin = QDoubleSpinBox()
        self.fp_cost_spin.setRange(0, 1e6)
        self.fp_cost_spin.setValue(5)
        self.fn_cost_spin = QDoubleSpinBox()
        self.fn_cost_spin.setRange(0, 1e6)
        self.fn_cost_spin.setValue(1)
        self.suggest_cost_button = QPushButton("By cost")
        self.precision_spin = QDoubleSpinBox()
        self.precision_spin.setRange(0.5, 0.999)
        self.precision_spin.setDecimals(3)
        self.precision_spin.setSingleStep(0.01)
        self.precision_spin.setValue(0.9)
        self.suggest_precision_button = QPushButton("For precision")
        self.explanation_label = QLabel("")
        self.explanation_label.setObjectName("studioExplanation")
        self.explanation_label.setWordWrap(True)
        form = QFormLayout(suggest)
        form.addRow("Cost of a false positive", self.fp_cost_spin)
        form.addRow("Cost of a false negative", self.fn_cost_spin)
        form.addRow(self.suggest_cost_button)
        form.addRow("Target precision", self.precision_spin)
        form.addRow(self.suggest_precision_button)
        form.addRow(self.explanation_label)

        propose = QGroupBox("Propose the candidate")
        self.rationale_edit = QPlainTextEdit()
        self.rationale_edit.setObjectName("studioRationale")
        self.rationale_edit.setPlaceholderText("Why should the threshold move?")
        self.rationale_edit.setMaximumHeight(70)
        self.propose_button = QPushButton("Propose")
        self.propose_button.setObjectName("studioPropose")
        self.proposals_list = QListWidget()
        self.proposals_list.setObjectName("studioProposals")
        self.proposals_list.setMaximumHeight(120)
        self.approve_button = QPushButton("Approve")
        self.reject_button = QPushButton("Reject")
        # Approval is a lead's: offered only when the settings say so (the shared
        # database enforces it whatever the app shows). An unknown role is a reviewer,
        # as in the prompt catalog.
        try:
            self.role = parse_role(context.settings.role)
        except RedlineError:
            self.role = Role.REVIEWER
        is_lead = self.role is Role.LEAD
        self.approve_button.setVisible(is_lead)
        self.reject_button.setVisible(is_lead)
        box = QVBoxLayout(propose)
        box.addWidget(self.rationale_edit)
        box.addWidget(self.propose_button)
        box.addWidget(self.proposals_list)
        decide = QHBoxLayout()
        decide.addWidget(self.approve_button)
        decide.addWidget(self.reject_button)
        box.addLayout(decide)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.rule_label)
        side_layout.addWidget(self.drift_label)
        side_layout.addWidget(self.summary_label)
        side_layout.addWidget(self.rates_table)
        side_layout.addWidget(self.warning_label)
        side_layout.addWidget(suggest)
        side_layout.addWidget(propose)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setMinimumWidth(400)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.figures.main)
        plots.addWidget(self.figures.multiples)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(plots)
        body.addWidget(scroll)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([1000, 440])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(body, 1)

        self.policy_box.currentIndexChanged.connect(self._on_policy_changed)
        self.cohort_box.currentIndexChanged.connect(self._on_view_options_changed)
        self.dimension_box.currentIndexChanged.connect(self._on_view_options_changed)
        self.weighted_check.toggled.connect(self._on_view_options_changed)
        self.new_policy_button.clicked.connect(self.new_policy)
        self.export_button.clicked.connect(self._on_export)
        self.cancel_button.clicked.connect(self.cancel_loading)
        self.suggest_cost_button.clicked.connect(self.suggest_by_cost)
        self.suggest_precision_button.clicked.connect(self.suggest_for_precision)
        self.propose_button.clicked.connect(self.propose)
        self.approve_button.clicked.connect(lambda: self._decide(approve=True))
        self.reject_button.clicked.connect(lambda: self._decide(approve=False))
        context.hub.changed.connect(self._on_store_changed)
        self.figures.clear("Loading policies…")
        self.reload_policies()

    # ====================================================================== loading

    def _tokens(self) -> dict[str, str]:
        theme = current_theme()
        return theme.tokens if theme is not None and theme.tokens else load_tokens("light")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress_text.setText(text)
        if busy:
            self.progress.setRange(0, 0)

    def reload_policies(self, select: str | None = None) -> None:
        def done(policies: object) -> None:
            assert isinstance(policies, list)
            keep = select or self.policy_box.currentText()
            self.policies = policies
            self.policy_box.blockSignals(True)
            self.policy_box.clear()
            for policy in policies:
                self.policy_box.addItem(policy.name, policy.id)
            index = max(0, self.policy_box.findText(keep)) if keep else 0
            self.policy_box.setCurrentIndex(index if policies else -1)
            self.policy_box.blockSignals(False)
            if not policies:
                self.figures.clear("No policies yet: create one with “New policy…”.")
                self.rule_label.setText("")
                return
            self._on_policy_changed()

        self.tasks.run(
            list_policies,
            self.context.engine,
            key="studio-policies",
            on_success=done,
            title="Cannot read the policies",
        )

    def show_policy(self, name: str) -> bool:
        """Bring up the policy `name` (another workspace handing over); False if unknown."""
        index = self.policy_box.findText(name)
        if index >= 0:
            self.policy_box.setCurrentIndex(index)
        return index >= 0

    def current_policy(self) -> PolicyInfo | None:
        index = self.policy_box.currentIndex()
        return self.policies[index] if 0 <= index < len(self.policies) else None

    @Slot()
    def _on_policy_changed(self) -> None:
        policy = self.current_policy()
        if policy is not None:
            self.rule_label.setText(f"{policy.name}: {policy.rule()}")
            self.candidate = math.nan
            self.load_data()
            self._load_proposals()

    @Slot()
    def load_data(self) -> None:
        """Read the policy's samples and reviews in the background."""
        policy = self.current_policy()
        if policy is None:
            return
        self._stale = False
        self._set_busy(True, "reading samples…")
        self.check_drift()

        self._loading = self.tasks.run(
            load_policy_data,
            self.context.engine,
            policy,
            key="studio-data",
            pass_progress=True,
            on_success=self._on_data,
            on_progress=self._on_progress,
            on_cancelled=lambda: self._set_busy(False, "cancelled"),
            title="Cannot read the samples",
        )

    def check_drift(self) -> None:
        """Ask the drift service whether the policy's score distribution moved lately
        (the last 7 days against the 28 before); a warning shows when it did."""
        policy = self.current_policy()
        if policy is None:
            return

        def show(message: str) -> None:
            self.drift_warning = message
            self.drift_label.setText(message)
            self.drift_label.setVisible(bool(message))
            self.drift_checked.emit(message)

        def found(finding: object) -> None:
            show(f"⚠ Drift: {finding.message}" if isinstance(finding, DriftFinding) else "")

        def failed(exc: object) -> None:
            # Not worth a dialog on every policy switch, but never silent.
            show(f"Could not check for drift: {exc}")

        task = self.context.runner.submit(
            policy_drift, self.context.engine, policy.name, key="studio-drift"
        )
        task.signals.succeeded.connect(found)
        task.signals.failed.connect(failed)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        self.progress_text.setText(text)

    @Slot()
    def cancel_loading(self) -> None:
        if self._loading is not None:
            self._loading.cancel()

    @Slot(object)
    def _on_data(self, data: object) -> None:
        assert isinstance(data, PolicyData)
        self.data = data
        samples = data.samples
        dimension = data.segment_dimension
        self.cohort_box.blockSignals(True)
        keep_cohort = self.cohort_box.currentData()
        self.cohort_box.clear()
        self.cohort_box.addItem(ALL, None)
        if dimension is not None:
            for value in samples.segment_values(dimension):
                own = data.policy.segment_thresholds.get(value)
                label = f"{data.policy.segment_field} = {value}" + (
                    f" (own {own:g})" if own is not None else ""
                )
                self.cohort_box.addItem(label, value)
        self.cohort_box.setCurrentIndex(max(0, self.cohort_box.findData(keep_cohort)))
        self.cohort_box.blockSignals(False)
        self.dimension_box.blockSignals(True)
        keep_dimension = self.dimension_box.currentData() or dimension or "language"
        self.dimension_box.clear()
        names = [*DIMENSIONS, *(k for k in samples.segments if k not in DIMENSIONS)]
        for name in names:
            self.dimension_box.addItem(name.removeprefix("segments."), name)
        self.dimension_box.setCurrentIndex(max(0, self.dimension_box.findData(keep_dimension)))
        self.dimension_box.blockSignals(False)
        self.weighted_check.blockSignals(True)
        self.weighted_check.setEnabled(samples.has_weights)
        self.weighted_check.setChecked(samples.has_weights)
        self.weighted_check.blockSignals(False)
        self.compute()

    @Slot()
    def _on_view_options_changed(self) -> None:
        if self.data is not None:
            self.compute()

    def compute(self) -> None:
        """Build the curves for the chosen cohort, slicing and weighting (a Task)."""
        if self.data is None:
            return
        self._set_busy(True, "computing curves…")

        self._loading = self.tasks.run(
            compute_view,
            self.data,
            cohort=self.cohort_box.currentData(),
            dimension=str(self.dimension_box.currentData() or "language"),
            weighted=self.weighted_check.isChecked(),
            key="studio-view",
            pass_progress=True,
            on_success=self._on_view,
            on_progress=self._on_progress,
            on_cancelled=lambda: self._set_busy(False, "cancelled"),
            title="Cannot compute the curves",
        )

    @Slot(object)
    def _on_view(self, view: object) -> None:
        assert isinstance(view, StudioView)
        self._set_busy(False)
        self.view = view
        curves = view.curves
        if curves.traffic == 0:
            self.figures.clear("No scored samples in this policy's scope yet.")
            self.summary_label.setText("No scored samples in scope.")
            self.rates_table.show_points([])
            self.view_ready.emit()
            return
        low, high = view.table.thresholds[0], view.table.thresholds[-1]
        if not (low <= self.candidate <= high):
            self.candidate = curves.current if curves.current is not None else (low + high) / 2
        self.figures.draw(view, self.candidate)
        self._update_summary()
        self._update_warnings()
        self.view_ready.emit()

    # ====================================================================== the candidate

    def _on_candidate_moved(self, candidate: float) -> None:
        self.candidate = candidate
        self._update_summary()

    def set_candidate(self, candidate: float) -> None:
        """Move the candidate line (as a drag would)."""
        self.candidate = candidate
        self.figures.move_candidate(candidate)
        self._update_summary()

    def _current_threshold(self) -> float:
        assert self.view is not None
        current = self.view.curves.current
        return current if current is not None else self.view.data.policy.threshold

    def summary(self) -> str:
        if self.view is None:
            return ""
        curves = self.view.curves
        now = curves.at(self._current_threshold())
        candidate = curves.at(self.candidate)
        if abs(candidate.threshold - now.threshold) < 1e-9:
            return (
                f"At the current {now.threshold:g}: precision {_plain(now.precision)}, "
                f"automation {_plain(now.automation)}, on {now.reviewed:,} reviewed samples. "
                "Drag the red line to try another threshold."
            )
        return describe_change(now, candidate)

    def _update_summary(self) -> None:
        if self.view is None:
            return
        text = self.summary()
        self.summary_label.setText(text)
        curves = self.view.curves
        now = curves.at(self._current_threshold())
        candidate = curves.at(self.candidate)
        columns: list[tuple[str, OperatingPoint]] = [
            (f"current {now.threshold:g}", now),
            (f"candidate {candidate.threshold:.3f}", candidate),
        ]
        if self.view.plain is not None:
            columns.append(("unweighted", self.view.plain.at(self.candidate)))
        self.rates_table.show_points(columns)
        self.summary_changed.emit(text)

    def _update_warnings(self) -> None:
        assert self.view is not None
        view = self.view
        curves = view.curves
        notes = []
        truth = view.data.samples.truth
        excluded = f"{curves.unsure:,} unsure and {curves.disputed:,} tied samples left out"
        adjudicated = f"; {truth.adjudicated:,} decided by adjudication" if truth else ""
        majority = f", {truth.majority:,} by majority" if truth else ""
        notes.append(f"{curves.reviewed:,} reviewed of {curves.traffic:,} scored ({excluded}"
                     f"{adjudicated}{majority}).")  # fmt: skip
        if view.data.prompts:
            notes.append(f"Scope: {', '.join(view.data.prompts)}.")
        if curves.reviewed < 30:
            notes.append("⚠ Too few reviewed samples here: every rate is very uncertain.")
        for segment in view.segments:
            if segment.warning:
                notes.append(f"⚠ {segment.value}: {segment.warning}.")
        self.warning_label.setText("\n".join(notes))

    def open_cell(self, cell: Cell) -> None:
        """Open the samples of a confusion-matrix cell at the candidate in the queue."""
        view = self.view
        if view is None or view.data.samples.sample_ids is None:
            return
        positions = view.curves.members(self.candidate, cell)
        ids = frozenset(view.data.samples.sample_ids[positions].tolist())
        cohort = f" ({view.data.policy.segment_field} = {view.cohort})" if view.cohort else ""
        label = f"{CELL_NAMES[cell]} of {view.data.policy.name}{cohort} at {_t(self.candidate)}"
        self.context.show_selection(ids, label)

    # ====================================================================== suggest

    def _show_suggestion(self, suggestion: Suggestion) -> None:
        self.explanation_label.setText(suggestion.explanation)
        if suggestion.threshold is not None:
            self.set_candidate(suggestion.threshold)

    @Slot()
    def suggest_by_cost(self) -> None:
        if self.view is None:
            return
        fp, fn = self.fp_cost_spin.value(), self.fn_cost_spin.value()
        if fp + fn == 0:
            self.explanation_label.setText("Give a cost to false positives or negatives.")
            return
        self._show_suggestion(self.view.curves.suggest_by_cost(fp, fn))

    @Slot()
    def suggest_for_precision(self) -> None:
        if self.view is not None:
            self._show_suggestion(
                self.view.curves.suggest_for_precision(self.precision_spin.value())
            )

    # ====================================================================== proposals

    @Slot()
    def propose(self) -> None:
        """Store a proposal for the candidate, with the evidence at both values."""
        if self.view is None:
            return
        view = self.view
        policy = view.data.policy
        evidence: dict[str, Any] = proposal_evidence(
            view.curves, self.candidate, unweighted=view.plain
        )
        evidence["scope"] = {"prompts": list(view.data.prompts), "cohort": view.cohort}
        proposer = self.context.settings.reviewer

        def stored(proposal: object) -> None:
            self.rationale_edit.clear()
            self._load_proposals()
            self.proposal_stored.emit(proposal)

        self.tasks.run(
            create_proposal,
            self.context.engine,
            policy,
            segment=view.cohort,
            new_value=round(self.candidate, 4),
            rationale=self.rationale_edit.toPlainText(),
            evidence=evidence,
            proposer=proposer,
            write=True,
            on_success=stored,
            title="Cannot store the proposal",
        )

    def _load_proposals(self) -> None:
        policy = self.current_policy()
        if policy is None:
            return

        def show(proposals: object) -> None:
            assert isinstance(proposals, list)
            self.proposals_list.clear()
            for p in proposals:
                assert isinstance(p, ProposalInfo)
                where = f" [{p.segment}]" if p.segment else ""
                state = state_label(p.status)
                item = QListWidgetItem(
                    f"{p.old_value:g} → {p.new_value:g}{where}  {state} · {p.proposer}"
                )
                item.setToolTip(p.rationale + "\n\n" + str(p.evidence.get("summary", "")))
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                self.proposals_list.addItem(item)

        self.tasks.run(
            list_proposals,
            self.context.engine,
            policy.id,
            key="studio-proposals",
            on_success=show,
            title="Cannot read the proposals",
        )

    def _decide(self, *, approve: bool) -> None:
        items = self.proposals_list.selectedItems()
        if not items:
            return
        item = items[0]
        self.tasks.run(
            decide_proposal,
            self.context.engine,
            item.data(Qt.ItemDataRole.UserRole),
            approve=approve,
            decider=self.context.settings.reviewer,
            role=self.role,
            write=True,
            on_success=lambda _: self.reload_policies(),
            title="Cannot decide",
        )

    # ====================================================================== policies

    @Slot()
    def new_policy(self) -> None:
        fields = []
        if self.data is not None:
            fields = [k.removeprefix("segments.") for k in self.data.samples.segments
                      if k.startswith("segments.")]  # fmt: skip
        draft = PolicyDialog.ask(self, segment_fields=fields)
        if draft is None:
            return
        self.tasks.run(
            create_policy,
            self.context.engine,
            draft,
            created_by=self.context.settings.reviewer,
            write=True,
            on_success=lambda p: self.reload_policies(select=p.name),
            title="Cannot create the policy",
        )

    # ====================================================================== misc

    def export_figure(self, path: str) -> None:
        """Save the figures as PNG or SVG (by the extension)."""
        self.figures.export(path)

    @Slot()
    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export figure", "threshold-studio.png", "PNG (*.png);;SVG (*.svg)"
        )
        if path:
            try:
                self.export_figure(path)
            except (OSError, ValueError) as exc:
                ErrorDialog.ask(self, exc, title="Cannot export the figure")

    @Slot()
    def _on_theme_changed(self) -> None:
        self.figures.set_colours(Colours.from_tokens(self._tokens()))

    @Slot(object)
    def _on_store_changed(self, _changes: object) -> None:
        # New reviews move the curves: reload, once, when the studio is on screen.
        self._stale = True
        if self.isVisible():
            self._reload_timer.start()

    @override
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self._reload_timer.start()

    def dimension_for(self, field: str) -> str:
        return segment_dimension(field)


def _t(value: float) -> str:
    """0.78, not 0.780000001: as a user reads the line."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _plain(rate: Rate) -> str:
    if not rate.defined or math.isnan(rate.value):
        return "n/a"
    return f"{100 * rate.value:.1f} %"
