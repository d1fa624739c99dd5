"""The connection dialog: a shared database profile and its password (to the keyring)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from redline.errors import RedlineError
from redline.profiles import SSL_MODES, Profile, get_profile, make_profile, put_profile
from redline.settings import Settings
from redline.sync.credentials import SESSION_PASSWORDS, keyring_status, store_password


class ConnectionDialog(QDialog):
    """Edit the active profile (host, port, database, user, sslmode) and the password.

    The password field is never filled from the keyring; left empty, the stored
    password stays as it is.
    """

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Shared database connection")
        self.settings = settings
        try:
            current: Profile | None = get_profile(settings)
        except RedlineError:
            current = None
        self.name = QLineEdit(current.name if current else "team")
        self.host = QLineEdit(current.host if current else "")
        self.port = QLineEdit(str(current.port) if current else "5432")
        self.database = QLineEdit(current.database if current else "redline")
        self.user = QLineEdit(current.user if current else settings.reviewer)
        self.sslmode = QComboBox()
        self.sslmode.addItems(list(SSL_MODES))
        self.sslmode.setCurrentText(current.sslmode if current else "prefer")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("unchanged" if current else "")
        form = QFormLayout()
        for label, widget in (
            ("&Profile", self.name),
            ("&Host", self.host),
            ("P&ort", self.port),
            ("&Database", self.database),
            ("&User (your login)", self.user),
            ("&TLS (sslmode)", self.sslmode),
            ("Pass&word", self.password),
        ):
            form.addRow(label, widget)
        status = keyring_status()
        note = QLabel(
            "The password is kept in the system keyring, never in a file."
            if status.available
            else f"Note: {status.reason}."
        )
        note.setWordWrap(True)
        note.setObjectName("metaLabel")
        self.error = QLabel("")
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.profile: Profile | None = None

    def _save(self) -> None:
        try:
            profile = make_profile(
                self.name.text(),
                host=self.host.text(),
                port=self.port.text(),
                database=self.database.text(),
                user=self.user.text(),
                sslmode=self.sslmode.currentText(),
            )
            password = self.password.text()
            if password and not store_password(profile, password):
                SESSION_PASSWORDS.put(profile, password)
        except RedlineError as exc:
            self.error.setText(exc.one_line())
            return
        put_profile(self.settings, profile)
        self.profile = profile
        self.accept()

    @classmethod
    def ask(cls, settings: Settings, parent: QWidget | None = None) -> Profile | None:
        """The saved profile (settings changed in place; the caller saves them), or None."""
        dialog = cls(settings, parent)
        return dialog.profile if dialog.exec() == QDialog.DialogCode.Accepted else None
