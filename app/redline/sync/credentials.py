"""Passwords of shared databases: in the OS keyring, and nowhere else.

- `keyring_status()` says whether a real backend exists (Secret Service, macOS Keychain,
  Windows Credential Locker). With none (`keyring.backends.fail`, or NoKeyringError),
  the app asks for the password once per session and keeps it in memory only
  (`SessionPasswords`), and says why: that is different from "no password stored yet".
- Errors never contain the password; `redact()` scrubs it from any text that might.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from redline.errors import RedlineError
from redline.profiles import Profile

NO_KEYRING_REASON = (
    "no system keyring is available (no Secret Service, Keychain or Credential Locker), "
    "so Redline cannot remember the password: it asks once per session and keeps it in "
    "memory only, never in a file"
)


@dataclass(frozen=True)
class KeyringStatus:
    """Whether passwords can be stored.

    Attributes:
        available: a real keyring backend is there.
        backend: its name (for the settings dialog).
        reason: why passwords are asked every session (empty when available).
    """

    available: bool
    backend: str
    reason: str = ""


def _backend() -> KeyringBackend:
    return keyring.get_keyring()


def keyring_status() -> KeyringStatus:
    backend = _backend()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    # The fail backend (priority 0) is what keyring picks when nothing else works; the
    # chainer with no members behaves the same.
    if name.startswith("keyring.backends.fail") or backend.priority <= 0:
        return KeyringStatus(False, name, NO_KEYRING_REASON)
    return KeyringStatus(True, name)


def _keyring_error(action: str, profile: Profile, exc: Exception) -> RedlineError:
    # The backend's message may quote what it was given; it is about the keyring, not
    # the password, but redact anyway.
    return RedlineError(
        f"the keyring could not {action} the password ({type(exc).__name__})",
        where=profile.where,
        hint="unlock your keyring (or the login keyring of your desktop) and try again",
    )


def stored_password(profile: Profile) -> str | None:
    """The password in the keyring, or None (none stored, or no keyring at all)."""
    if not keyring_status().available:
        return None
    try:
        return _backend().get_password(profile.keyring_service, profile.user)
    except keyring.errors.NoKeyringError:
        return None
    except keyring.errors.KeyringError as exc:
        raise _keyring_error("read", profile, exc) from None


def store_password(profile: Profile, password: str) -> bool:
    """Keep the password in the keyring; False when there is no keyring (then keep it
    in a SessionPasswords instead)."""
    if not keyring_status().available:
        return False
    try:
        _backend().set_password(profile.keyring_service, profile.user, password)
    except keyring.errors.NoKeyringError:
        return False
    except keyring.errors.KeyringError as exc:
        raise _keyring_error("store", profile, exc) from None
    return True


def forget_password(profile: Profile) -> None:
    """Remove the stored password (nothing happens when none is stored)."""
    if not keyring_status().available:
        return
    try:
        _backend().delete_password(profile.keyring_service, profile.user)
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise _keyring_error("remove", profile, exc) from None


class SessionPasswords:
    """Passwords typed in this session when there is no keyring: memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._passwords: dict[str, str] = {}

    def get(self, profile: Profile) -> str | None:
        with self._lock:
            return self._passwords.get(f"{profile.keyring_service}/{profile.user}")

    def put(self, profile: Profile, password: str) -> None:
        with self._lock:
            self._passwords[f"{profile.keyring_service}/{profile.user}"] = password

    def forget(self, profile: Profile) -> None:
        with self._lock:
            self._passwords.pop(f"{profile.keyring_service}/{profile.user}", None)


SESSION_PASSWORDS = SessionPasswords()


def password_for(profile: Profile, session: SessionPasswords = SESSION_PASSWORDS) -> str | None:
    """The password to log in with: one typed this session (the newest word), else the
    keyring's."""
    return session.get(profile) or stored_password(profile)


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every secret replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
