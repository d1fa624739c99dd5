"""The lead's shared database admin (redline.sync.admin and File > Shared database
admin…), against the real PostgreSQL server: set up a fresh database from the dialog,
add a reviewer who can then log in, refuse a newer schema, upgrade an older one, say
clearly when the administrator's password or rights are wrong; a reviewer's window does
not offer the action at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, text
from tests.sync.conftest import SharedDb
from typing_extensions import override

from redline.errors import RedlineError
from redline.profiles import Profile, make_profile, put_profile
from redline.settings import Settings
from redline.store.local import open_local_store
from redline.sync.admin import (
    SchemaKind,
    create_login,
    inspect_server,
    set_up_server,
)
from redline.sync.connect import ConnectionFailed, check_shared, shared_engine
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.sync.admin import ADMIN_LOGIN_KEY, AdminDialog
from redline.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from tests.conftest import PgCluster


# The offscreen platform cannot resize native windows to hints; dialogs ask anyway
# (tests/ui/conftest.py ignores the same message for the tests there).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class MemoryKeyring(KeyringBackend):
    """A keyring that works (priority > 0) and keeps passwords in this process only."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's backend is untyped
        self.passwords: dict[tuple[str, str], str] = {}

    @override
    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    @override
    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    @override
    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def fresh_db(pg_cluster: PgCluster) -> Iterator[str]:
    """An empty database: no Redline schema yet."""
    name = pg_cluster.unique_name("fresh")
    pg_cluster.create_database(name)
    yield name
    pg_cluster.drop_database(name)


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """What ErrorDialog would have shown (a modal box would block the test)."""
    shown: list[BaseException] = []

    def ask(_parent: QWidget | None, exc: BaseException, *, title: str = "") -> None:
        shown.append(exc)

    monkeypatch.setattr(ErrorDialog, "ask", staticmethod(ask))
    return shown


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(10_000)


def _lead_settings(pg_cluster: PgCluster, database: str) -> tuple[Settings, Profile]:
    settings = Settings(reviewer="lena", role="lead")
    profile = make_profile(
        "team",
        host=pg_cluster.host,
        port=pg_cluster.port,
        database=database,
        user="lena",
        sslmode="disable",
    )
    put_profile(settings, profile)
    return settings, profile


def _dialog(qtbot: QtBot, settings: Settings, runner: TaskRunner) -> AdminDialog:
    dialog = AdminDialog(settings, runner)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _click(qtbot: QtBot, dialog: AdminDialog, button: QWidget, timeout: int = 60_000) -> None:
    """Click and wait until the task it started has ended."""
    with qtbot.waitSignal(dialog.task_ended, timeout=timeout):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _press_return(qtbot: QtBot, dialog: AdminDialog, field: QWidget) -> None:
    """Return in a field and wait until the task it started has ended."""
    with qtbot.waitSignal(dialog.task_ended, timeout=60_000):
        qtbot.keyClick(field, Qt.Key.Key_Return)


def _texts(dialog: AdminDialog) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in dialog.findChildren(QLabel))


def _logins(dialog: AdminDialog) -> dict[str, str]:
    table = dialog.logins_table
    return {
        table.item(r, 0).text(): table.item(r, 1).text()  # type: ignore[union-attr]
        for r in range(table.rowCount())
    }


# --------------------------------------------------------------------------- the dialog


@pytest.mark.usefixtures("no_keyring")
def test_a_lead_initialises_a_fresh_database_and_adds_a_reviewer_who_can_log_in(
    qtbot: QtBot,
    pg_cluster: PgCluster,
    fresh_db: str,
    runner: TaskRunner,
    errors: list[BaseException],
) -> None:
    settings, profile = _lead_settings(pg_cluster, fresh_db)
    dialog = _dialog(qtbot, settings, runner)
    assert f"database {fresh_db}" in dialog.server_label.text()
    assert not dialog.remember.isEnabled()  # no keyring: nothing can be remembered
    qtbot.keyClicks(dialog.admin_user, pg_cluster.superuser)
    qtbot.keyClicks(dialog.admin_password, pg_cluster.password)
    _press_return(qtbot, dialog, dialog.admin_password)
    assert errors == [] and dialog.isVisible()
    assert "no Redline schema yet" in dialog.schema_label.text()
    assert dialog.setup_button.isVisibleTo(dialog)
    assert dialog.setup_button.text() == "&Initialise"
    assert not dialog.add_button.isEnabled()  # no roles to add a login to yet

    _click(qtbot, dialog, dialog.setup_button)
    assert errors == []
    assert "The schema is current" in dialog.schema_label.text()
    assert not dialog.setup_button.isVisibleTo(dialog)
    assert "set up and current" in dialog.message.text()

    reviewer = pg_cluster.unique_name("rita")
    new_password = "rita-first-password"
    qtbot.keyClicks(dialog.new_name, reviewer)
    qtbot.keyClicks(dialog.new_password, new_password)
    qtbot.keyClicks(dialog.new_again, new_password)
    _press_return(qtbot, dialog, dialog.new_again)
    assert errors == []
    assert _logins(dialog)[reviewer] == "reviewer"
    assert f"Created the login {reviewer} (reviewer)" in dialog.message.text()
    # No password is ever shown, and none was written to the settings.
    for secret in (pg_cluster.password, new_password):
        assert secret not in _texts(dialog)
        assert secret not in repr(settings)
    assert ADMIN_LOGIN_KEY not in settings.extra

    # The new reviewer logs in and may sync: the database is a current Redline one.
    login = make_profile(
        "team",
        host=pg_cluster.host,
        port=pg_cluster.port,
        database=fresh_db,
        user=reviewer,
        sslmode="disable",
    )
    engine = shared_engine(login, new_password)
    try:
        info = check_shared(engine, login, new_password)
    finally:
        engine.dispose()
    assert (info.user, info.is_lead) == (reviewer, False)
    assert profile.user == "lena"  # the profile itself never became the admin's


@pytest.mark.usefixtures("no_keyring")
def test_a_wrong_admin_password_is_a_clear_error(
    qtbot: QtBot, shared_db: SharedDb, runner: TaskRunner, errors: list[BaseException]
) -> None:
    pg_cluster = shared_db.cluster
    settings, _ = _lead_settings(pg_cluster, shared_db.name)
    dialog = _dialog(qtbot, settings, runner)
    qtbot.keyClicks(dialog.admin_user, pg_cluster.superuser)
    qtbot.keyClicks(dialog.admin_password, "not-the-password")
    _click(qtbot, dialog, dialog.connect_button)
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, ConnectionFailed) and error.kind == "auth"
    assert error.what == (
        f"the server refused the password of the administrator login {pg_cluster.superuser}"
    )
    assert shared_db.name in error.where
    assert "not-the-password" not in str(error)
    # Nothing else is offered until a login works.
    assert dialog.state is None and not dialog.add_button.isEnabled()
    assert not dialog.setup_button.isVisibleTo(dialog)


def test_the_admin_password_is_kept_only_when_asked(
    qtbot: QtBot,
    shared_db: SharedDb,
    runner: TaskRunner,
    errors: list[BaseException],
    memory_keyring: MemoryKeyring,
) -> None:
    pg_cluster = shared_db.cluster
    settings, _ = _lead_settings(pg_cluster, shared_db.name)
    dialog = _dialog(qtbot, settings, runner)
    qtbot.keyClicks(dialog.admin_user, pg_cluster.superuser)
    qtbot.keyClicks(dialog.admin_password, pg_cluster.password)
    _click(qtbot, dialog, dialog.connect_button)
    assert errors == [] and memory_keyring.passwords == {}
    assert "The schema is current" in dialog.schema_label.text()

    dialog.remember.setChecked(True)
    qtbot.keyClicks(dialog.admin_password, pg_cluster.password)
    _click(qtbot, dialog, dialog.connect_button)
    assert "kept in the keyring" in dialog.message.text()
    assert list(memory_keyring.passwords.values()) == [pg_cluster.password]
    assert settings.extra[ADMIN_LOGIN_KEY] == pg_cluster.superuser  # a name, not a secret

    # Next time: the login is filled in and an empty password means the keyring's.
    again = _dialog(qtbot, settings, runner)
    assert again.admin_user.text() == pg_cluster.superuser
    _click(qtbot, again, again.connect_button)
    assert errors == [] and again.state is not None


def test_a_cancelled_login_keeps_nothing(
    qtbot: QtBot,
    shared_db: SharedDb,
    runner: TaskRunner,
    errors: list[BaseException],
    memory_keyring: MemoryKeyring,
) -> None:
    settings, _ = _lead_settings(shared_db.cluster, shared_db.name)
    dialog = _dialog(qtbot, settings, runner)
    qtbot.keyClicks(dialog.admin_user, shared_db.cluster.superuser)
    qtbot.keyClicks(dialog.admin_password, shared_db.cluster.password)
    dialog.remember.setChecked(True)
    with qtbot.waitSignal(dialog.task_ended, timeout=60_000):
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
        assert dialog.cancel_button.isVisibleTo(dialog)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Cancelled: nothing was changed."
    assert dialog.state is None and not dialog.cancel_button.isVisibleTo(dialog)
    assert memory_keyring.passwords == {} and errors == []


def test_a_reviewer_window_does_not_offer_the_admin_action(
    qtbot: QtBot,
    store_path: Path,
    errors: list[BaseException],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from redline.ui.main_window import MainWindow

    opened: list[str] = []

    def ask(settings: Settings, runner: TaskRunner, parent: QWidget | None = None) -> None:
        opened.append(settings.role)

    monkeypatch.setattr(AdminDialog, "ask", staticmethod(ask))
    engine: Engine = open_local_store(store_path)
    try:
        for role in ("reviewer", "lead"):
            window = MainWindow(engine, settings=Settings(reviewer="ben", role=role))
            try:
                window.show()
                window.activateWindow()
                qtbot.waitUntil(window.isActiveWindow)
                action = window.actions_by_id["file.shared_admin"]
                file_menu = cast(QMenu, window.menuBar().actions()[0].menu())
                assert action in file_menu.actions()
                assert action.isVisible() is action.isEnabled() is (role == "lead")
                qtbot.keyClick(
                    window,
                    Qt.Key.Key_A,
                    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
                )
                # The handler refuses a reviewer too (whatever triggers it).
                window.open_shared_admin()
            finally:
                window.close()
                assert window.runner.shutdown(10_000)
                window.deleteLater()
    finally:
        engine.dispose()
    assert opened == ["lead", "lead"]  # the key and the handler, for the lead only
    assert errors == []


# --------------------------------------------------------------------------- the service


def _admin_of(shared_db: SharedDb) -> tuple[Profile, str, str]:
    cluster = shared_db.cluster
    profile = make_profile(
        "team",
        host=cluster.host,
        port=cluster.port,
        database=shared_db.name,
        user="lena",
        sslmode="disable",
    )
    return profile, cluster.superuser, cluster.password


def _set_objects_version(admin: Engine, version: int) -> None:
    with admin.begin() as conn:
        conn.execute(
            text("UPDATE redline_server SET value = :v WHERE key = 'objects_version'"),
            {"v": str(version)},
        )


def test_an_older_database_is_upgraded(shared_db: SharedDb) -> None:
    profile, admin, password = _admin_of(shared_db)
    _set_objects_version(shared_db.admin, 2)
    state = inspect_server(profile, admin, password)
    assert state.schema.kind is SchemaKind.OLDER and state.may_set_up
    assert "older than this Redline" in state.schema.describe()
    assert set_up_server(profile, admin, password).schema.kind is SchemaKind.CURRENT


def test_a_newer_database_is_refused_and_left_alone(shared_db: SharedDb) -> None:
    profile, admin, password = _admin_of(shared_db)
    _set_objects_version(shared_db.admin, 99)
    state = inspect_server(profile, admin, password)
    assert state.schema.kind is SchemaKind.NEWER
    assert "update Redline first" in state.schema.describe()
    with pytest.raises(RedlineError, match="set up by a newer Redline") as refused:
        set_up_server(profile, admin, password)
    assert refused.value.hint == "nothing was changed"
    with shared_db.admin.connect() as conn:
        version = conn.execute(
            text("SELECT value FROM redline_server WHERE key = 'objects_version'")
        ).scalar_one()
    assert version == "99"


def test_a_login_without_admin_rights_is_told_so(shared_db: SharedDb) -> None:
    profile, _, _ = _admin_of(shared_db)
    reviewer, password = shared_db.add_login("rex")
    state = inspect_server(profile, reviewer.user, password)
    assert not state.may_set_up and state.schema.kind is SchemaKind.CURRENT
    assert state.logins and {login.role for login in state.logins} <= {"reviewer", "lead"}
    with pytest.raises(RedlineError, match=f"the login {reviewer.user} may not set up"):
        set_up_server(profile, reviewer.user, password)
    with pytest.raises(RedlineError, match=f"the login {reviewer.user} may not do this") as caught:
        create_login(
            profile,
            reviewer.user,
            password,
            name=shared_db.cluster.unique_name("eve"),
            role="lead",
            new_password="eve-password-1",
            again="eve-password-1",
        )
    assert "eve-password-1" not in str(caught.value) and password not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "password", "again", "message"),
    [
        ("Bad Name", "long-enough", "long-enough", "cannot be a login name"),
        ("newbie", "pw-7chr", "pw-7chr", "shorter than 8 characters"),
        ("newbie", "long-enough", "long-enougj", "the two passwords differ"),
    ],
)
def test_a_bad_new_login_is_refused_before_the_server_is_asked(
    name: str, password: str, again: str, message: str
) -> None:
    profile = Profile("team", "db.invalid", 5432, "redline", "lena")
    with pytest.raises(RedlineError, match=message) as caught:
        create_login(
            profile, "admin", "pw", name=name, role="reviewer", new_password=password, again=again
        )
    assert password not in str(caught.value)
