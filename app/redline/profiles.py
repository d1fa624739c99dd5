"""Connection profiles of shared databases: host, port, database, user, sslmode.

Profiles live in the settings file (`Settings.profiles`) and never hold a password: that
is in the OS keyring (redline.sync.credentials). `Settings.extra["active_profile"]` names
the profile the app syncs with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import URL

from redline.errors import RedlineError
from redline.settings import Settings

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
ACTIVE_KEY = "active_profile"
# Keys a profile may hold in the settings file: anything else (a password!) is refused.
PROFILE_KEYS = ("host", "port", "database", "user", "sslmode")


@dataclass(frozen=True)
class Profile:
    """Where a shared database is and who logs in (the login is also the reviewer name).

    Attributes:
        name: the profile's own name ("team", "staging").
        host, port, database, user: the server, its database and the login role.
        sslmode: libpq's sslmode (prefer, require, verify-full, ...).
    """

    name: str
    host: str
    port: int
    database: str
    user: str
    sslmode: str = "prefer"

    @property
    def where(self) -> str:
        """How errors name the server: user@host:port/database (never a password)."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def keyring_service(self) -> str:
        """The keyring service name of this server and database."""
        return f"redline/{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None) -> URL:
        """The SQLAlchemy URL (psycopg 3); render it only with hide_password."""
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=password,
            host=self.host,
            port=self.port,
            database=self.database,
            query={"sslmode": self.sslmode},
        )

    def as_settings(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("name")
        return values


def make_profile(
    name: str,
    *,
    host: str,
    port: int | str = 5432,
    database: str,
    user: str,
    sslmode: str = "prefer",
) -> Profile:
    """A checked profile; RedlineError says which field is wrong."""
    where = f"profile {name!r}"
    if not name.strip():
        raise RedlineError("a profile needs a name")
    if not host.strip():
        raise RedlineError("the host is empty", where=where)
    try:
        port_number = int(port)
    except (TypeError, ValueError):
        raise RedlineError(f"port {port!r} is not a number", where=where) from None
    if not 0 < port_number < 65536:
        raise RedlineError(f"port {port_number} is not between 1 and 65535", where=where)
    if not database.strip():
        raise RedlineError("the database name is empty", where=where)
    if not user.strip():
        raise RedlineError("the user (login) is empty", where=where)
    if sslmode not in SSL_MODES:
        raise RedlineError(
            f"sslmode {sslmode!r} is unknown",
            where=where,
            hint=f"use one of {', '.join(SSL_MODES)}",
        )
    return Profile(name.strip(), host.strip(), port_number, database.strip(), user.strip(), sslmode)


def list_profiles(settings: Settings) -> list[Profile]:
    """Every profile in the settings, by name."""
    return [get_profile(settings, name) for name in sorted(settings.profiles)]


def get_profile(settings: Settings, name: str | None = None) -> Profile:
    """The named profile, or the active one; RedlineError when there is none."""
    name = name or active_profile_name(settings)
    if not name:
        raise RedlineError(
            "no shared database is configured",
            hint="add one with `redline sync profile add NAME --host ... --database ... "
            "--user ...` or File > Connection…",
        )
    raw = settings.profiles.get(name)
    if raw is None:
        known = ", ".join(sorted(settings.profiles)) or "none"
        raise RedlineError(f"there is no profile {name!r}", hint=f"profiles: {known}")
    unknown = set(raw) - set(PROFILE_KEYS)
    if unknown:
        raise RedlineError(
            f"profile {name!r} holds unknown keys: {', '.join(sorted(unknown))}",
            where="settings.json",
            hint="a profile holds host, port, database, user and sslmode only; "
            "passwords belong in the keyring",
        )
    return make_profile(
        name,
        host=str(raw.get("host", "")),
        port=raw.get("port", 5432),
        database=str(raw.get("database", "")),
        user=str(raw.get("user", "")),
        sslmode=str(raw.get("sslmode", "prefer")),
    )


def active_profile_name(settings: Settings) -> str:
    """The profile sync uses: the chosen one, or the only one there is."""
    chosen = settings.extra.get(ACTIVE_KEY)
    if isinstance(chosen, str) and chosen in settings.profiles:
        return chosen
    return next(iter(settings.profiles)) if len(settings.profiles) == 1 else ""


def put_profile(settings: Settings, profile: Profile, *, activate: bool = True) -> None:
    """Add or replace a profile in `settings` (save them afterwards)."""
    settings.profiles[profile.name] = profile.as_settings()
    if activate:
        settings.extra[ACTIVE_KEY] = profile.name


def remove_profile(settings: Settings, name: str) -> None:
    if name not in settings.profiles:
        raise RedlineError(f"there is no profile {name!r}")
    del settings.profiles[name]
    if settings.extra.get(ACTIVE_KEY) == name:
        settings.extra.pop(ACTIVE_KEY)
