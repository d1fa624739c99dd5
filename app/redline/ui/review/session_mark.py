"""A mark on disk while a review session is open, so the next start knows it crashed.

The mark is written when the review window starts and removed when it closes cleanly; a
`kill -9` or a power cut leaves it behind, and the next window then reopens on the sample
with the reviewer's newest draft instead of the first unreviewed one.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from redline.settings import data_dir

__all__ = ["SessionMark"]


class SessionMark:
    """The open-session mark of one reviewer on one store (`store_key`, e.g. its URL)."""

    def __init__(self, store_key: str, reviewer: str, folder: Path | None = None) -> None:
        digest = hashlib.sha256(f"{store_key}\n{reviewer}".encode()).hexdigest()[:16]
        self.path = (folder if folder is not None else data_dir()) / f"session-{digest}.open"

    def begin(self) -> bool:
        """Mark the session open; True if the previous one did not close cleanly."""
        crashed = self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("open\n", encoding="utf-8")
        except OSError:
            # No writable data dir: the app still works, only crash recovery is lost.
            pass
        return crashed

    def end(self) -> None:
        """The session closed cleanly: remove the mark."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)
