"""Show an error to the reviewer: what went wrong, where, and what to do next."""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from redline.errors import RedlineError

__all__ = ["ErrorDialog", "describe"]


def describe(exc: BaseException) -> tuple[str, str, str]:
    """(what, informative text, details) for a message box."""
    if isinstance(exc, RedlineError):
        lines = []
        if exc.where:
            lines.append(f"Where: {exc.where}")
        if exc.hint:
            lines.append(f"What next: {exc.hint}")
        return exc.what, "\n".join(lines), ""
    details = "".join(traceback.format_exception(exc))
    return (
        f"Something went wrong: {type(exc).__name__}: {exc}",
        "This is a bug in Redline. Nothing you submitted before this is lost; "
        "please report it with the details below.",
        details,
    )


class ErrorDialog(QMessageBox):
    """A modal message box for one exception (RedlineError shows what, where and hint)."""

    def __init__(
        self, exc: BaseException, parent: QWidget | None = None, *, title: str = ""
    ) -> None:
        super().__init__(parent)
        what, info, details = describe(exc)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(title or "Redline")
        self.setText(what)
        if info:
            self.setInformativeText(info)
        if details:
            self.setDetailedText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Ok)

    @classmethod
    def ask(cls, parent: QWidget | None, exc: BaseException, *, title: str = "") -> None:
        """Show the error and wait until the reviewer dismisses it."""
        dialog = cls(exc, parent, title=title)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
