"""One signal that carries what every write changed, so each screen refreshes only what it shows."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from redline.review.types import Changes

__all__ = ["ChangeHub"]


class ChangeHub(QObject):
    """Fans out the `Changes` value of each successful write (Anki's OpChanges idea).

    Signals:
        changed: a `redline.review.types.Changes` after a write committed.
    """

    changed = Signal(object)

    def publish(self, changes: Changes | None) -> None:
        """Announce `changes` (None, or an empty value, announces nothing)."""
        if changes is None:
            return
        if changes.sample_ids or changes.reviews or changes.samples or changes.prompts:
            self.changed.emit(changes)
