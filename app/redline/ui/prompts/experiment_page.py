"""The "Experiments" workspace: an A/B comparison of prompt versions with its statistics.

The numbers come from `redline.prompts.evidence.experiment_result` (a background read);
this page only draws them: satisfaction per arm with Wilson intervals, and the
difference to the control with Newcombe's interval around zero.
"""

from __future__ import annotations

import html
import math

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from typing_extensions import override

from redline.analytics.experiments import ExperimentResult
from redline.prompts.catalog import list_prompts, list_versions
from redline.prompts.evidence import ExperimentInfo, experiment_result, list_experiments
from redline.prompts.experiments import create_experiment
from redline.review.types import Changes
from redline.ui.page_tasks import PageTasks
from redline.ui.prompts.new_experiment import NewExperimentDialog
from redline.ui.resources import load_tokens
from redline.ui.tasks import Task
from redline.ui.theme import current_theme
from redline.ui.workspaces import WorkspaceContext

__all__ = ["ExperimentPage"]

ASSIGNMENT_RULE = (
    "Sticky assignment: arm = f(MD5(“session_id:experiment name”)): the first 15 hex "
    "digits as a fraction u of 16¹⁵; the control when u < planned split, else the treatment "
    "(redline.analytics.experiments.assign_arm; `redline experiment NAME --assign SESSION`)."
)


def catalog_versions(engine: Engine) -> dict[str, list[str]]:
    """Prompt name -> its version labels, oldest first (the new-experiment choices)."""
    return {
        p.name: [v.version for v in list_versions(engine, p.name)] for p in list_prompts(engine)
    }


def load_result(
    engine: Engine, name: str, min_samples: int | None
) -> tuple[ExperimentInfo, ExperimentResult]:
    return experiment_result(engine, name, min_samples_per_arm=min_samples)


class ExperimentPage(QWidget):
    """An experiment's arms, their difference, the sample-ratio check and two plots.

    Signals:
        listed: the experiment list was loaded.
        created: (ExperimentInfo) a new experiment was saved.
        computed: (ExperimentResult) the comparison was computed and drawn.
    """

    listed = Signal()
    computed = Signal(object)
    created = Signal(object)

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = PageTasks(
            context.runner, self, title="Experiments",
            on_failure=lambda exc: self.verdict.setText(f"Could not compute: {exc}"),
        )  # fmt: skip
        self.create_tasks = PageTasks(context.runner, self, title="New experiment")
        self.engine = context.engine
        self.result: ExperimentResult | None = None
        self.experiments: list[ExperimentInfo] = []
        self._pending_choice: str | None = None
        # What changed while the page was hidden: "list" (experiments, versions) or
        # "result" (reviews); done when the page is shown.
        self._stale: str | None = None
        context.hub.changed.connect(self._on_changes)

        self.chooser = QComboBox()
        self.chooser.setObjectName("experimentChooser")
        self.chooser.currentIndexChanged.connect(self._on_chosen)
        self.min_samples = QSpinBox()
        self.min_samples.setObjectName("minSamples")
        self.min_samples.setRange(1, 1_000_000)
        self.min_samples.setSuffix(" judged per arm")
        self.min_samples.setKeyboardTracking(False)
        self.min_samples.valueChanged.connect(self._compute)
        self.new_button = QPushButton("New experiment…")
        self.new_button.setObjectName("newExperimentButton")
        self.new_button.clicked.connect(self.start_new_experiment)
        top = QHBoxLayout()
        top.addWidget(QLabel("Experiment"))
        top.addWidget(self.chooser, 1)
        top.addWidget(QLabel("Minimum"))
        top.addWidget(self.min_samples)
        top.addWidget(self.new_button)

        self.verdict = QLabel()
        self.verdict.setObjectName("experimentVerdict")
        self.verdict.setWordWrap(True)
        self.arms_table = QTableWidget(0, 6)
        self.arms_table.setObjectName("armsTable")
        self.arms_table.setHorizontalHeaderLabels(
            ["Arm", "Samples", "Judged", "Satisfaction (95 % Wilson)", "Tokens out", "Enough"]
        )
        self.arms_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.arms_table.verticalHeader().hide()
        self.arms_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.arms_table.setMaximumHeight(120)
        self.details = QLabel()
        self.details.setObjectName("experimentDetails")
        self.details.setWordWrap(True)
        # matplotlib's Qt backend is untyped.
        self.canvas = FigureCanvasQTAgg(Figure(figsize=(8, 3.2), layout="constrained"))  # type: ignore[no-untyped-call]
        self.canvas.setObjectName("experimentCanvas")
        self.canvas.setMinimumHeight(260)
        rule = QLabel(ASSIGNMENT_RULE)
        rule.setObjectName("mutedLabel")
        rule.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.verdict)
        layout.addWidget(self.arms_table)
        layout.addWidget(self.details)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(rule)
        self.tasks.run(list_experiments, self.engine, on_success=self._on_listed, key="exp.list")

    # ------------------------------------------------------------- new experiment

    @Slot()
    def start_new_experiment(self) -> Task:
        """Load the catalog's versions, then ask for the experiment (NewExperimentDialog)."""
        return self.tasks.run(
            catalog_versions, self.engine, on_success=self._ask_new, key="exp.catalog"
        )

    @Slot(object)
    def _ask_new(self, versions: dict[str, list[str]]) -> None:
        spec = NewExperimentDialog.ask(versions, self)
        if spec is None:
            return
        actor = self.context.settings.reviewer

        self.create_tasks.run(
            create_experiment, self.engine, spec, actor=actor, on_success=self._on_created,
            key="exp.create", write=True,
        )  # fmt: skip

    @Slot(object)
    def _on_created(self, info: ExperimentInfo) -> None:
        self._pending_choice = info.name
        self.created.emit(info)
        self.context.hub.publish(Changes(prompts=True))

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        # Catalog writes (versions, experiments) change the list; reviews the result.
        if changes.prompts:
            self._stale = "list"
        elif (changes.reviews or changes.samples) and self._stale is None:
            self._stale = "result"
        if self.isVisible() or self._pending_choice is not None:
            self._reload()

    def _reload(self) -> None:
        stale, self._stale = self._stale, None
        if stale == "list":
            self.tasks.run(
                list_experiments, self.engine, on_success=self._on_listed, key="exp.list"
            )
        elif stale == "result":
            self._compute()

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._reload()

    @Slot(object)
    def _on_listed(self, experiments: list[ExperimentInfo]) -> None:
        self.experiments = experiments
        self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems([e.name for e in experiments])
        self.chooser.blockSignals(False)
        self.listed.emit()
        chosen = self.chooser.findText(self._pending_choice) if self._pending_choice else -1
        self._pending_choice = None
        if chosen > 0:
            self.chooser.setCurrentIndex(chosen)
        elif experiments:
            self._on_chosen(0)
        else:
            self.verdict.setText("No experiments yet (the demo has one: `redline demo`).")

    @Slot(int)
    def _on_chosen(self, index: int) -> None:
        if not 0 <= index < len(self.experiments):
            return
        self.min_samples.blockSignals(True)
        self.min_samples.setValue(self.experiments[index].min_samples_per_arm)
        self.min_samples.blockSignals(False)
        self._compute()

    def choose(self, name: str) -> None:
        self.chooser.setCurrentText(name)

    @Slot()
    def _compute(self) -> None:
        name = self.chooser.currentText()
        if not name:
            return
        self.verdict.setText("Computing…")
        self.tasks.run(
            load_result, self.engine, name, self.min_samples.value(),
            on_success=self._on_result, key="exp.result",
        )  # fmt: skip

    @Slot(object)
    def _on_result(self, loaded: tuple[ExperimentInfo, ExperimentResult]) -> None:
        info, result = loaded
        self.result = result
        state = "Too few samples" if result.state == "too_few_samples" else "Result"
        self.verdict.setText(f"<b>{state}:</b> {html.escape(result.verdict())}")
        self.verdict.setProperty("state", result.state)
        table = self.arms_table
        table.setRowCount(len(result.arms))
        for row, arm in enumerate(result.arms):
            q = arm.quality
            tokens = f"{q.tokens_out.value:,.0f}" if q.tokens_out.defined else "-"
            enough = "yes" if arm.enough else f"no (< {result.min_samples_per_arm})"
            cells = [arm.name, f"{q.samples:,}", f"{q.judged:,}", arm.satisfaction.percent(),
                     tokens, enough]  # fmt: skip
            for col, text in enumerate(cells):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        lines = []
        for c in result.comparisons:
            test = (
                f"Fisher's exact p = {c.test.p_value:.3g}"
                if c.test.test == "fisher"
                else f"z = {c.test.statistic:.2f}, p = {c.test.p_value:.3g}"
            )
            lines.append(
                f"{c.arm} − {c.control}: {100 * c.difference:+.1f} points "
                f"(95 % Newcombe {100 * c.low:+.1f} to {100 * c.high:+.1f}); {test}"
            )
        srm = result.sample_ratio
        planned = " / ".join(f"{100 * s:.0f} %" for s in srm.planned)
        observed = " / ".join(f"{o:,.0f}" for o in srm.observed)
        lines.append(
            f"Sample ratio: {observed} against {planned} planned — "
            + ("MISMATCH" if srm.mismatch else "ok")
            + f" (χ² = {srm.test.statistic:.2f}, p = {srm.test.p_value:.3g})"
        )
        lines.extend(result.notes)
        self.details.setText("<br/>".join(html.escape(line) for line in lines))
        self._draw(info, result)
        self.computed.emit(result)

    def _draw(self, info: ExperimentInfo, result: ExperimentResult) -> None:
        theme = current_theme()
        tokens = theme.tokens if theme is not None else load_tokens("light")
        figure = self.canvas.figure
        figure.clear()
        figure.set_facecolor(tokens["background"])
        left, right = figure.subplots(1, 2, width_ratios=(3, 2))
        names = [a.name for a in result.arms]
        values = [100 * a.satisfaction.value if a.satisfaction.defined else 0 for a in result.arms]
        low = [100 * (a.satisfaction.value - a.satisfaction.low) for a in result.arms]
        high = [100 * (a.satisfaction.high - a.satisfaction.value) for a in result.arms]
        colors = [tokens["text_muted"]] + [tokens["accent"]] * (len(names) - 1)
        left.bar(names, values, color=colors, alpha=0.75, gid="satisfaction")
        left.errorbar(names, values, yerr=[_clean(low), _clean(high)], fmt="none",
                      ecolor=tokens["text"], capsize=6)  # fmt: skip
        for x, arm in enumerate(result.arms):
            left.annotate(f"n={arm.quality.judged:,}", (x, 2), ha="center",
                          color=tokens["accent_text"], fontsize=8)  # fmt: skip
        left.set_ylim(0, 100)
        left.set_ylabel("satisfaction (% good)")
        left.set_title("Satisfaction per arm, 95 % Wilson", fontsize=10)
        for i, c in enumerate(result.comparisons):
            y = len(result.comparisons) - 1 - i
            right.errorbar(
                [100 * c.difference], [y],
                xerr=[[100 * (c.difference - c.low)], [100 * (c.high - c.difference)]],
                fmt="o", color=tokens["accent"] if c.significant else tokens["text_muted"],
                capsize=6, gid=f"difference:{c.arm}",
            )  # fmt: skip
        right.axvline(0, color=tokens["text"], linewidth=0.8)
        right.set_yticks(range(len(result.comparisons)))
        right.set_yticklabels([f"{c.arm}\n− {c.control}" for c in reversed(result.comparisons)])
        right.set_xlabel("difference (points)")
        right.set_title("Difference, 95 % Newcombe", fontsize=10)
        for ax in (left, right):
            ax.set_facecolor(tokens["surface"])
            ax.tick_params(colors=tokens["text"])
            for spine in ax.spines.values():
                spine.set_color(tokens["border"])
            ax.title.set_color(tokens["text"])
            ax.xaxis.label.set_color(tokens["text"])
            ax.yaxis.label.set_color(tokens["text"])
        figure.suptitle(info.name, fontsize=10, color=tokens["text"])
        self.canvas.draw_idle()  # type: ignore[no-untyped-call]


def _clean(values: list[float]) -> list[float]:
    return [0.0 if math.isnan(v) else max(0.0, v) for v in values]
