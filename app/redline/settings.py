"""Where Redline keeps its files, and the user's settings (never a secret).

Paths follow the platform (platformdirs), so tests redirect them with the XDG_*
variables. Settings are one JSON file with a schema version; an unreadable or newer
file is reported, never silently replaced.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from redline.errors import RedlineError

APP_NAME = "redline"
SETTINGS_VERSION = 1


def data_dir() -> Path:
    """The user data dir: the local store lives here."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user config dir: settings.json lives here."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """The user log dir."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_store_path() -> Path:
    """The local store: one SQLite file, unless REDLINE_STORE names another."""
    override = os.environ.get("REDLINE_STORE")
    return Path(override) if override else data_dir() / "redline.sqlite"


@dataclass
class Settings:
    """The user's settings. Connection profiles hold no password: that is in the keyring."""

    reviewer: str = ""
    # "reviewer" or "lead": what the app offers (only leads approve and deploy prompt
    # versions; the shared database enforces the same, see redline.prompts.rules).
    role: str = "reviewer"
    device: str = ""
    taxonomy: list[str] = field(default_factory=list)
    theme: str = "system"
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Extra PII patterns masked on export, name -> regular expression (see
    # redline.export.redaction; checked when an export starts).
    redaction_patterns: dict[str, str] = field(default_factory=dict)
    # Rebound keys, action id -> keys in Qt's portable text (see redline.ui.actions); an
    # action not listed keeps its default keys.
    shortcuts: dict[str, list[str]] = field(default_factory=dict)
    # The main window's geometry and dock layout (Qt's saveGeometry/saveState, base64).
    window_layout: dict[str, str] = field(default_factory=dict)
    # Sample texts rendered as Markdown (M) instead of as written; raw text monospace.
    text_rendered: bool = False
    text_monospace: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a broken or newer one an error."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RedlineError(
            f"the settings file cannot be read ({exc})",
            where=str(path),
            hint="fix or move the file away; Redline then starts with defaults",
        ) from exc
    if not isinstance(raw, dict):
        raise RedlineError("the settings file is not a JSON object", where=str(path))
    version = raw.pop("schema_version", SETTINGS_VERSION)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        raise RedlineError(
            f"the settings were written by a newer Redline (version {version})",
            where=str(path),
            hint="update Redline",
        )
    known = {f for f in Settings.__dataclass_fields__}
    values = {k: v for k, v in raw.items() if k in known}
    values.setdefault("extra", {}).update({k: v for k, v in raw.items() if k not in known})
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write settings atomically (a crash never leaves half a file)."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"schema_version": SETTINGS_VERSION, **asdict(settings)}
    extra = data.pop("extra")
    data.update(extra)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    Path(tmp).replace(path)
