"""Connecting to a shared database: one place that turns driver failures into messages
a user can act on (wrong password, unreachable host, TLS, schema from a newer Redline),
none of which ever contains the password."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from redline.errors import RedlineError, SchemaTooNewError
from redline.profiles import Profile
from redline.store.migrate import head_revision, known_revisions
from redline.sync.credentials import redact
from redline.sync.server import LEAD_ROLE, SERVER_OBJECTS_VERSION, server_objects_version

CONNECT_TIMEOUT_S = 8
# How long a statement of a sync waits for a lock (the change lock a teammate's open
# transaction may hold, see redline.sync.server) before it gives up with "busy",
# and how long any statement may run. Without them a sync waited, silently, for as long
# as another session held the lock.
LOCK_TIMEOUT_S = 10
STATEMENT_TIMEOUT_S = 300
# SQLSTATEs of a statement given up on: lock_not_available, query_canceled.
_BUSY = {"55P03": "lock timeout", "57014": "statement timeout"}


class ConnectionFailed(RedlineError):
    """The shared database could not be reached or refused the login.

    Attributes:
        kind: "auth", "unreachable", "tls" or "other".
    """

    def __init__(self, kind: str, what: str, *, where: str = "", hint: str = "") -> None:
        self.kind = kind
        super().__init__(what, where=where, hint=hint)


def connection_error(exc: BaseException, profile: Profile, password: str | None) -> RedlineError:
    """A RedlineError for a driver exception raised while talking to `profile`."""
    raw = redact(str(getattr(exc, "orig", None) or exc), password)
    lowered = raw.lower()
    where = profile.where
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    if sqlstate in _BUSY and "timeout" in lowered:
        waited = (
            f"waited {LOCK_TIMEOUT_S} s for another session's changes"
            if sqlstate == "55P03"
            else f"a statement ran longer than {STATEMENT_TIMEOUT_S} s"
        )
        return ConnectionFailed(
            "busy",
            f"the shared database is busy ({waited}); nothing was lost, your changes stay pending",
            where=where,
            hint="sync again in a moment; if it stays busy, a lead finds the session holding "
            "a long transaction (pg_stat_activity)",
        )
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return ConnectionFailed(
            "auth",
            f"the server refused the password of {profile.user}",
            where=where,
            hint="enter the right password (File > Connection… or `redline sync login`)",
        )
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        first = raw.strip().splitlines()[0] if raw.strip() else "TLS failed"
        return ConnectionFailed(
            "tls",
            f"the secure (TLS) connection failed: {first}",
            where=where,
            hint=f"check the server's certificate and the profile's sslmode ({profile.sslmode})",
        )
    if any(
        marker in lowered
        for marker in (
            "connection refused",
            "could not translate host name",
            "timeout expired",
            "no route to host",
            "network is unreachable",
            "name or service not known",
            "server closed the connection",
            "connection timed out",
            "terminating connection",
            "the database system is shutting down",
            "the database system is starting up",
            "consuming input failed",
        )
    ):
        return ConnectionFailed(
            "unreachable",
            "the shared database cannot be reached; your work stays safe in the local store",
            where=where,
            hint="check the network (or VPN) and the host and port; sync retries later",
        )
    if 'database "' in lowered and "does not exist" in lowered:
        return ConnectionFailed(
            "other",
            f"there is no database {profile.database!r} on this server",
            where=where,
            hint="check the profile's database name",
        )
    first = raw.strip().splitlines()[0] if raw.strip() else type(exc).__name__
    return ConnectionFailed("other", f"the shared database failed: {first}", where=where)


def shared_engine(profile: Profile, password: str | None, *, timeouts: bool = True) -> Engine:
    """An engine on the shared database (connections open lazily).

    `timeouts`: every session gives up on a lock after LOCK_TIMEOUT_S and on a statement
    after STATEMENT_TIMEOUT_S (`connection_error` says "busy"). Off only for setting up
    the database, whose migrations may rightly take longer on a large one.
    """
    options = (
        f"-c lock_timeout={LOCK_TIMEOUT_S * 1000} -c statement_timeout={STATEMENT_TIMEOUT_S * 1000}"
    )
    connect_args: dict[str, object] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "redline",
    }
    if timeouts:
        connect_args["options"] = options
    return create_engine(
        profile.url(password),
        # A sync opens many short transactions: reuse two connections (a login with
        # SCRAM costs more than most of them); pre-ping notices a restarted server.
        pool_size=2,
        max_overflow=2,
        pool_pre_ping=True,
        connect_args=connect_args,
        # The URL carries the password: make sure nothing echoes statements with it.
        hide_parameters=True,
    )


@dataclass(frozen=True)
class SharedInfo:
    """What a successful connection found out.

    Attributes:
        user: the login (also the reviewer name on every review pushed).
        is_lead: the login is a member of redline_lead.
        revision: the shared schema's Alembic revision.
    """

    user: str
    is_lead: bool
    revision: str


def check_shared(engine: Engine, profile: Profile, password: str | None) -> SharedInfo:
    """Log in and check the shared schema is one this Redline can sync with."""
    try:
        with engine.connect() as conn:
            user = conn.execute(text("SELECT session_user")).scalar_one()
            has_version = conn.execute(
                text("SELECT to_regclass('alembic_version') IS NOT NULL")
            ).scalar_one()
            revision = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
                if has_version
                else None
            )
            objects = server_objects_version(conn)
            is_lead = bool(
                conn.execute(
                    text(
                        "SELECT coalesce((SELECT pg_has_role(session_user, oid, 'member') "
                        "FROM pg_roles WHERE rolname = :lead), false)"
                    ),
                    {"lead": LEAD_ROLE},
                ).scalar_one()
            )
    except (OperationalError, DBAPIError) as exc:
        raise connection_error(exc, profile, password) from None
    where = profile.where
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNewError(
            f"the shared database was set up by a newer Redline (schema {revision}); "
            "nothing was synced",
            where=where,
            hint="update Redline to sync with it; you can keep working offline",
        )
    if objects is not None and objects > SERVER_OBJECTS_VERSION:
        raise SchemaTooNewError(
            f"the shared database was set up by a newer Redline (server objects v{objects})",
            where=where,
            hint="update Redline to sync with it; you can keep working offline",
        )
    if revision is None or objects is None:
        raise RedlineError(
            "this database is not a Redline shared database yet",
            where=where,
            hint="a lead runs `redline shared init` on it first",
        )
    if revision != head_revision() or objects < SERVER_OBJECTS_VERSION:
        raise RedlineError(
            f"the shared database has an older schema ({revision}, server objects "
            f"v{objects}) than this Redline ({head_revision()}, v{SERVER_OBJECTS_VERSION})",
            where=where,
            hint="a lead runs `redline shared init` to migrate it",
        )
    return SharedInfo(user=str(user), is_lead=is_lead, revision=str(revision))
