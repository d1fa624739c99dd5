"""Logging to a rotating file in the user log dir.

What goes in: start-up, what was opened and imported (paths, counts), errors with
tracebacks. What never goes in: passwords or tokens (a filter masks anything that looks
like one, as a last line of defence), and sample content unless debug logging is on
(code logs sample text only at DEBUG level, and only through `content()`).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import stat
from pathlib import Path

from typing_extensions import override

from redline.settings import log_dir

__all__ = ["LOG_FILE_NAME", "content", "log_file", "setup_logging"]

LOG_FILE_NAME = "redline.log"
MAX_BYTES = 2_000_000
BACKUPS = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
_HANDLER_NAME = "redline-file"

# key=value, key: value and URL user:password@ forms of secrets.
_SECRET = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
)
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)")


def mask_secrets(text: str) -> str:
    """`text` with anything that looks like a password or token replaced by ***."""
    text = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}***{m.group(3)}", text)


class SecretMaskingFilter(logging.Filter):
    """Masks secrets in the formatted message (args included) before it is written."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _MaskingFormatter(logging.Formatter):
    # Tracebacks are formatted after the filter ran: mask them too.
    @override
    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


def content(text: str, *, limit: int = 200) -> str:
    """Sample text for a log line: only when debug logging is on, else a placeholder."""
    if logging.getLogger("redline").isEnabledFor(logging.DEBUG):
        return text[:limit]
    return f"<{len(text)} characters>"


def setup_logging(*, debug: bool = False, path: Path | None = None) -> Path:
    """Log `redline.*` to a rotating file; calling again adjusts the level (or the file)."""
    path = path or log_file()
    logger = logging.getLogger("redline")
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        if handler.get_name() == _HANDLER_NAME:
            if Path(getattr(handler, "baseFilename", "")) == path.absolute():
                return path
            # Another log dir (the XDG variables changed): switch files.
            logger.removeHandler(handler)
            handler.close()
    # Logs name files, profiles and (with debug on) sample text: the owner's only.
    # (An existing log dir of Redline's own is tightened too; a dir someone named with
    # `path` is theirs and left as it is.)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.parent == log_dir():
        path.parent.chmod(stat.S_IMODE(path.parent.stat().st_mode) & ~0o077)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_MaskingFormatter(_FORMAT))
    handler.addFilter(SecretMaskingFilter())
    logger.addHandler(handler)
    return path
