"""The shared fixtures do what conftest.py promises: isolation, real PostgreSQL with
password authentication, and the real Secret Service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from redline.store import models
from redline.store.session import session_scope

if TYPE_CHECKING:
    from tests.conftest import PgCluster, SecretServiceDaemon


def test_isolated_dirs_cover_home_and_xdg(isolated_dirs: Path, tmp_path: Path) -> None:
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        assert Path(os.environ[var]).is_relative_to(tmp_path), var
    assert Path.home() == isolated_dirs
    assert "REDLINE_STORE" not in os.environ
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
    assert (Path(os.environ["XDG_RUNTIME_DIR"]).stat().st_mode & 0o777) == 0o700


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_its_own_empty_store(engine: Engine, store_path: Path, attempt: int) -> None:
    assert store_path.parent.name.startswith("test_each_test_gets_its_own_em")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.SourceMapping)) == 0
        session.add(models.SourceMapping(source=f"written by attempt {attempt}", mapping={}))


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_its_own_empty_database(pg_engine: Engine, attempt: int) -> None:
    with session_scope(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(models.SourceMapping)) == 0
        session.add(models.SourceMapping(source=f"written by attempt {attempt}", mapping={}))


def test_pg_cluster_listens_on_loopback_with_password_auth(pg_cluster: PgCluster) -> None:
    assert pg_cluster.host == "127.0.0.1"
    assert pg_cluster.url("x").startswith("postgresql+psycopg://postgres:")
    good = create_engine(pg_cluster.url())
    try:
        with good.connect() as conn:
            assert conn.scalar(text("SHOW password_encryption")) == "scram-sha-256"
            assert conn.scalar(text("SELECT current_user")) == pg_cluster.superuser
    finally:
        good.dispose()

    bad = create_engine(pg_cluster.url(password="not-" + pg_cluster.password))
    try:
        with pytest.raises(OperationalError, match="password authentication failed"):
            bad.connect().close()
    finally:
        bad.dispose()


def test_secret_service_round_trip(secret_service: SecretServiceDaemon) -> None:
    from keyring.backends.SecretService import Keyring

    backend = Keyring()
    service, user = "redline-test/round-trip", "ada@db.example.org"
    assert backend.get_password(service, user) is None

    backend.set_password(service, user, "s3cret ✓ with spaces")
    assert backend.get_password(service, user) == "s3cret ✓ with spaces"

    backend.set_password(service, user, "rotated")
    assert backend.get_password(service, user) == "rotated"

    backend.delete_password(service, user)
    assert backend.get_password(service, user) is None
    # The secrets went to the daemon's own keyring, not to anyone's home.
    assert (secret_service.home / "data" / "keyrings").is_dir()
