"""The one error type users see: what went wrong, where, and what to do next."""

from __future__ import annotations


class RedlineError(Exception):
    """An error a user can act on.

    Attributes:
        what: what went wrong, in plain words.
        where: the file, line, server or setting it concerns (may be empty).
        hint: what to do next (may be empty).
    """

    def __init__(self, what: str, *, where: str = "", hint: str = "") -> None:
        self.what = what
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as one line: ``where: what (hint)``."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text} ({self.hint})" if self.hint else text


class SchemaTooNewError(RedlineError):
    """The store was written by a newer Redline; nothing was touched."""
