"""Fixtures shared by the whole suite.

Every test runs with its XDG directories (and HOME) in its own tmp_path (`isolated_dirs`,
autouse), so nothing reads or writes the real home, settings or store.

Databases:
    store_path    a fresh, migrated local store file (a copy of a per-session template).
    engine        an Engine on `store_path` (disposed at teardown).
    pg_cluster    the session's throwaway PostgreSQL cluster, started on first use.
    pg_engine     an Engine on a fresh, migrated PostgreSQL database for this test.
    db_engine     parametrised over both: the test runs once on SQLite, once on PostgreSQL.

Keyring:
    secret_service  the real Secret Service (gnome-keyring) on the private session bus
                    that `make test` provides through dbus-run-session.

Tests that use `pg_cluster`/`pg_engine`/`db_engine[postgresql]` are marked `postgres`, and
tests that use `secret_service` are marked `secret_service`, automatically; so
`pytest -m "not postgres"` skips the first kind, and so on.
"""

from __future__ import annotations

import os

# Before anything can import Qt: no test ever opens a real window, even on a desktop
# whose environment says QT_QPA_PLATFORM=wayland or xcb.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import contextlib
import itertools
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jeepney.bus_messages import MatchRule, message_bus
from jeepney.io.blocking import open_dbus_connection
from sqlalchemy import URL, Engine, create_engine, text
from tests.clock import SetClock

from redline import clock as redline_clock
from redline.store.engine import postgres_engine
from redline.store.local import open_local_store
from redline.store.migrate import upgrade

# --------------------------------------------------------------------------- markers


# The tests whose outcome could hang on the date or the time zone: windows ("last 7 days",
# weeks, report ranges), drift, experiments, the demo's relative weeks, audit times, sync
# cursors and timers, timestamps read at import. With every test that uses the `clock`
# fixture they are marked `dates`, and `make test-dates` runs them again with the clock
# 550 days ahead, across a leap day's midnight, and at UTC+14 and UTC-10.
DATE_SENSITIVE = (
    "tests/analytics/test_drift.py",
    "tests/analytics/test_drift_service.py",
    "tests/analytics/test_experiments.py",
    "tests/analytics/test_threshold_decision_audit.py",
    "tests/analytics/test_threshold_drift.py",
    "tests/export/test_cli_export.py",
    "tests/export/test_export.py",
    "tests/ingest/test_import_formats.py",
    "tests/ingest/test_rows.py",
    "tests/ingest/test_tool_exports.py",
    "tests/prompts/test_catalog.py",
    "tests/quality/",
    "tests/store/test_audit.py",
    "tests/store/test_migrations.py",
    "tests/sync/test_audit_pull.py",
    "tests/sync/test_push_pull.py",
    "tests/sync/test_ui_status.py",
    "tests/test_demo.py",
    "tests/ui/test_drift_page.py",
    "tests/ui/test_export_page.py",
    "tests/ui/test_prompts.py",
    "tests/ui/test_quality_page.py",
)
ROOT = Path(__file__).parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the fixtures they use, so `-m` selects them without manual marks."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        where = item.path.relative_to(ROOT).as_posix()
        if "clock" in names or where.startswith(DATE_SENSITIVE):
            item.add_marker(pytest.mark.dates)
        if "pg_cluster" in names or "pg_engine" in names:
            item.add_marker(pytest.mark.postgres)
        if "secret_service" in names:
            item.add_marker(pytest.mark.secret_service)


# --------------------------------------------------------------------------- directories


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG directories into tmp_path; forget REDLINE_STORE.

    platformdirs, QStandardPaths, QSettings and matplotlib all follow these, so
    settings, the local store and caches land under `tmp_path / "home"`. Returns that
    home directory.
    """
    home = tmp_path / "home"
    for var, sub in [
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ]:
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(path))
    # Qt warns (and qt_log_level_fail turns the warning into a failure) when this is
    # unset or not private to the user.
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("REDLINE_STORE", raising=False)
    return home


# --------------------------------------------------------------------------- clock


@pytest.fixture
def clock() -> Iterator[SetClock]:
    """Freeze Redline's clock (at the real now until the test sets it); restored afterwards."""
    held = SetClock(redline_clock.system_now())
    previous = redline_clock.set_source(held)
    yield held
    redline_clock.set_source(previous)


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def _store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated local store per session; tests get copies (migrating takes ~0.3 s)."""
    path = tmp_path_factory.mktemp("store-template") / "template.sqlite"
    open_local_store(path).dispose()
    # Disposing closed the last connection, which checkpoints the WAL into the file:
    # the file alone is the whole store.
    assert not Path(f"{path}-wal").exists(), "the template store still has a WAL file"
    return path


@pytest.fixture
def store_path(_store_template: Path, tmp_path: Path) -> Path:
    """A fresh, migrated local store file of this test's own (`tmp_path/store.sqlite`)."""
    path = tmp_path / "store.sqlite"
    shutil.copyfile(_store_template, path)
    return path


@pytest.fixture
def engine(store_path: Path) -> Iterator[Engine]:
    """An Engine on `store_path`, opened the way the app opens it."""
    engine = open_local_store(store_path)
    yield engine
    engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bindir() -> Path:
    """Where initdb/pg_ctl live: $REDLINE_PG_BINDIR, else the newest Debian install."""
    if override := os.environ.get("REDLINE_PG_BINDIR"):
        return Path(override)
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    if found := shutil.which("pg_ctl"):
        return Path(found).parent
    pytest.fail(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH): "
        "run `make test`, which installs them, or set REDLINE_PG_BINDIR",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgCluster:
    """A running throwaway PostgreSQL cluster on 127.0.0.1.

    Attributes:
        host: always "127.0.0.1" (TCP, so password authentication applies).
        port: a free port picked at start.
        superuser: the superuser's role name ("postgres").
        password: the superuser's password; any other password is refused (scram-sha-256).
        bindir: the server binaries (initdb, pg_ctl, psql...).
        root: the temp dir holding data/, the socket and the server log.
    """

    host: str
    port: int
    superuser: str
    password: str
    bindir: Path
    root: Path
    _admin: Engine | None = field(default=None, repr=False)
    _counter: Iterator[int] = field(default_factory=itertools.count, repr=False)

    def url(
        self, database: str = "postgres", *, user: str | None = None, password: str | None = None
    ) -> str:
        """A `postgresql+psycopg://` URL; the superuser's unless `user`/`password` are given."""
        return URL.create(
            "postgresql+psycopg",
            username=user or self.superuser,
            password=self.password if password is None else password,
            host=self.host,
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    @property
    def admin(self) -> Engine:
        """An AUTOCOMMIT superuser engine on the `postgres` database (for CREATE DATABASE,
        CREATE ROLE and the like)."""
        if self._admin is None:
            self._admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        return self._admin

    def unique_name(self, prefix: str = "test") -> str:
        """A database or role name not used before in this session."""
        return f"{prefix}_{next(self._counter)}"

    def create_database(self, name: str, *, template: str | None = None) -> None:
        """CREATE DATABASE `name` (a copy of `template` when given)."""
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name`, disconnecting whoever is still on it."""
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class _PgProcess:
    """Runs the server binaries, as the `postgres` system user when we are root
    (PostgreSQL refuses to run as root)."""

    USER = "postgres"

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        if self.as_root:
            self._ensure_user()

    def _ensure_user(self) -> None:
        try:
            pwd.getpwnam(self.USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    self.USER,
                ],
                check=True,
            )

    def chown(self, path: Path) -> None:
        if self.as_root:
            shutil.chown(path, user=self.USER, group=pwd.getpwnam(self.USER).pw_gid)

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / tool), *args]
        if self.as_root:
            runuser = shutil.which("runuser")
            cmd = (
                [runuser, "-u", self.USER, "--", *cmd]
                if runuser
                else ["su", "-s", "/bin/sh", self.USER, "-c", subprocess.list2cmdline(cmd)]
            )
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL cluster, started on first use and removed at the end.

    fsync is off: a crash loses nothing we care about, and the suite runs faster.
    """
    proc = _PgProcess(_postgres_bindir())
    # Not under tmp_path_factory: pytest's dirs are private to root, and the server
    # runs as `postgres`. A short path also keeps the socket under the 107-byte limit.
    root = Path(tempfile.mkdtemp(prefix="redline-pg-"))
    data, log = root / "data", root / "server.log"
    password = "redline-test-" + secrets.token_hex(8)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    for path in (root, pwfile):
        proc.chown(path)
    superuser = "postgres"
    port = _free_port()
    try:
        result = proc.run(
            "initdb",
            "-D",
            str(data),
            "-U",
            superuser,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        if result.returncode != 0:
            pytest.fail(f"initdb failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        result = proc.run(
            "pg_ctl", "start", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60"
        )
        if result.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(
                f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{server_log}",
                pytrace=False,
            )
        cluster = PgCluster(
            host="127.0.0.1",
            port=port,
            superuser=superuser,
            password=password,
            bindir=proc.bindir,
            root=root,
        )
        try:
            yield cluster
        finally:
            if cluster._admin is not None:
                cluster._admin.dispose()
    finally:
        # Also after a failed or timed-out start, which may have left a server running.
        if (data / "postmaster.pid").exists():
            proc.run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _pg_template(pg_cluster: PgCluster) -> str:
    """A database migrated to head once per session; tests get copies of it."""
    name = "redline_template"
    pg_cluster.create_database(name)
    engine = postgres_engine(pg_cluster.url(name))
    try:
        upgrade(engine, where=name)
    finally:
        # CREATE DATABASE ... TEMPLATE needs the template to have no connections.
        engine.dispose()
    return name


@pytest.fixture
def pg_engine(pg_cluster: PgCluster, _pg_template: str) -> Iterator[Engine]:
    """An Engine (superuser) on a fresh PostgreSQL database migrated to head."""
    name = pg_cluster.unique_name()
    pg_cluster.create_database(name, template=_pg_template)
    engine = postgres_engine(pg_cluster.url(name))
    yield engine
    engine.dispose()
    pg_cluster.drop_database(name)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated store on each dialect in turn: `engine`, then `pg_engine`."""
    fixture = "engine" if request.param == "sqlite" else "pg_engine"
    result: Engine = request.getfixturevalue(fixture)
    return result


# --------------------------------------------------------------------------- keyring


@dataclass(frozen=True)
class SecretServiceDaemon:
    """gnome-keyring running as the Secret Service on the private session bus.

    Attributes:
        pid: the daemon's process id.
        password: the login keyring's password (it is unlocked).
        home: the daemon's HOME/XDG_DATA_HOME, holding keyrings/login.keyring.
    """

    pid: int
    password: str
    home: Path


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceDaemon]:
    """Start gnome-keyring-daemon (secrets component, login keyring unlocked) on the
    session bus, so `keyring.backends.SecretService.Keyring()` works; stop it at the end.

    Needs a private session bus: `make test` runs pytest under `dbus-run-session`.
    """
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.fail(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset), so the Secret Service "
            "tests cannot run: use `make test`, or `dbus-run-session -- pytest ...`",
            pytrace=False,
        )
    daemon_exe = shutil.which("gnome-keyring-daemon")
    if daemon_exe is None:
        pytest.fail("gnome-keyring-daemon not found: run `make test`, which installs it")
    home = tmp_path_factory.mktemp("keyring-home")
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    password = "redline-test-keyring"
    service = "org.freedesktop.secrets"
    owner_changed = MatchRule(
        type="signal",
        sender=message_bus.bus_name,
        interface=message_bus.interface,
        member="NameOwnerChanged",
        path=message_bus.object_path,
    )
    owner_changed.add_arg_condition(0, service)
    with open_dbus_connection(bus="SESSION") as bus:
        if bus.send_and_get_reply(message_bus.NameHasOwner(service), timeout=10).body[0]:
            # Most likely the desktop's own keyring: never write test secrets into it.
            pytest.fail(
                f"{service} is already served on this session bus (your desktop keyring?); "
                "run the suite on a private bus: `make test` or `dbus-run-session -- pytest`",
                pytrace=False,
            )
        bus.send_and_get_reply(message_bus.AddMatch(owner_changed), timeout=10)
        with bus.filter(owner_changed) as owner_changes:
            # --unlock reads the password on stdin and creates the login keyring with it.
            # --daemonize returns before the daemon owns its bus name, hence the signal.
            result = subprocess.run(
                [daemon_exe, "--unlock", "--components=secrets", "--daemonize"],
                input=password,
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(
                    f"gnome-keyring-daemon failed (exit {result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}",
                    pytrace=False,
                )
            owned = bus.send_and_get_reply(message_bus.NameHasOwner(service), timeout=10)
            if not owned.body[0]:
                try:
                    bus.recv_until_filtered(owner_changes, timeout=30)
                except TimeoutError:
                    pytest.fail(
                        f"gnome-keyring-daemon started but never took {service} on the bus:"
                        f"\n{result.stdout}\n{result.stderr}",
                        pytrace=False,
                    )
        reply = bus.send_and_get_reply(message_bus.GetConnectionUnixProcessID(service), timeout=10)
    pid = reply.body[0]
    assert isinstance(pid, int)
    try:
        yield SecretServiceDaemon(pid=pid, password=password, home=home)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 15)
