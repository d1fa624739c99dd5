"""The "Regression" tab of the prompt catalog: a version's regression loop.

Build the set of the chosen version's failures (a JSONL export), import a newer
version's outputs on it as a batch, and compare the two side by side, case by case
(`redline.prompts.regression`). "Review in queue" opens the new outputs in the review
queue, where they are judged like any sample.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from redline.export.service import configured_profile
from redline.export.types import ExportResult
from redline.ingest.types import ImportReport
from redline.prompts.catalog import VersionInfo
from redline.prompts.regression import (
    RegressionComparison,
    build_regression_set,
    compare_regression,
    import_regression_outputs,
    regression_options,
)
from redline.review.types import Changes
from redline.ui.page_tasks import PageTasks
from redline.ui.tasks import Task
from redline.ui.wording import count
from redline.ui.workspaces import WorkspaceContext

__all__ = ["RegressionPanel"]

PREVIEW_CHARS = 160


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


class RegressionPanel(QWidget):
    """Build, import and compare for the version `current()` returns.

    Signals:
        built: (ExportResult) the regression set was written.
        imported: (ImportReport) a new version's outputs were imported.
        compared: (RegressionComparison) the comparison was loaded and shown.
    """

    built = Signal(object)
    imported = Signal(object)
    compared = Signal(object)

    def __init__(
        self,
        context: WorkspaceContext,
        current: Callable[[], VersionInfo | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = PageTasks(
            context.runner,
            self,
            title="Regression set",
            on_failure=lambda exc: self.status.setText(f"Not done: {exc}"),
        )
        self._current = current
        self.comparison: RegressionComparison | None = None
        intro = QLabel(
            "The regression set of a version: its samples judged bad, as JSONL cases to run "
            "through the next version. Import that version's outputs "
            '({"id": case id, "output": "..."} per line) to review and compare them here.'
        )
        intro.setWordWrap(True)
        intro.setObjectName("mutedLabel")
        self.build_button = QPushButton("Build regression set…")
        self.build_button.setObjectName("buildRegressionButton")
        self.build_button.clicked.connect(self.start_build)
        self.new_version = QComboBox()
        self.new_version.setObjectName("regressionNewVersion")
        self.import_button = QPushButton("Import outputs…")
        self.import_button.setObjectName("importRegressionButton")
        self.import_button.clicked.connect(self.start_import)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareRegressionButton")
        self.compare_button.clicked.connect(self.start_compare)
        self.review_button = QPushButton("Review in queue")
        self.review_button.setObjectName("reviewRegressionButton")
        self.review_button.clicked.connect(self._review)
        self.review_button.setEnabled(False)
        self.pairwise_button = QPushButton("Pairwise review")
        self.pairwise_button.setObjectName("pairwiseRegressionButton")
        self.pairwise_button.setToolTip(
            "Both outputs for the same input side by side, blind: choose the better one"
        )
        self.pairwise_button.clicked.connect(self.open_pairwise)
        self.pairwise_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.build_button)
        row.addStretch(1)
        row.addWidget(QLabel("New version"))
        row.addWidget(self.new_version)
        row.addWidget(self.import_button)
        row.addWidget(self.compare_button)
        row.addWidget(self.review_button)
        row.addWidget(self.pairwise_button)
        self.status = QLabel()
        self.status.setObjectName("regressionStatus")
        self.status.setWordWrap(True)
        self.pairs_table = QTableWidget(0, 4)
        self.pairs_table.setObjectName("regressionPairs")
        self.pairs_table.setHorizontalHeaderLabels(
            ["Output of the case (A)", "A", "Output of the new version (B)", "B"]
        )
        self.pairs_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.pairs_table.setWordWrap(True)
        header = self.pairs_table.horizontalHeader()
        for column in (0, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.pairs_table, 1)

    def set_versions(self, labels: list[str], current: str | None) -> None:
        """The versions a new version can be chosen from (the prompt's, newest first)."""
        others = [label for label in reversed(labels) if label != current]
        self.new_version.clear()
        self.new_version.addItems(others)

    def _version(self) -> VersionInfo | None:
        version = self._current()
        if version is None:
            self.status.setText("Choose a version first.")
        return version

    # ------------------------------------------------------------------ build

    @Slot()
    def start_build(self) -> Task | None:
        version = self._version()
        if version is None:
            return None
        suggested = f"{version.prompt_name}-{version.version}-regression.jsonl"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the regression set", suggested, "JSON Lines (*.jsonl)"
        )
        if not path:
            return None
        settings = self.context.settings
        options = regression_options(
            version.prompt_name,
            version.version,
            custom_patterns=dict(settings.redaction_patterns),
            # The save dialog asked about replacing an existing file already.
            overwrite=True,
            shared_profile=configured_profile(settings),
        )
        self.status.setText(f"Building the regression set of {version.label}…")
        return self.tasks.run(
            build_regression_set, self.context.engine, version.prompt_name, version.version,
            Path(path), options=options, on_success=self._on_built, key="regression.build",
            pass_progress=True,
        )  # fmt: skip

    @Slot(object)
    def _on_built(self, result: ExportResult) -> None:
        where = result.files[0].path if result.files else "?"
        self.status.setText(
            f"{count(result.written, 'case')} written to {where} (manifest beside it). Run them "
            "through the new version, then import its outputs."
        )
        self.built.emit(result)

    # ------------------------------------------------------------------ import

    @Slot()
    def start_import(self) -> Task | None:
        version = self._version()
        new = self.new_version.currentText()
        if version is None or not new:
            self.status.setText("Choose the version that made the outputs.")
            return None
        path, _ = QFileDialog.getOpenFileName(
            self, f"Outputs of {new} on the regression set", "", "JSON Lines (*.jsonl)"
        )
        if not path:
            return None
        self.status.setText(f"Importing the outputs of {new}…")
        return self.tasks.run(
            import_regression_outputs, self.context.engine, Path(path),
            prompt_name=version.prompt_name, version=new,
            imported_by=self.context.settings.reviewer, on_success=self._on_imported,
            key="regression.import", write=True, pass_progress=True,
        )  # fmt: skip

    @Slot(object)
    def _on_imported(self, report: ImportReport) -> None:
        self.status.setText(
            f"{report.imported:,} outputs imported"
            + (f" ({report.message})" if report.imported == 0 else "")
        )
        self.context.hub.publish(Changes(samples=True))
        self.imported.emit(report)
        self.start_compare()

    # ------------------------------------------------------------------ compare

    @Slot()
    def start_compare(self) -> Task | None:
        version = self._version()
        new = self.new_version.currentText()
        if version is None or not new:
            return None
        return self.tasks.run(
            compare_regression, self.context.engine, version.prompt_name, new,
            on_success=self._on_compared, key="regression.compare",
        )  # fmt: skip

    @Slot(object)
    def _on_compared(self, comparison: RegressionComparison) -> None:
        self.comparison = comparison
        text = comparison.summary()
        if comparison.fixed + comparison.broken:
            text += f" — McNemar's exact p = {comparison.test.p_value:.3g}"
        self.status.setText(text)
        table = self.pairs_table
        table.setRowCount(len(comparison.pairs))
        for row, pair in enumerate(comparison.pairs):
            cells = [_short(pair.output_a), pair.verdict_a or "–", _short(pair.output_b),
                     pair.verdict_b or "not judged"]  # fmt: skip
            for column, value in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(value))
        table.resizeRowsToContents()
        self.review_button.setEnabled(bool(comparison.pairs))
        self.pairwise_button.setEnabled(bool(comparison.pairs))
        self.compared.emit(comparison)

    def new_sample_ids(self) -> frozenset[uuid.UUID]:
        pairs = self.comparison.pairs if self.comparison is not None else ()
        return frozenset(p.new_id for p in pairs)

    @Slot()
    def open_pairwise(self) -> QWidget | None:
        """Bring the pairwise workspace to the front on the compared version's pairs."""
        if self.comparison is None:
            return None
        page = self.context.show_workspace("pairwise")
        open_set = getattr(page, "open_set", None)
        if open_set is not None:
            open_set(self.comparison.prompt_name, self.comparison.version)
        return page

    @Slot()
    def _review(self) -> None:
        if self.comparison is None:
            return
        label = f"{self.comparison.prompt_name} {self.comparison.version} on its regression set"
        self.context.show_selection(self.new_sample_ids(), label)
