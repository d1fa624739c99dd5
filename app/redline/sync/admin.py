"""A lead's administration of the shared database, as the GUI's admin dialog needs it
(no Qt): log in as an administrator, see the schema's state, set the database up or
upgrade it, add logins and list the Redline logins with their roles.

The administrator is a login of its own (the database owner with CREATEROLE, or a
superuser), typed for the occasion: the profile gives host, port and database, never
this login. Each call opens its own short-lived engine, so every call can run on a
worker thread. The real work is `redline.sync.shared.init_shared` and
`redline.sync.server.add_user`, the same as `redline shared init` / `add-user`.
No message built here contains a password (`redact` scrubs the driver's text).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from redline.errors import RedlineError
from redline.profiles import Profile
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.migrate import head_revision, known_revisions
from redline.sync.connect import ConnectionFailed, connection_error, shared_engine
from redline.sync.credentials import redact
from redline.sync.server import (
    LEAD_ROLE,
    REVIEWER_ROLE,
    ROLES,
    SERVER_OBJECTS_VERSION,
    add_user,
    check_login_name,
    server_objects_version,
)
from redline.sync.shared import init_shared

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "RedlineLogin",
    "SchemaKind",
    "SchemaState",
    "ServerState",
    "admin_profile",
    "check_new_login",
    "create_login",
    "inspect_server",
    "list_logins",
    "schema_state",
    "set_up_server",
]

MIN_PASSWORD_LENGTH = 8


class SchemaKind(enum.StrEnum):
    """How the shared database's schema compares with this Redline's."""

    NONE = "none"  # not a Redline database yet: "Initialise"
    CURRENT = "current"  # nothing to do
    OLDER = "older"  # set up by an older Redline: "Upgrade"
    NEWER = "newer"  # set up by a newer Redline: refused, update Redline first


@dataclass(frozen=True)
class SchemaState:
    """The shared schema found on the server.

    Attributes:
        kind: none / current / older / newer.
        revision: its Alembic revision (None: no schema).
        objects_version: the version of its roles, GRANTs, RLS and triggers (None: none).
    """

    kind: SchemaKind
    revision: str | None
    objects_version: int | None

    def describe(self) -> str:
        """The state in words, for the dialog."""
        here = f"schema {head_revision()}, server objects v{SERVER_OBJECTS_VERSION}"
        found = f"schema {self.revision or 'none'}, server objects v{self.objects_version or 0}"
        if self.kind is SchemaKind.NONE:
            return (
                "This database has no Redline schema yet. Initialise creates the schema, "
                "the roles redline_reviewer and redline_lead, their GRANTs, row-level "
                "security and the audit triggers."
            )
        if self.kind is SchemaKind.CURRENT:
            return f"The schema is current ({found}). Nothing to do."
        if self.kind is SchemaKind.OLDER:
            return (
                f"The schema is older than this Redline ({found}; this Redline: {here}). "
                "Upgrade migrates it; until then nobody can sync with it."
            )
        return (
            f"This database was set up by a newer Redline ({found}; this Redline: {here}). "
            "Redline will not change it: update Redline first."
        )


@dataclass(frozen=True)
class RedlineLogin:
    """A login that is a member of redline_reviewer or redline_lead.

    Attributes:
        name: the login (also the reviewer name on every review).
        role: "lead" or "reviewer".
        can_login: false for a role whose LOGIN was taken away.
    """

    name: str
    role: str
    can_login: bool


@dataclass(frozen=True)
class ServerState:
    """What the administrator's login found.

    Attributes:
        admin: the administrator login.
        may_set_up: it may create the schema and roles (a superuser, or the database's
            owner with CREATEROLE).
        schema: the schema's state.
        logins: the Redline logins of the server, by name (roles belong to the whole
            server, so these are shared by every database on it).
    """

    admin: str
    may_set_up: bool
    schema: SchemaState
    logins: tuple[RedlineLogin, ...]


def admin_profile(profile: Profile, admin: str) -> Profile:
    """`profile`'s server and database with the administrator login `admin`."""
    admin = admin.strip()
    if not admin:
        raise RedlineError(
            "the administrator login is empty",
            where=profile.where,
            hint="type the database owner's login (it needs CREATEROLE) or a superuser's",
        )
    return dataclasses.replace(profile, user=admin)


def schema_state(conn: Connection) -> SchemaState:
    """Compare the server's schema revision and server objects with this Redline's."""
    has_version = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
    revision = (
        conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        if has_version
        else None
    )
    objects = server_objects_version(conn)
    if (revision is not None and revision not in known_revisions()) or (
        objects is not None and objects > SERVER_OBJECTS_VERSION
    ):
        kind = SchemaKind.NEWER
    elif revision is None:
        kind = SchemaKind.NONE
    elif revision == head_revision() and objects == SERVER_OBJECTS_VERSION:
        kind = SchemaKind.CURRENT
    else:
        kind = SchemaKind.OLDER
    return SchemaState(kind, None if revision is None else str(revision), objects)


def list_logins(conn: Connection) -> list[RedlineLogin]:
    """Every login that is a member of redline_reviewer or redline_lead, by name."""
    rows = conn.execute(
        text(
            "SELECT r.rolname, bool_or(g.rolname = :lead) AS lead, r.rolcanlogin "
            "FROM pg_roles r "
            "JOIN pg_auth_members m ON m.member = r.oid "
            "JOIN pg_roles g ON g.oid = m.roleid "
            "WHERE g.rolname IN (:lead, :reviewer) AND r.rolname NOT IN (:lead, :reviewer) "
            "GROUP BY r.rolname, r.rolcanlogin ORDER BY r.rolname"
        ),
        {"lead": LEAD_ROLE, "reviewer": REVIEWER_ROLE},
    ).all()
    return [
        RedlineLogin(str(name), "lead" if lead else "reviewer", bool(can_login))
        for name, lead, can_login in rows
    ]


def _may_set_up(conn: Connection) -> bool:
    return bool(
        conn.execute(
            text(
                "SELECT r.rolsuper OR (r.rolcreaterole AND d.datdba = r.oid) "
                "FROM pg_roles r, pg_database d "
                "WHERE r.rolname = current_user AND d.datname = current_database()"
            )
        ).scalar_one()
    )


def _read_state(engine: Engine) -> ServerState:
    with engine.connect() as conn:
        admin = str(conn.execute(text("SELECT current_user")).scalar_one())
        return ServerState(
            admin=admin,
            may_set_up=_may_set_up(conn),
            schema=schema_state(conn),
            logins=tuple(list_logins(conn)),
        )


def _admin_error(exc: BaseException, admin: Profile, *secrets: str) -> RedlineError:
    """The driver's failure in words an administrator can act on (no password)."""
    code = getattr(getattr(exc, "orig", None), "sqlstate", "") or ""
    if code == "42501":
        first = redact(str(getattr(exc, "orig", exc)).strip().splitlines()[0], *secrets)
        return RedlineError(
            f"the login {admin.user} may not do this ({first})",
            where=admin.where,
            hint="log in as the database owner with CREATEROLE, or a superuser",
        )
    error = connection_error(exc, admin, secrets[0] if secrets else None)
    kind = error.kind if isinstance(error, ConnectionFailed) else "other"
    if kind == "auth":
        return ConnectionFailed(
            "auth",
            f"the server refused the password of the administrator login {admin.user}",
            where=admin.where,
            hint="check the administrator's login and password; nothing was changed",
        )
    return ConnectionFailed(kind, redact(error.what, *secrets), where=error.where, hint=error.hint)


def inspect_server(
    profile: Profile, admin: str, password: str, *, progress: Progress = NO_PROGRESS
) -> ServerState:
    """Log in as `admin` on `profile`'s database; its schema state and Redline logins."""
    login = admin_profile(profile, admin)
    progress.update(0, 1, f"connecting as {login.user}")
    engine = shared_engine(login, password)
    try:
        state = _read_state(engine)
    except DBAPIError as exc:
        raise _admin_error(exc, login, password) from None
    finally:
        engine.dispose()
    progress.update(1, 1, "connected")
    return state


def set_up_server(
    profile: Profile, admin: str, password: str, *, progress: Progress = NO_PROGRESS
) -> ServerState:
    """Initialise or upgrade the shared database (as `redline shared init` does).

    Cancel works until the migration starts; from then on it runs to its end (each
    step is its own transaction, and half a set-up is worse than a finished one).
    Refuses a database set up by a newer Redline, and a login that may not set it up.
    """
    login = admin_profile(profile, admin)
    engine = shared_engine(login, password, timeouts=False)
    try:
        progress.update(0, 3, "checking the schema")
        state = _read_state(engine)
        if state.schema.kind is SchemaKind.NEWER:
            raise RedlineError(
                state.schema.describe(), where=login.where, hint="nothing was changed"
            )
        if not state.may_set_up:
            raise RedlineError(
                f"the login {login.user} may not set up this database",
                where=login.where,
                hint="log in as the database owner with CREATEROLE, or a superuser",
            )
        check(progress)
        progress.update(1, 3, "migrating the schema (this step cannot be cancelled)")
        init_shared(engine, where=login.where)
        progress.update(2, 3, "reading the new state")
        state = _read_state(engine)
    except DBAPIError as exc:
        raise _admin_error(exc, login, password) from None
    finally:
        engine.dispose()
    progress.update(3, 3, "done")
    return state


def check_new_login(name: str, role: str, password: str, again: str) -> str:
    """The checked login name; RedlineError says which field is wrong (before any
    network: the dialog shows it beside the form)."""
    name = check_login_name(name.strip())
    if role not in ROLES:
        raise RedlineError(f"unknown role {role!r}", hint="use reviewer or lead")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RedlineError(
            f"the initial password is shorter than {MIN_PASSWORD_LENGTH} characters",
            where=f"new login {name}",
        )
    if password != again:
        raise RedlineError(
            "the two passwords differ", where=f"new login {name}", hint="type it twice"
        )
    return name


def create_login(
    profile: Profile,
    admin: str,
    password: str,
    *,
    name: str,
    role: str,
    new_password: str,
    again: str,
    reset_password: bool = False,
    progress: Progress = NO_PROGRESS,
) -> tuple[bool, ServerState]:
    """Create the login `name` with `role` (an existing one's password and role are
    replaced only with `reset_password`); (whether it is new, the server's state after)."""
    name = check_new_login(name, role, new_password, again)
    login = admin_profile(profile, admin)
    engine = shared_engine(login, password)
    try:
        progress.update(0, 1, f"adding {name}")
        created = add_user(engine, name, role, new_password, reset_password=reset_password)
        state = _read_state(engine)
    except DBAPIError as exc:
        raise _admin_error(exc, login, password, new_password) from None
    except RedlineError as exc:
        raise RedlineError(
            redact(exc.what, password, new_password), where=login.where, hint=exc.hint
        ) from None
    finally:
        engine.dispose()
    progress.update(1, 1, "done")
    return created, state
