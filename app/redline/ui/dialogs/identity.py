"""First run: ask the reviewer's name (it goes on every review they write)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

__all__ = ["IdentityDialog"]


class IdentityDialog(QDialog):
    """Asks for the reviewer's name; OK stays disabled until there is one."""

    def __init__(self, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is reviewing?")
        intro = QLabel(
            "Redline records your name on every review you write, so leads can compare "
            "reviewers and your work syncs to you on every machine."
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(name, self)
        self.name_edit.setObjectName("reviewerName")
        self.name_edit.setPlaceholderText("e.g. Ada Lovelace")
        self.name_edit.setMaxLength(200)
        form = QFormLayout()
        form.addRow("Your name", self.name_edit)
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

    def name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.name()))

    @classmethod
    def ask(cls, parent: QWidget | None = None, *, name: str = "") -> str | None:
        """The name entered, or None if the reviewer cancelled."""
        dialog = cls(parent, name=name)
        try:
            return dialog.name() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
