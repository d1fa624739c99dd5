"""GUI (pytest-qt; here for the sync fixtures): the status bar shows sync state and
pending changes, Sync now syncs in the background, the connection dialog saves a profile
and never writes the password to the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keyring
from keyring.backends import fail
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from tests.sync.conftest import MakeMachine, SharedDb, records

from redline.profiles import Profile
from redline.review.types import Verdict
from redline.settings import Settings
from redline.sync.credentials import SESSION_PASSWORDS
from redline.ui.changes import ChangeHub
from redline.ui.sync.dialog import ConnectionDialog
from redline.ui.sync.password import PasswordDialog
from redline.ui.sync.status import SyncWidget
from redline.ui.tasks import TaskRunner

if TYPE_CHECKING:
    import pytest


def test_connection_dialog_saves_the_profile_not_the_password(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        settings = Settings(reviewer="ana")
        dialog = ConnectionDialog(settings)
        qtbot.addWidget(dialog)
        assert "asks once per session" in " ".join(
            w.text() for w in dialog.findChildren(type(dialog.error))
        )
        dialog.host.setText("db.example.org")
        qtbot.keyClicks(dialog.password, "s3cret-pw")
        dialog.port.setText("eighty")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert "port" in dialog.error.text() and dialog.result() == 0
        dialog.port.setText("5433")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert dialog.result() == 1
        assert settings.profiles["team"] == {
            "host": "db.example.org",
            "port": 5433,
            "database": "redline",
            "user": "ana",
            "sslmode": "prefer",
        }
        assert dialog.profile is not None
        assert SESSION_PASSWORDS.get(dialog.profile) == "s3cret-pw"
    finally:
        keyring.set_keyring(previous)


def test_sync_now_updates_the_status_bar(
    qtbot: QtBot, shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = make_machine("ana")
    ana.import_records(records(4))
    ana.review(ana.sample_ids()[0], Verdict.GOOD)
    settings = Settings(reviewer=ana.user, device="desk")
    p = ana.profile
    settings.profiles[p.name] = p.as_settings()
    SESSION_PASSWORDS.put(p, ana.password)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # the real Secret Service has its own test
    runner, hub = TaskRunner(), ChangeHub()
    widget = SyncWidget(engine=ana.store, settings=settings, runner=runner, hub=hub)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: "5 pending" in widget.label.text())
    task = widget.sync_now()
    assert task is not None
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    qtbot.waitUntil(
        lambda: "Sync: synced" in widget.label.text() and "0 pending" in widget.label.text()
    )
    assert ana.password not in widget.label.toolTip()
    runner.shutdown()
    SESSION_PASSWORDS.forget(p)
    keyring.set_keyring(previous)


def test_the_timer_offers_enter_password_and_asks_once_per_session(
    qtbot: QtBot, make_machine: MakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = make_machine("ana")
    ana.import_records(records(3))
    settings = Settings(reviewer=ana.user, device="desk")
    settings.profiles[ana.profile.name] = ana.profile.as_settings()
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # no keyring: the password lives for the session
    asked: list[str] = []

    def type_password(profile: Profile, parent: object = None) -> bool:
        # What the user does in the real dialog: type the password, press OK.
        asked.append(profile.user)
        dialog = PasswordDialog(profile)
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.password, ana.password)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        return dialog.result() == 1

    monkeypatch.setattr(PasswordDialog, "ask", staticmethod(type_password))
    runner, hub = TaskRunner(), ChangeHub()
    try:
        widget = SyncWidget(engine=ana.store, settings=settings, runner=runner, hub=hub)
        qtbot.addWidget(widget)
        widget.timer.timeout.emit()
        # The timer never pops a dialog up: it shows the state and the one-click button.
        assert "Sync: needs password" in widget.label.text()
        assert widget.password_button.isVisibleTo(widget) and asked == []

        widget.password_button.click()
        assert asked == [ana.user] and widget.task is not None
        qtbot.waitUntil(lambda: "Sync: synced" in widget.label.text(), timeout=30_000)
        assert not widget.password_button.isVisibleTo(widget)

        # Later timer syncs use the session's password: nobody is asked again.
        widget.timer.timeout.emit()
        assert widget.task is not None
        qtbot.waitUntil(lambda: widget.task is None, timeout=30_000)
        assert "Sync: synced" in widget.label.text() and asked == [ana.user]
    finally:
        runner.shutdown()
        SESSION_PASSWORDS.forget(ana.profile)
        keyring.set_keyring(previous)


def test_the_password_prompt_says_why_it_asks_every_session(qtbot: QtBot) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    profile = Profile("team", "db.example.org", 5432, "redline", "ana")
    try:
        dialog = PasswordDialog(profile)
        qtbot.addWidget(dialog)
        assert "asks once per session" in dialog.note.text()
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        assert dialog.result() == 0 and "empty" in dialog.error.text()
        qtbot.keyClicks(dialog.password, "s3cret-pw")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        assert dialog.result() == 1 and not dialog.kept_in_keyring
        assert SESSION_PASSWORDS.get(profile) == "s3cret-pw"
    finally:
        SESSION_PASSWORDS.forget(profile)
        keyring.set_keyring(previous)
