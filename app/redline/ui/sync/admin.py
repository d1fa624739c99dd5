"""File > Shared database admin… (leads only): set the shared database up or upgrade
it, add logins, and see who has one, logged in as an administrator.

The server, port and database come from the active connection profile; the
administrator login and its password are typed here. The password stays in this
dialog's memory while it is open, and goes to the keyring only when "Remember in the
keyring" is ticked. Everything that talks to the server runs in a background task
(redline.ui.tasks) through redline.sync.admin, the same services as `redline shared`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from redline.errors import RedlineError
from redline.profiles import Profile, get_profile
from redline.progress import NO_PROGRESS, Progress, check
from redline.settings import Settings, save_settings
from redline.sync.admin import (
    SchemaKind,
    ServerState,
    admin_profile,
    check_new_login,
    create_login,
    inspect_server,
    set_up_server,
)
from redline.sync.credentials import keyring_status, store_password, stored_password
from redline.ui.page_tasks import PageTasks
from redline.ui.tasks import Task, TaskRunner

__all__ = ["AdminDialog"]

# Settings.extra key: the administrator login last remembered (a name, never a secret).
ADMIN_LOGIN_KEY = "admin_login"
SETUP_TEXT = {SchemaKind.NONE: "&Initialise", SchemaKind.OLDER: "&Upgrade"}


@dataclass(frozen=True)
class _Connected:
    state: ServerState
    password: str
    remembered: bool


def _connect(
    profile: Profile, admin: str, typed: str, remember: bool, *, progress: Progress = NO_PROGRESS
) -> _Connected:
    """Log in (with the typed password, else the keyring's); keep it when asked."""
    login = admin_profile(profile, admin)
    password = typed or stored_password(login)
    if not password:
        raise RedlineError(
            f"no password for the administrator login {login.user}",
            where=login.where,
            hint="type it (the keyring holds none for this login)",
        )
    state = inspect_server(profile, admin, password, progress=progress)
    check(progress)  # cancelled while the server answered: keep nothing
    # Only a password the server accepted is worth remembering.
    remembered = bool(typed) and remember and store_password(login, password)
    return _Connected(state, password, remembered)


class AdminDialog(QDialog):
    """The lead's administration of the shared database.

    Signals:
        state_shown: the `ServerState` now shown (after connecting, a set-up or an
            added login).
        task_ended: a background task ended (whatever its outcome).
    """

    state_shown = Signal(object)
    task_ended = Signal()

    def __init__(
        self, settings: Settings, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Shared database admin")
        self.setObjectName("sharedAdminDialog")
        self.settings = settings
        self.runner = runner
        self.tasks = PageTasks(
            runner, self, title="Shared database admin",
            on_failure=lambda _exc: self.message.setText(""),
        )  # fmt: skip
        self.task: Task | None = None
        self.state: ServerState | None = None
        self._password = ""
        try:
            self.profile: Profile | None = get_profile(settings)
        except RedlineError as exc:
            self.profile = None
            where = exc.one_line()
        else:
            where = (
                f"Server: {self.profile.host}:{self.profile.port}, database "
                f"{self.profile.database} (profile {self.profile.name})"
            )
        self.server_label = QLabel(where)
        self.server_label.setWordWrap(True)

        # -- the administrator's login --
        self.admin_user = QLineEdit(str(settings.extra.get(ADMIN_LOGIN_KEY, "")))
        self.admin_user.setPlaceholderText("the database owner (with CREATEROLE) or a superuser")
        self.admin_password = QLineEdit()
        self.admin_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.admin_password.setPlaceholderText("empty: the one in the keyring")
        self.remember = QCheckBox("&Remember in the keyring")
        status = keyring_status()
        if not status.available:
            self.remember.setEnabled(False)
            self.remember.setToolTip(status.reason)
        self.connect_button = QPushButton("&Connect")
        self.connect_button.clicked.connect(self.connect_admin)
        login_form = QFormLayout()
        login_form.addRow("Administrator &login", self.admin_user)
        login_form.addRow("Pass&word", self.admin_password)
        login_row = QHBoxLayout()
        login_row.addWidget(self.remember, 1)
        login_row.addWidget(self.connect_button)
        login_form.addRow(login_row)

        # -- the schema --
        self.schema_label = QLabel("Connect to see the schema's state.")
        self.schema_label.setObjectName("schemaState")
        self.schema_label.setWordWrap(True)
        self.setup_button = QPushButton("&Initialise")
        self.setup_button.setVisible(False)
        self.setup_button.clicked.connect(self.set_up)
        schema_box = QGroupBox("Schema")
        schema_layout = QVBoxLayout(schema_box)
        schema_layout.addWidget(self.schema_label)
        schema_layout.addWidget(self.setup_button)

        # -- logins --
        self.logins_table = QTableWidget(0, 2)
        self.logins_table.setObjectName("loginsTable")
        self.logins_table.setHorizontalHeaderLabels(["Login", "Role"])
        self.logins_table.verticalHeader().setVisible(False)
        self.logins_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.logins_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("lower-case letters, digits and _")
        self.new_role = QComboBox()
        self.new_role.addItem("reviewer", "reviewer")
        self.new_role.addItem("lead", "lead")
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_again = QLineEdit()
        self.new_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_button = QPushButton("&Add login")
        self.add_button.clicked.connect(self.add_login)
        add_form = QFormLayout()
        add_form.addRow("&Name", self.new_name)
        add_form.addRow("R&ole", self.new_role)
        add_form.addRow("Initial &password", self.new_password)
        add_form.addRow("&Again", self.new_again)
        add_form.addRow(self.add_button)
        self.logins_box = QGroupBox("Redline logins (of the whole server)")
        logins_layout = QVBoxLayout(self.logins_box)
        logins_layout.addWidget(self.logins_table)
        logins_layout.addLayout(add_form)

        # -- feedback and progress --
        self.message = QLabel("")
        self.message.setObjectName("metaLabel")
        self.message.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.bar, 1)
        progress_row.addWidget(self.cancel_button)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)

        # Return acts on the field it is typed in (log in, add the login), never closes
        # the dialog by way of a default button.
        for button in (self.connect_button, self.setup_button, self.add_button,
                       self.cancel_button, *self.buttons.buttons()):  # fmt: skip
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        self.admin_password.returnPressed.connect(self.connect_admin)
        self.admin_user.returnPressed.connect(self.connect_admin)
        self.new_again.returnPressed.connect(self.add_login)

        layout = QVBoxLayout(self)
        layout.addWidget(self.server_label)
        layout.addLayout(login_form)
        layout.addWidget(schema_box)
        layout.addWidget(self.logins_box)
        layout.addWidget(self.message)
        layout.addWidget(self.error)
        layout.addLayout(progress_row)
        layout.addWidget(self.buttons)
        self.resize(560, 640)
        self._show_busy(False)
        self._enable()

    # -- actions ----------------------------------------------------------------------

    def connect_admin(self) -> Task | None:
        """Log in as the administrator and show the schema and the logins."""
        if self.profile is None or self.task is not None:
            return None
        self.state = None
        self._enable()
        return self._start(
            "connecting",
            _connect,
            self.profile,
            self.admin_user.text(),
            self.admin_password.text(),
            self.remember.isChecked(),
            on_success=self._on_connected,
        )

    def set_up(self) -> Task | None:
        """Initialise or upgrade the shared database."""
        if self.profile is None or self.state is None or self.task is not None:
            return None
        return self._start(
            "setting up",
            set_up_server,
            self.profile,
            self.state.admin,
            self._password,
            on_success=self._on_set_up,
        )

    def add_login(self) -> Task | None:
        """Create the login typed in the form (checked here first, then on the server)."""
        if self.profile is None or self.state is None or self.task is not None:
            return None
        role = str(self.new_role.currentData())
        try:
            name = check_new_login(
                self.new_name.text(), role, self.new_password.text(), self.new_again.text()
            )
        except RedlineError as exc:
            self.error.setText(exc.one_line())
            return None
        return self._start(
            f"adding {name}",
            create_login,
            self.profile,
            self.state.admin,
            self._password,
            name=name,
            role=role,
            new_password=self.new_password.text(),
            again=self.new_again.text(),
            on_success=self._on_login_created,
        )

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def abandon(self) -> None:
        """The dialog closes: cancel what runs and deliver nothing more to it."""
        if self.task is not None:
            self.task.cancel()
            self.task.signals.drop()

    # -- tasks ------------------------------------------------------------------------

    def _start(
        self,
        what: str,
        fn: Callable[..., Any],
        *args: Any,
        on_success: Callable[[Any], None],
        **kwargs: Any,
    ) -> Task:
        self.error.setText("")
        self.message.setText(f"{what[0].upper()}{what[1:]}…")
        task = self.tasks.run(
            fn, *args, key="shared-admin", pass_progress=True, on_success=on_success,
            on_progress=self._on_progress, on_cancelled=self._on_cancelled,
            on_finished=lambda _task: self._on_finished(), **kwargs,
        )  # fmt: skip
        self.task = task
        self._show_busy(True)
        self._enable()
        return task

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
        self.message.setText(f"{text[0].upper()}{text[1:]}…" if text else "")
        # Once the migration runs it finishes (see redline.sync.admin.set_up_server).
        self.cancel_button.setEnabled("cannot be cancelled" not in text)

    @Slot()
    def _on_cancelled(self) -> None:
        self.message.setText("Cancelled: nothing was changed.")

    @Slot()
    def _on_finished(self) -> None:
        self.task = None
        self._show_busy(False)
        self._enable()
        self.task_ended.emit()

    @Slot(object)
    def _on_connected(self, connected: _Connected) -> None:
        self._password = connected.password
        self.admin_password.clear()
        if connected.remembered:
            self.settings.extra[ADMIN_LOGIN_KEY] = connected.state.admin
            try:
                save_settings(self.settings)
            except (OSError, RedlineError) as exc:
                self.error.setText(f"The login name was not saved: {exc}")
        note = " Password kept in the keyring." if connected.remembered else ""
        self._show_state(connected.state, f"Connected as {connected.state.admin}.{note}")

    @Slot(object)
    def _on_set_up(self, state: ServerState) -> None:
        self._show_state(state, "The shared database is set up and current.")

    @Slot(object)
    def _on_login_created(self, result: tuple[bool, ServerState]) -> None:
        created, state = result
        name = self.new_name.text().strip()
        role = str(self.new_role.currentData())
        for field in (self.new_name, self.new_password, self.new_again):
            field.clear()
        verb = "Created" if created else "Updated"
        self._show_state(state, f"{verb} the login {name} ({role}).")

    # -- display ----------------------------------------------------------------------

    def _show_state(self, state: ServerState, message: str) -> None:
        self.state = state
        text = state.schema.describe()
        if not state.may_set_up:
            text += (
                f" The login {state.admin} may not set up this database or add logins: "
                "log in as the database owner with CREATEROLE, or a superuser."
            )
        self.schema_label.setText(text)
        self.setup_button.setText(SETUP_TEXT.get(state.schema.kind, ""))
        self.logins_table.setRowCount(0)
        for login in state.logins:
            row = self.logins_table.rowCount()
            self.logins_table.insertRow(row)
            role = login.role if login.can_login else f"{login.role} (cannot log in)"
            self.logins_table.setItem(row, 0, QTableWidgetItem(login.name))
            self.logins_table.setItem(row, 1, QTableWidgetItem(role))
        self.message.setText(message)
        self._enable()
        self.state_shown.emit(state)

    def _enable(self) -> None:
        idle = self.task is None
        state = self.state
        self.connect_button.setEnabled(idle and self.profile is not None)
        can_set_up = state is not None and state.may_set_up
        self.setup_button.setVisible(state is not None and state.schema.kind in SETUP_TEXT)
        self.setup_button.setEnabled(idle and can_set_up)
        self.logins_box.setEnabled(state is not None)
        current = state is not None and state.schema.kind is SchemaKind.CURRENT
        self.add_button.setEnabled(idle and can_set_up and current)

    def _show_busy(self, busy: bool) -> None:
        self.bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.bar.setRange(0, 0)

    @classmethod
    def ask(cls, settings: Settings, runner: TaskRunner, parent: QWidget | None = None) -> None:
        """Show the dialog until the lead closes it."""
        dialog = cls(settings, runner, parent)
        try:
            dialog.exec()
        finally:
            dialog.abandon()
            dialog.deleteLater()
