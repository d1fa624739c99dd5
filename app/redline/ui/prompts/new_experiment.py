"""A small dialog that describes a new A/B experiment between two versions of a prompt.

It checks what it can see (a name, two different arms; the split and the minimum are
bounded by their spin boxes); whether the name is free and the versions exist is checked
again by `redline.prompts.experiments.create_experiment` when the page saves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from redline.prompts.experiments import DEFAULT_MIN_SAMPLES, ExperimentSpec

__all__ = ["NewExperimentDialog"]


class NewExperimentDialog(QDialog):
    """Name, prompt, control and treatment versions (and variants), split, minimum."""

    def __init__(
        self, versions: Mapping[str, Sequence[str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New experiment")
        self._versions = versions
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("experimentName")
        self.name_edit.setPlaceholderText("as production logs name it, e.g. shorter-greeting")
        self.prompt_combo = QComboBox()
        self.prompt_combo.setObjectName("experimentPrompt")
        self.prompt_combo.addItems(sorted(versions))
        self.control_combo = QComboBox()
        self.control_combo.setObjectName("controlVersion")
        self.treatment_combo = QComboBox()
        self.treatment_combo.setObjectName("treatmentVersion")
        self.control_variant = QLineEdit()
        self.control_variant.setObjectName("controlVariant")
        self.control_variant.setPlaceholderText("optional A/B label in the logs")
        self.treatment_variant = QLineEdit()
        self.treatment_variant.setObjectName("treatmentVariant")
        self.treatment_variant.setPlaceholderText("optional A/B label in the logs")
        self.split_spin = QDoubleSpinBox()
        self.split_spin.setObjectName("plannedSplit")
        # Strictly between 0 and 1: an arm with no planned traffic is no experiment.
        self.split_spin.setRange(0.01, 0.99)
        self.split_spin.setSingleStep(0.05)
        self.split_spin.setValue(0.5)
        self.min_spin = QSpinBox()
        self.min_spin.setObjectName("experimentMinimum")
        self.min_spin.setRange(1, 1_000_000)
        self.min_spin.setValue(DEFAULT_MIN_SAMPLES)
        self.min_spin.setSuffix(" judged per arm")
        self.problem = QLabel()
        self.problem.setObjectName("experimentProblem")
        self.problem.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Prompt", self.prompt_combo)
        form.addRow("Control version", self.control_combo)
        form.addRow("Control variant", self.control_variant)
        form.addRow("Treatment version", self.treatment_combo)
        form.addRow("Treatment variant", self.treatment_variant)
        form.addRow("Control's share of traffic", self.split_spin)
        form.addRow("Minimum sample", self.min_spin)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.prompt_combo.currentTextChanged.connect(self._on_prompt)
        for edit in (self.name_edit, self.control_variant, self.treatment_variant):
            edit.textChanged.connect(self._check)
        for combo in (self.control_combo, self.treatment_combo):
            combo.currentIndexChanged.connect(self._check)
        self._on_prompt(self.prompt_combo.currentText())

    def _on_prompt(self, prompt: str) -> None:
        labels = list(self._versions.get(prompt, ()))
        for combo in (self.control_combo, self.treatment_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(labels)
            combo.blockSignals(False)
        # The usual experiment: the previous version against the newest.
        if len(labels) >= 2:
            self.control_combo.setCurrentIndex(len(labels) - 2)
            self.treatment_combo.setCurrentIndex(len(labels) - 1)
        self._check()

    def problem_text(self) -> str:
        """Why OK is disabled ("" when it is not)."""
        spec = self.spec()
        if not self._versions:
            return "The catalog has no prompt yet: add one under Prompts first."
        if not spec.name:
            return "Give the experiment a name."
        if not spec.control_version or not spec.treatment_version:
            return "This prompt has no version to compare."
        if (spec.control_version, spec.control_variant) == (
            spec.treatment_version,
            spec.treatment_variant,
        ):
            return "Control and treatment are the same arm: choose two versions, or two variants."
        return ""

    def _check(self) -> None:
        text = self.problem_text()
        self.problem.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not text)

    def spec(self) -> ExperimentSpec:
        """The experiment the fields describe."""
        return ExperimentSpec(
            name=" ".join(self.name_edit.text().split()),
            prompt_name=self.prompt_combo.currentText(),
            control_version=self.control_combo.currentText(),
            treatment_version=self.treatment_combo.currentText(),
            control_variant=self.control_variant.text().strip() or None,
            treatment_variant=self.treatment_variant.text().strip() or None,
            planned_split=round(self.split_spin.value(), 4),
            min_samples_per_arm=self.min_spin.value(),
        )

    @classmethod
    def ask(
        cls, versions: Mapping[str, Sequence[str]], parent: QWidget | None = None
    ) -> ExperimentSpec | None:
        """The experiment described, or None if the user cancelled."""
        dialog = cls(versions, parent)
        try:
            return dialog.spec() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
