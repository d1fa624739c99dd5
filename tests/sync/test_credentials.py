"""Passwords: only in the keyring (the real Secret Service here), never in a file, a log
or an error; clear messages for a wrong password, an unreachable host, TLS, a newer
shared schema; profiles hold no secret."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import text
from tests.sync.conftest import MakeMachine, SharedDb, records

from redline import cli
from redline.errors import RedlineError, SchemaTooNewError
from redline.profiles import get_profile, make_profile, put_profile
from redline.review.types import Verdict
from redline.settings import config_dir, data_dir, load_settings, log_dir
from redline.sync.connect import ConnectionFailed, check_shared, shared_engine
from redline.sync.credentials import (
    NO_KEYRING_REASON,
    keyring_status,
    password_for,
    store_password,
)

if TYPE_CHECKING:
    from tests.conftest import SecretServiceDaemon


@pytest.fixture
def secret_keyring(secret_service: SecretServiceDaemon) -> Iterator[None]:
    from keyring.backends.SecretService import Keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _files_containing(secret: str, *roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*") if root.exists() else ():
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


@pytest.mark.usefixtures("secret_keyring")
def test_a_full_session_keeps_the_password_in_the_secret_service_only(
    shared_db: SharedDb,
    make_machine: MakeMachine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ana = make_machine("ana")
    p = ana.profile
    assert keyring_status().available
    # The profile goes to the settings file through the CLI, the password via login.
    assert (
        cli.main(
            [
                "profile",
                "add",
                "team",
                "--host",
                p.host,
                "--port",
                str(p.port),
                "--database",
                p.database,
                "--user",
                p.user,
                "--sslmode",
                "disable",
            ]
        )
        == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(ana.password + "\n"))
    store = ["--store", str(ana.path)]
    assert cli.main(["sync", "login", "--password-stdin", *store]) == 0
    profile = get_profile(load_settings())
    assert password_for(profile) == ana.password  # from the Secret Service
    ana.import_records(records(3))
    ana.review(ana.sample_ids()[0], Verdict.GOOD)
    assert cli.main(["sync", *store]) == 0  # no prompt: the keyring answers
    assert cli.main(["sync", "status", *store]) == 0
    out = capsys.readouterr()
    assert "pushed 5" in out.out and "pending: 0" in out.out
    assert ana.password not in out.out + out.err + caplog.text
    home = Path(os.environ["HOME"])
    assert _files_containing(ana.password, home, config_dir(), data_dir(), log_dir()) == []
    settings_text = (config_dir() / "settings.json").read_text()
    assert p.user in settings_text and "password" not in settings_text


def test_without_a_keyring_the_password_is_asked_and_the_reason_given(
    no_keyring: object, shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = make_machine("ana")
    status = keyring_status()
    assert not status.available and status.reason == NO_KEYRING_REASON
    assert store_password(ana.profile, ana.password) is False
    assert password_for(ana.profile) is None


def test_failures_have_clear_messages_without_the_password(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = make_machine("ana")
    wrong = "Wrong-" + ana.password
    with pytest.raises(ConnectionFailed) as caught:
        check_shared(shared_engine(ana.profile, wrong), ana.profile, wrong)
    assert caught.value.kind == "auth" and "refused the password" in caught.value.what
    assert wrong not in str(caught.value)

    closed = make_profile("x", host="127.0.0.1", port=1, database="db", user="ana")
    with pytest.raises(ConnectionFailed) as caught:
        check_shared(shared_engine(closed, ana.password), closed, ana.password)
    assert caught.value.kind == "unreachable" and ana.password not in str(caught.value)

    tls = make_profile(
        "t",
        host=ana.profile.host,
        port=ana.profile.port,
        database=ana.profile.database,
        user=ana.user,
        sslmode="require",
    )
    with pytest.raises(ConnectionFailed) as caught:
        check_shared(shared_engine(tls, ana.password), tls, ana.password)
    assert caught.value.kind == "tls" and ana.password not in str(caught.value)

    with shared_db.admin.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaTooNewError) as too_new:
        ana.sync()
    assert "newer Redline" in too_new.value.what
    # Offline work goes on.
    ana.import_records(records(2))
    ana.review(ana.sample_ids()[0], Verdict.BAD)


def test_profiles_refuse_bad_fields_and_secrets() -> None:
    settings = load_settings()
    with pytest.raises(RedlineError, match="port"):
        make_profile("team", host="h", port="eighty", database="d", user="u")
    with pytest.raises(RedlineError, match="sslmode"):
        make_profile("team", host="h", database="d", user="u", sslmode="maybe")
    put_profile(settings, make_profile("team", host="h", database="d", user="u"))
    settings.profiles["team"]["password"] = "hunter2"
    with pytest.raises(RedlineError, match="keyring"):
        get_profile(settings)
