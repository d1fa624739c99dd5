"""The password prompt of a shared database, opened from the status bar's "Enter
password…" (or wherever a sync needs a password it does not have)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from redline.errors import RedlineError
from redline.profiles import Profile
from redline.sync.credentials import SESSION_PASSWORDS, keyring_status, store_password


class PasswordDialog(QDialog):
    """Ask the password of `profile`'s login, saying where it will be kept.

    With a keyring the password goes there; without one it stays in memory for this
    session only (and the dialog says why), so it is asked once per session.
    """

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Shared database password")
        self.profile = profile
        status = keyring_status()
        intro = QLabel(f"Password of <b>{profile.user}</b> on {profile.host}:{profile.port}/"
                       f"{profile.database}")  # fmt: skip
        intro.setWordWrap(True)
        note = QLabel(
            "It is kept in the system keyring, never in a file."
            if status.available
            else f"Note: {status.reason}."
        )
        note.setWordWrap(True)
        note.setObjectName("metaLabel")
        self.note = note
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.password, note, self.error, self.buttons):
            layout.addWidget(widget)
        self.kept_in_keyring = False

    def _accept(self) -> None:
        password = self.password.text()
        if not password:
            self.error.setText("The password is empty.")
            return
        try:
            self.kept_in_keyring = store_password(self.profile, password)
        except RedlineError as exc:
            self.error.setText(exc.one_line())
            return
        # The newest word for this session either way (password_for reads it first).
        SESSION_PASSWORDS.put(self.profile, password)
        self.accept()

    @classmethod
    def ask(cls, profile: Profile, parent: QWidget | None = None) -> bool:
        """True when a password was entered (and kept: keyring or this session)."""
        dialog = cls(profile, parent)
        return dialog.exec() == QDialog.DialogCode.Accepted
