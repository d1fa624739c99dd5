"""What every command of the command line shares: exit codes, the terminal progress line,
Ctrl+C handling, opening the local store, the reviewer's name and plain-text tables.

`redline.cli` (the entry point) and each `redline.commands.*` module import this; the
command modules never import `redline.cli`. A command module exposes
`register(commands, common) -> {name: handler}` (see `Registrar`).

Kept light: `redline --help` imports this, so nothing heavy (SQLAlchemy, pandas, Qt) is
imported at module level.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO, TypeAlias

from typing_extensions import override

from redline.errors import RedlineError
from redline.progress import CancelToken
from redline.settings import default_store_path, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "EXIT_CANCELLED",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_UNEXPECTED",
    "Handler",
    "Registrar",
    "Subparsers",
    "TerminalProgress",
    "cancel_on_interrupt",
    "fmt_count",
    "open_store",
    "print_table",
    "reviewer_name",
    "store_path",
]

# Exit codes (the `redline.cli` docstring says when each is returned).
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_ERROR = 2
EXIT_CANCELLED = 130

Handler: TypeAlias = Callable[[argparse.Namespace], int]
"""A command: the parsed arguments in, the exit code out."""

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The object `add_subparsers` returns, which command modules add their parsers to."""

Registrar: TypeAlias = Callable[[Subparsers, argparse.ArgumentParser], dict[str, Handler]]
"""A command module's `register(commands, common)`: adds its parsers to `commands` (each
with `parents=[common]`, the global options) and returns {command name: handler}."""


# --------------------------------------------------------------------------- progress


class TerminalProgress(CancelToken):
    """Progress as one updating line on a terminal (nothing when not a terminal).

    Cancelling (Ctrl+C, see `cancel_on_interrupt`) sets the token; the service stops at
    its next check and raises Cancelled.
    """

    def __init__(self, stream: TextIO, *, enabled: bool | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.enabled = _isatty(stream) if enabled is None else enabled
        self._last_draw = 0.0
        self._width = 0

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        if not self.enabled:
            return
        now = time.monotonic()
        # Redraw at most 10 times a second: a terminal is slower than an import.
        if now - self._last_draw < 0.1 and not (total and done >= total):
            return
        self._last_draw = now
        percent = f"{100 * done // total:3d}% " if total else ""
        line = f"{percent}{text}".rstrip()
        columns = _terminal_columns(self.stream)
        line = line[: columns - 1]
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        """Erase the progress line (before printing results)."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


@contextmanager
def cancel_on_interrupt(progress: TerminalProgress) -> Iterator[None]:
    """While inside: the first Ctrl+C asks the service to stop cleanly, the second
    stops at once (KeyboardInterrupt; the open transaction rolls back)."""

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if progress.cancelled():
            raise KeyboardInterrupt
        progress.cancel()
        progress.clear()
        print(
            "redline: cancelling after the current chunk (Ctrl+C again to stop at once)",
            file=progress.stream,
            flush=True,
        )

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: leave Ctrl+C alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --------------------------------------------------------------------------- store, settings


def store_path(args: argparse.Namespace) -> Path:
    """The local store the command works on: `--store`, else the default one."""
    store: Path | None = getattr(args, "store", None)
    return store if store is not None else default_store_path()


def open_store(args: argparse.Namespace, *, create: bool) -> Engine:
    """The store's engine. Commands that only read refuse to create a store."""
    # Imported here: opening a store loads SQLAlchemy, which `--help` does not need.
    from redline.store.local import open_local_store

    path = store_path(args)
    if not create and not path.exists():
        raise RedlineError(
            "there is no store here yet",
            where=str(path),
            hint="import a file (`redline import FILE`) or try `redline demo`",
        )
    return open_local_store(path)


def reviewer_name() -> str:
    """Who is running the command (the settings' reviewer name)."""
    return load_settings().reviewer


# --------------------------------------------------------------------------- output


def fmt_count(value: int) -> str:
    """A count with thousands separators: 12,345."""
    return f"{value:,}"


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = ()
) -> None:
    """Print `rows` under `header` in aligned columns (those in `numeric` to the right)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(cell).rjust(widths[i]) if i in numeric else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    print(fmt(header))
    for row in rows:
        print(fmt(row))
