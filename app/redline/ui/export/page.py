"""The Export workspace: filters with a live count, a redaction preview, a cancellable export.

Every control change re-runs `redline.export.service.dry_run` in the background
(latest wins, after a short pause) so the count always says what the export would
write and why the rest is left out. "Preview redaction" shows, for the first samples
the export would write, each text with PII before and after masking. "Export" runs
`run_export` with progress and Cancel; a cancelled or failed export leaves no file.
The result panel summarises the manifest written next to the data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from redline import clock
from redline.errors import RedlineError
from redline.export.query import FilterChoices, filter_choices
from redline.export.redaction import MASKED, NOT_MASKED
from redline.export.service import (
    RedactionPreview,
    configured_profile,
    dry_run,
    output_paths,
    preview_redaction,
    run_export,
)
from redline.export.types import (
    DEFAULT_MIN_CORRECTION_CHARS,
    EXPORT_FORMATS,
    FORMAT_SUFFIX,
    FORMAT_TITLES,
    ExportFilters,
    ExportFormat,
    ExportOptions,
    ExportResult,
)
from redline.review.taxonomy import categories
from redline.ui.dialogs.errors import ErrorDialog, describe
from redline.ui.tasks import Task
from redline.ui.wording import count as counted
from redline.ui.workspaces import WorkspaceContext

__all__ = ["ExportPage", "result_text"]

COUNT_DELAY_MS = 300
ANY = "Any"
PREVIEW_COLUMNS = ("sample", "field", "masked", "before", "after")


def result_text(result: ExportResult) -> str:
    """The export's summary as the user reads it (from the manifest's numbers)."""
    lines = [
        f"Wrote {result.written:,} records ({FORMAT_TITLES[result.format]})",
        f"Reviewed samples read: {result.read:,}",
    ]
    if result.validation or any(f.split == "validation" for f in result.files):
        lines.append(f"Train: {result.train:,} · validation: {result.validation:,}")
    for reason, count in result.dropped.items():
        lines.append(f"Dropped, {reason}: {count:,}")
    masked = ", ".join(f"{kind} {n:,}" for kind, n in result.redactions.items())
    lines.append(f"Masked: {masked or 'nothing'}")
    if result.tokens_total:
        lines.append(
            f"Tokens (estimate): {result.tokens_total:,}, longest record {result.tokens_max:,}"
        )
    if result.weight_zero_turns:
        lines.append(
            f"Not trained on (weight 0): {result.weight_zero_turns:,} earlier assistant turns "
            f"in {result.weight_zero_records:,} records, not approved by a good verdict"
        )
    lines.append("")
    for file in result.files:
        lines.append(f"{file.path}  ({counted(file.rows, 'row')}, sha256 {file.sha256[:16]}…)")
    for split in result.empty_splits:
        lines.append(f"The {split} split has no record: its file was not written.")
    if result.manifest is not None:
        lines.append(f"Manifest: {result.manifest}")
    return "\n".join(lines)


def _count_text(result: ExportResult) -> str:
    text = f"{result.written:,} of {result.read:,} reviewed samples would be written"
    if result.dropped:
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in result.dropped.items())
        text += f" — left out: {reasons}"
    return text


def _utc_day(value: QDate) -> datetime:
    return clock.start_of_day(date(value.year(), value.month(), value.day()))


class ExportPage(QWidget):
    """The "Export" workspace (see the module docstring).

    Attributes:
        count_result: the latest dry run (None until the first arrives).
        result: the last finished export.
        preview: the last redaction preview.
        export_task: the running (or last) export task.
    """

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.count_result: ExportResult | None = None
        self.result: ExportResult | None = None
        self.preview: RedactionPreview | None = None
        self.export_task: Task | None = None
        self.count_task: Task | None = None
        self._building = True
        self._planned: dict[str, Path] = {}

        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self.refresh_count)

        self._build_filters()
        self._build_output()
        self._build_right()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._left)
        splitter.addWidget(scroll)
        splitter.addWidget(self._right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([460, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self._building = False
        choices = context.runner.submit(filter_choices, context.engine, key="export-choices")
        choices.signals.succeeded.connect(self._on_choices)
        self.refresh_count()

    # -- building ------------------------------------------------------------------------

    def _build_filters(self) -> None:
        self._left = QWidget()
        form = QFormLayout(self._left)
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("exportFormat")
        for fmt in EXPORT_FORMATS:
            self.format_combo.addItem(FORMAT_TITLES[fmt], fmt)
        self.prompt_combo = self._combo("exportPrompt")
        self.model_combo = self._combo("exportModel")
        self.language_combo = self._combo("exportLanguage")
        self.verdict_combo = self._combo("exportVerdict", ("good", "bad", "unsure"))
        self.category_combo = self._combo("exportCategory", categories(self._context.settings))
        self.reviewer_combo = self._combo("exportReviewer")

        # UTC days, like the capture times the dates filter.
        day = clock.today()
        today = QDate(day.year, day.month, day.day)
        self.since_check = QCheckBox("from")
        self.since_edit = QDateEdit(today.addDays(-30))
        self.until_check = QCheckBox("up to")
        self.until_edit = QDateEdit(today)
        since_row, until_row = QHBoxLayout(), QHBoxLayout()
        since_row.addWidget(self.since_check)
        since_row.addWidget(self.since_edit, 1)
        until_row.addWidget(self.until_check)
        until_row.addWidget(self.until_edit, 1)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")

        self.min_correction_spin = QSpinBox()
        self.min_correction_spin.setObjectName("exportMinCorrection")
        self.min_correction_spin.setRange(0, 100_000)
        self.min_correction_spin.setValue(DEFAULT_MIN_CORRECTION_CHARS)
        self.min_correction_spin.setSuffix(" characters")
        self.agree_spin = QSpinBox()
        self.agree_spin.setObjectName("exportAgree")
        self.agree_spin.setRange(1, 20)
        self.agree_spin.setPrefix("at least ")
        self.exclude_flagged_check = QCheckBox("Leave out samples flagged for a lead")
        self.exclude_flagged_check.setChecked(True)
        self.dedup_check = QCheckBox("Export identical inputs once")
        self.dedup_check.setChecked(True)
        self.validation_spin = QDoubleSpinBox()
        self.validation_spin.setObjectName("exportValidation")
        self.validation_spin.setRange(0.0, 0.5)
        self.validation_spin.setSingleStep(0.05)
        self.validation_spin.setDecimals(2)
        self.validation_spin.setSpecialValueText("no split")
        self.redact_check = QCheckBox("Mask personal data")
        self.redact_check.setToolTip(
            "Masks: "
            + "; ".join(f"{kind}: {what}" for kind, what in MASKED.items())
            + "; and the custom patterns of the settings (redaction_patterns).\n"
            "Not masked: " + NOT_MASKED + "."
        )
        self.redact_check.setObjectName("exportRedact")
        self.redact_check.setChecked(True)

        form.addRow("Format", self.format_combo)
        form.addRow("Prompt", self.prompt_combo)
        form.addRow("Model", self.model_combo)
        form.addRow("Language", self.language_combo)
        form.addRow("Captured", since_row)
        form.addRow("", until_row)
        form.addRow("Verdict", self.verdict_combo)
        form.addRow("Failure category", self.category_combo)
        form.addRow("Reviewer", self.reviewer_combo)
        form.addRow("Shortest correction", self.min_correction_spin)
        form.addRow("Reviewers agreeing", self.agree_spin)
        form.addRow("", self.exclude_flagged_check)
        form.addRow("", self.dedup_check)
        form.addRow("Validation share", self.validation_spin)
        form.addRow("", self.redact_check)

        for combo in (self.format_combo, self.prompt_combo, self.model_combo, self.language_combo,
                      self.verdict_combo, self.category_combo, self.reviewer_combo):  # fmt: skip
            combo.currentIndexChanged.connect(self._schedule_count)
        for check in (self.since_check, self.until_check, self.exclude_flagged_check,
                      self.dedup_check, self.redact_check):  # fmt: skip
            check.toggled.connect(self._schedule_count)
        for edit in (self.since_edit, self.until_edit):
            edit.dateChanged.connect(self._schedule_count)
        for spin in (self.min_correction_spin, self.agree_spin, self.validation_spin):
            spin.valueChanged.connect(self._schedule_count)
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)

    def _combo(self, name: str, values: tuple[str, ...] = ()) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(ANY, None)
        for value in values:
            combo.addItem(value, value)
        return combo

    def _build_output(self) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("exportPath")
        self.path_edit.setPlaceholderText("Where to write, e.g. ~/datasets/corrections.jsonl")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.overwrite_check = QCheckBox("Replace existing files")
        self.overwrite_check.setObjectName("exportOverwrite")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form = self._left.layout()
        assert isinstance(form, QFormLayout)
        form.addRow("Write to", row)
        form.addRow("", self.overwrite_check)

    def _build_right(self) -> None:
        self._right = QWidget()
        layout = QVBoxLayout(self._right)

        self.count_label = QLabel("Counting…")
        self.count_label.setObjectName("exportCount")
        self.count_label.setWordWrap(True)

        title = QLabel("Redaction preview")
        title.setObjectName("sectionTitle")
        self.preview_button = QPushButton("Preview redaction")
        self.preview_button.setObjectName("previewButton")
        self.preview_button.clicked.connect(self.start_preview)
        self.preview_label = QLabel("Shows what masking changes in the first 500 samples.")
        self.preview_label.setObjectName("metaLabel")
        self.preview_label.setWordWrap(True)
        preview_row = QHBoxLayout()
        preview_row.addWidget(title)
        preview_row.addStretch(1)
        preview_row.addWidget(self.preview_button)
        self.preview_table = QTableWidget(0, len(PREVIEW_COLUMNS))
        self.preview_table.setObjectName("redactionPreview")
        self.preview_table.setHorizontalHeaderLabels(list(PREVIEW_COLUMNS))
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setWordWrap(True)
        self.preview_table.verticalHeader().setVisible(False)
        header = self.preview_table.horizontalHeader()
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("exportProgress")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("exportButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelExport")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        run_row = QHBoxLayout()
        run_row.addWidget(self.progress_bar, 1)
        run_row.addWidget(self.export_button)
        run_row.addWidget(self.cancel_button)
        self.status_label = QLabel("")
        self.status_label.setObjectName("exportStatus")
        self.status_label.setWordWrap(True)
        self.result_view = QPlainTextEdit()
        self.result_view.setObjectName("exportResult")
        self.result_view.setReadOnly(True)
        self.result_view.setPlaceholderText("The export's summary and manifest appear here.")

        layout.addWidget(self.count_label)
        layout.addLayout(preview_row)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview_table, 3)
        layout.addLayout(run_row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.result_view, 2)

    # -- options ---------------------------------------------------------------------------

    def options(self) -> ExportOptions:
        """The export the controls describe."""
        prompt = self.prompt_combo.currentData() or (None, None)
        single = {
            name: combo.currentData()
            for name, combo in (
                ("models", self.model_combo),
                ("languages", self.language_combo),
                ("verdicts", self.verdict_combo),
                ("categories", self.category_combo),
                ("reviewers", self.reviewer_combo),
            )
        }
        filters = ExportFilters(
            prompt_name=prompt[0],
            prompt_version=prompt[1],
            since=_utc_day(self.since_edit.date()) if self.since_check.isChecked() else None,
            until=_utc_day(self.until_edit.date().addDays(1))
            if self.until_check.isChecked()
            else None,
            min_correction_chars=self.min_correction_spin.value(),
            min_agreement=self.agree_spin.value(),
            exclude_flagged=self.exclude_flagged_check.isChecked(),
            **{name: (value,) if value else () for name, value in single.items()},
        )
        fmt: ExportFormat = self.format_combo.currentData()
        return ExportOptions(
            format=fmt,
            filters=filters,
            deduplicate=self.dedup_check.isChecked(),
            validation_ratio=round(self.validation_spin.value(), 4),
            redact=self.redact_check.isChecked(),
            custom_patterns=dict(self._context.settings.redaction_patterns),
            overwrite=self.overwrite_check.isChecked(),
            shared_profile=configured_profile(self._context.settings),
        )

    def set_format(self, fmt: ExportFormat) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    @Slot(object)
    def _on_choices(self, choices: FilterChoices) -> None:
        self._building = True
        try:
            for name in dict.fromkeys(name for name, _version in choices.prompts):
                self.prompt_combo.addItem(f"{name} (every version)", (name, None))
                for prompt_name, version in choices.prompts:
                    if prompt_name == name and version:
                        self.prompt_combo.addItem(f"{name} {version}", (name, version))
            for combo, values in ((self.model_combo, choices.models),
                                  (self.language_combo, choices.languages),
                                  (self.reviewer_combo, choices.reviewers)):  # fmt: skip
                for value in values:
                    combo.addItem(value, value)
        finally:
            self._building = False

    @Slot()
    def _on_format_changed(self) -> None:
        fmt: ExportFormat = self.format_combo.currentData()
        text = self.path_edit.text().strip()
        if text:
            path = Path(text)
            suffix = FORMAT_SUFFIX[fmt]
            if path.suffix and path.suffix != suffix:
                self.path_edit.setText(str(path.with_suffix(suffix)))

    def _browse(self) -> None:
        fmt: ExportFormat = self.format_combo.currentData()
        start = self.path_edit.text().strip() or str(Path.home() / f"redline-{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, "Export to", start)
        if path:
            if not Path(path).suffix:
                path += FORMAT_SUFFIX[fmt]
            self.path_edit.setText(path)
            # The save dialog asked before choosing an existing file.
            self.overwrite_check.setChecked(Path(path).exists())

    # -- live count --------------------------------------------------------------------------

    @Slot()
    def _schedule_count(self) -> None:
        if not self._building:
            self.count_label.setText("Counting…")
            self._count_timer.start()

    @Slot()
    def refresh_count(self) -> Task:
        """Re-run the dry run for the current controls (latest wins)."""
        self._count_timer.stop()
        task = self._context.runner.submit(
            dry_run, self._context.engine, self.options(), key="export-count", pass_progress=True
        )
        task.signals.succeeded.connect(self._on_count)
        task.signals.failed.connect(self._on_count_failed)
        self.count_task = task
        return task

    @Slot(object)
    def _on_count(self, result: ExportResult) -> None:
        self.count_result = result
        self.count_label.setText(_count_text(result))

    @Slot(object)
    def _on_count_failed(self, exc: BaseException) -> None:
        what, info, _details = describe(exc)
        self.count_label.setText(f"{what} {info}".strip())

    # -- preview -----------------------------------------------------------------------------

    @Slot()
    def start_preview(self) -> Task:
        """Show what redaction masks in the first samples the export would write."""
        self.preview_label.setText("Looking for personal data…")
        self.preview_button.setEnabled(False)
        task = self._context.runner.submit(
            preview_redaction,
            self._context.engine,
            replace(self.options(), redact=True),
            key="export-preview",
            pass_progress=True,
        )
        task.signals.succeeded.connect(self._on_preview)
        task.signals.failed.connect(self._on_preview_failed)
        task.signals.finished.connect(lambda: self.preview_button.setEnabled(True))
        return task

    @Slot(object)
    def _on_preview(self, preview: RedactionPreview) -> None:
        self.preview = preview
        counts = ", ".join(f"{kind} {n:,}" for kind, n in preview.counts.items())
        self.preview_label.setText(
            f"In the first {preview.scanned:,} samples: {counts or 'nothing to mask'}"
            + (f" (showing {len(preview.items)} texts)" if preview.items else "")
        )
        self.preview_table.setRowCount(len(preview.items))
        for row, item in enumerate(preview.items):
            values = (item.sample_id[:13], item.field, ", ".join(item.kinds), item.original,
                      item.redacted)  # fmt: skip
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(value)
                self.preview_table.setItem(row, column, cell)
        self.preview_table.resizeRowsToContents()

    @Slot(object)
    def _on_preview_failed(self, exc: BaseException) -> None:
        what, info, _details = describe(exc)
        self.preview_label.setText(f"{what} {info}".strip())

    # -- export ------------------------------------------------------------------------------

    def running(self) -> bool:
        return self.export_task is not None and self.cancel_button.isEnabled()

    @Slot()
    def start_export(self) -> Task | None:
        """Start the export (the Export button); None when the target is missing or bad."""
        if self.running():
            return self.export_task
        text = self.path_edit.text().strip()
        if not text:
            self.status_label.setText("Choose where to write the export first.")
            self.path_edit.setFocus()
            return None
        out = Path(text).expanduser()
        options = self.options()
        self.result = None
        self.result_view.clear()
        self.progress_bar.setRange(0, 0)
        self.status_label.setText(f"Exporting to {out.name}…")
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        task = self._context.runner.submit(
            run_export, self._context.engine, options, out, key="export", pass_progress=True
        )
        task.signals.progress.connect(self._on_progress)
        task.signals.succeeded.connect(self._on_exported)
        task.signals.failed.connect(self._on_export_failed)
        task.signals.cancelled.connect(self._on_export_cancelled)
        task.signals.finished.connect(self._on_export_finished)
        self.export_task = task
        self._planned = output_paths(out, options)
        return task

    @Slot()
    def cancel_export(self) -> None:
        if self.running() and self.export_task is not None:
            self.export_task.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText("Cancelling…")

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        self.status_label.setText(text)

    @Slot(object)
    def _on_exported(self, result: ExportResult) -> None:
        self.result = result
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.status_label.setText(f"Exported {result.written:,} records.")
        self.result_view.setPlainText(result_text(result))

    @Slot(object)
    def _on_export_failed(self, exc: BaseException) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        what, info, _details = describe(exc)
        self.status_label.setText(f"Export failed, no file was written: {what} {info}".strip())
        if not isinstance(exc, RedlineError):  # a bug: show the details to report
            ErrorDialog.ask(self, exc, title="Export failed")

    @Slot()
    def _on_export_cancelled(self) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label.setText("Export cancelled: no file was written.")

    @Slot()
    def _on_export_finished(self) -> None:
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def planned_files(self) -> dict[str, Path]:
        """The files the current (or last) export writes, by split (and "manifest")."""
        return dict(self._planned)
