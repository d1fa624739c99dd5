"""Import a production log: choose a file and a sampling rule, watch progress, read the report."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from typing_extensions import override

from redline.errors import RedlineError
from redline.ingest.types import ImportReport, SamplingKind, SamplingRule
from redline.ui.dialogs.errors import describe
from redline.ui.tasks import Task, TaskRunner
from redline.ui.wording import count, state_label

__all__ = ["SAMPLING_CHOICES", "ImportDialog", "report_text"]

FILE_FILTER = "Production logs (*.jsonl *.ndjson *.json *.csv *.tsv *.parquet *.gz);;All files (*)"
SAMPLING_CHOICES: tuple[tuple[SamplingKind, str], ...] = (
    ("all", "Every record"),
    ("random", "A random sample of N"),
    ("stratified", "Up to N per value of a field"),
    ("low_score", "Weighted towards low scores (about N)"),
    ("score_band", "Within a score band (about N)"),
    ("negative_signals", "Weighted towards negative user signals (about N)"),
)


def report_text(report: ImportReport) -> str:
    """The import report as the reviewer reads it."""
    lines = [
        f"{report.file_name} → source “{report.source}” ({report.format}, {report.shape})",
        f"Status: {state_label(report.status)}" + (" (resumed)" if report.resumed else ""),
        f"Records read: {report.records_read:,}",
        f"Imported: {report.imported:,}",
        f"Duplicates (already in the store): {report.duplicates:,}",
        f"Bad rows: {report.bad:,}",
        f"Not sampled: {report.not_sampled:,}",
    ]
    if report.message:
        lines.append(report.message)
    if report.problems:
        lines.append("")
        lines.append("First problems:")
        lines.extend(f"  line {p.line}: {p.reason}" for p in report.problems[:20])
        if report.bad > len(report.problems[:20]):
            lines.append(f"  … {report.bad - len(report.problems[:20]):,} more in the batch report")
    return "\n".join(lines)


class ImportDialog(QDialog):
    """Runs `redline.ingest.service.import_file` as a cancellable write task.

    Signals:
        imported: the `ImportReport` of a finished import.
    """

    imported = Signal(object)

    def __init__(
        self,
        *,
        engine: Engine,
        runner: TaskRunner,
        reviewer: str = "",
        path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import production outputs")
        self.setObjectName("importDialog")
        self._engine = engine
        self._runner = runner
        self._reviewer = reviewer
        self.task: Task | None = None
        self.report: ImportReport | None = None
        self.error: BaseException | None = None

        self.path_edit = QLineEdit(str(path) if path else "")
        self.path_edit.setObjectName("importPath")
        self.path_edit.setPlaceholderText(
            "A JSONL, CSV or Parquet file (or drop one on the window)"
        )
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("default: the file name")

        self.sampling_combo = QComboBox()
        self.sampling_combo.setObjectName("samplingKind")
        for kind, text in SAMPLING_CHOICES:
            self.sampling_combo.addItem(text, kind)
        self.n_spin = QSpinBox()
        self.n_spin.setRange(1, 10_000_000)
        self.n_spin.setValue(500)
        self.n_spin.setGroupSeparatorShown(True)
        self.field_edit = QLineEdit()
        self.field_edit.setPlaceholderText("e.g. language or prompt_version")
        self.low_spin = QDoubleSpinBox()
        self.high_spin = QDoubleSpinBox()
        for spin, value in ((self.low_spin, 0.3), (self.high_spin, 0.7)):
            spin.setRange(-1e9, 1e9)
            spin.setDecimals(3)
            spin.setSingleStep(0.05)
            spin.setValue(value)
        band_row = QHBoxLayout()
        band_row.addWidget(self.low_spin)
        band_row.addWidget(QLabel("to"))
        band_row.addWidget(self.high_spin)
        self.band_box = QWidget()
        self.band_box.setLayout(band_row)
        band_row.setContentsMargins(0, 0, 0, 0)

        self.form = QFormLayout()
        self.form.addRow("File", path_row)
        self.form.addRow("Source", self.source_edit)
        self.form.addRow("Sampling", self.sampling_combo)
        self.form.addRow("N", self.n_spin)
        self.form.addRow("Field", self.field_edit)
        self.form.addRow("Score band", self.band_box)
        self.sampling_combo.currentIndexChanged.connect(self._update_sampling_fields)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("importProgress")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("")
        self.status_label.setObjectName("metaLabel")
        self.status_label.setWordWrap(True)
        self.report_view = QPlainTextEdit()
        self.report_view.setObjectName("importReport")
        self.report_view.setReadOnly(True)
        self.report_view.setVisible(False)

        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setVisible(False)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.close_button.clicked.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.report_view, 1)
        layout.addWidget(self.buttons)
        self.resize(560, 420)
        self._update_sampling_fields()

    # -- the rule ------------------------------------------------------------------------

    def sampling_rule(self) -> SamplingRule:
        """The rule the controls describe."""
        kind: SamplingKind = self.sampling_combo.currentData()
        n = self.n_spin.value()
        match kind:
            case "all":
                return SamplingRule()
            case "random" | "low_score" | "negative_signals":
                return SamplingRule(kind, n=n)
            case "stratified":
                field = self.field_edit.text().strip()
                if not field:
                    raise RedlineError(
                        "stratified sampling needs a field", hint="name the field to stratify by"
                    )
                return SamplingRule("stratified", n=n, field=field)
            case "score_band":
                low, high = self.low_spin.value(), self.high_spin.value()
                if not low < high:
                    raise RedlineError(
                        "the band's low end must be below its high end", hint="swap the values"
                    )
                return SamplingRule("score_band", n=n, low=low, high=high)

    def _update_sampling_fields(self) -> None:
        kind = self.sampling_combo.currentData()
        self.form.setRowVisible(self.n_spin, kind != "all")
        self.form.setRowVisible(self.field_edit, kind == "stratified")
        self.form.setRowVisible(self.band_box, kind == "score_band")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a production log", "", FILE_FILTER)
        if path:
            self.path_edit.setText(path)

    # -- running -------------------------------------------------------------------------

    def start(self) -> Task | None:
        """Start the import (the Import button). Returns the task, or None if inputs are bad."""
        if self.task is not None:
            return self.task
        text = self.path_edit.text().strip()
        if not text:
            self.status_label.setText("Choose a file first.")
            return None
        path = Path(text).expanduser()
        try:
            sampling = self.sampling_rule()
        except RedlineError as exc:
            self.status_label.setText(exc.one_line())
            return None
        from redline.ingest.service import import_file

        for widget in (self.path_edit, self.browse_button, self.source_edit, self.sampling_combo,
                       self.n_spin, self.field_edit, self.band_box):  # fmt: skip
            widget.setEnabled(False)
        self.import_button.setEnabled(False)
        self.progress_bar.setRange(0, 0)
        self.status_label.setText(f"Reading {path.name}…")
        self.task = self._runner.submit(
            import_file,
            path,
            engine=self._engine,
            source=self.source_edit.text().strip() or None,
            sampling=sampling,
            imported_by=self._reviewer,
            key="import",
            write=True,
            pass_progress=True,
        )
        self.task.signals.progress.connect(self._on_progress)
        self.task.signals.succeeded.connect(self._on_succeeded)
        self.task.signals.failed.connect(self._on_failed)
        self.task.signals.cancelled.connect(self._on_cancelled)
        self.task.signals.finished.connect(self._on_finished)
        return self.task

    def running(self) -> bool:
        return self.task is not None and not self.close_button.isVisible()

    def _on_cancel_clicked(self) -> None:
        if self.running() and self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText("Cancelling after the current chunk…")
        else:
            self.reject()

    @override
    def reject(self) -> None:
        # Escape or the window's close button while importing cancels the import first.
        if self.running() and self.task is not None:
            self._on_cancel_clicked()
            return
        super().reject()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        else:
            self.progress_bar.setRange(0, 0)
        self.status_label.setText(text or f"{done:,} records read")

    def _on_succeeded(self, report: ImportReport) -> None:
        self.report = report
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.status_label.setText(
            f"Imported {count(report.imported, 'sample')}; {count(report.bad, 'bad row')}, "
            f"{count(report.duplicates, 'duplicate')}."
        )
        self.report_view.setPlainText(report_text(report))
        self.report_view.setVisible(True)
        self.imported.emit(report)

    def _on_failed(self, exc: BaseException) -> None:
        self.error = exc
        what, info, details = describe(exc)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label.setText(what)
        self.report_view.setPlainText("\n\n".join(p for p in (what, info, details) if p))
        self.report_view.setVisible(True)

    def _on_cancelled(self) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label.setText(
            "Import cancelled. What was imported so far is kept; importing the same file "
            "again resumes it."
        )

    def _on_finished(self) -> None:
        self.cancel_button.setVisible(False)
        self.import_button.setVisible(False)
        self.close_button.setVisible(True)
        self.close_button.setDefault(True)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        engine: Engine,
        runner: TaskRunner,
        reviewer: str = "",
        path: Path | None = None,
    ) -> ImportReport | None:
        """Run the dialog modally; the report of a finished import, else None."""
        dialog = cls(engine=engine, runner=runner, reviewer=reviewer, path=path, parent=parent)
        try:
            if path is not None:
                dialog.start()
            dialog.exec()
            return dialog.report
        finally:
            dialog.deleteLater()
