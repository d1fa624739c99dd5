"""Create a decision policy: name, score field, direction, action, threshold, segment field,
the verdict the action is right for and the prompts it decides on (both inferred when left
empty)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from redline.policies.service import SEGMENT_COLUMNS, PolicyDraft

__all__ = ["PolicyDialog"]


class PolicyDialog(QDialog):
    """Asks for a new policy; `draft()` is what was entered (OK needs a name)."""

    def __init__(self, parent: QWidget | None = None, *, segment_fields: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("New policy")
        intro = QLabel(
            "A policy acts on a production score: at or above (or below) the threshold "
            "the action is taken, otherwise a human decides."
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("policyName")
        self.name_edit.setPlaceholderText("e.g. auto-send")
        self.score_edit = QLineEdit("score", self)
        self.direction_box = QComboBox(self)
        self.direction_box.addItem("score ≥ threshold", "ge")
        self.direction_box.addItem("score ≤ threshold", "le")
        self.action_edit = QLineEdit("auto_send", self)
        self.threshold_spin = QDoubleSpinBox(self)
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setRange(-1e6, 1e6)
        self.threshold_spin.setSingleStep(0.01)
        self.threshold_spin.setValue(0.7)
        self.segment_box = QComboBox(self)
        self.segment_box.setEditable(True)
        self.segment_box.addItem("")
        for name in [*SEGMENT_COLUMNS, *segment_fields]:
            self.segment_box.addItem(name)
        self.target_box = QComboBox(self)
        self.target_box.setObjectName("policyTarget")
        self.target_box.addItem("Infer from the action's name", None)
        self.target_box.addItem("Good outputs (e.g. auto-send)", "good")
        self.target_box.addItem("Bad outputs (e.g. block)", "bad")
        self.prompts_edit = QLineEdit(self)
        self.prompts_edit.setObjectName("policyPrompts")
        self.prompts_edit.setPlaceholderText("empty: the prompts whose samples record the action")
        self.prompts_edit.setToolTip("Prompt names, separated by commas")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Score field", self.score_edit)
        form.addRow("Rule", self.direction_box)
        form.addRow("Action", self.action_edit)
        form.addRow("Threshold", self.threshold_spin)
        form.addRow("Segment field", self.segment_box)
        form.addRow("Right for", self.target_box)
        form.addRow("Prompts", self.prompts_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._update_ok)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._update_ok()

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.name_edit.text().strip()))

    def draft(self) -> PolicyDraft:
        return PolicyDraft(
            name=self.name_edit.text().strip(),
            threshold=self.threshold_spin.value(),
            action=self.action_edit.text().strip(),
            direction=str(self.direction_box.currentData()),
            score_field=self.score_edit.text().strip(),
            segment_field=self.segment_box.currentText().strip() or None,
            target_verdict=self.target_box.currentData(),
            prompt_names=tuple(
                name.strip() for name in self.prompts_edit.text().split(",") if name.strip()
            ),
        )

    @classmethod
    def ask(cls, parent: QWidget | None, *, segment_fields: list[str]) -> PolicyDraft | None:
        dialog = cls(parent, segment_fields=segment_fields)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.draft()
            return None
        finally:
            dialog.deleteLater()
