"""Every keyboard action of the workstation, in one table.

The menus and the "?" cheat sheet are both generated from `ACTIONS`, so a key can never
be in one and missing from the other.

Single-key shortcuts (J, G, 1, /, ?) must not fire while the reviewer types a note, a
correction or a search. Qt gives the focused widget the first look at every shortcut
key (a `ShortcutOverride` event); editable text widgets accept it for printable keys, so
the letter is typed instead of triggering the action. `TypingGuard` adds a second line of
defence for any other editable widget, and the tests check both paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from redline.ui.workspaces import WORKSPACES

# The actions that act on the sample in the review tab: off while another tab shows.
REVIEW_MENUS = ("Review", "Navigate")

__all__ = [
    "ACTIONS",
    "MENUS",
    "REVIEW_MENUS",
    "ActionSpec",
    "build_actions",
    "build_menus",
    "is_typing",
]

MENUS = ("File", "Review", "Navigate", "View", "Help")


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action: its id, menu text, keys (the first is the one shown), menu and handler.

    `handler` names a method of the window the actions are built for; `args` are passed
    to it.
    """

    id: str
    text: str
    keys: tuple[str, ...]
    menu: str
    handler: str
    args: tuple[object, ...] = ()
    help: str = ""

    @property
    def single_key(self) -> bool:
        """A key without Ctrl/Alt/Meta: it would be typed in a text field."""
        key = self.keys[0]
        parts = key.split("+") if len(key) > 1 else [key]
        modifiers = {p.lower() for p in parts[:-1]} - {"shift"}
        named = len(parts[-1]) > 1  # Esc, F1, Return, Delete: never typed as text
        return not modifiers and not named

    def shortcut_text(self) -> str:
        """The first key as the platform shows it (Ctrl+Return, ⌘↩ on macOS)."""
        return QKeySequence(self.keys[0]).toString(QKeySequence.SequenceFormat.NativeText)


def _rating(n: int) -> ActionSpec:
    return ActionSpec(
        f"review.rate{n}", f"Rating {n}", (str(n),), "Review", "set_rating", (n,),
        help="1 = unacceptable … 5 = excellent",
    )  # fmt: skip


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.import", "&Import…", ("Ctrl+I",), "File", "import_file",
               help="import production outputs (JSONL, CSV, Parquet); or drop a file"),
    ActionSpec("file.quit", "&Quit", ("Ctrl+Q",), "File", "close"),
    ActionSpec("nav.next", "&Next sample", ("J",), "Navigate", "next_sample"),
    ActionSpec("nav.previous", "&Previous sample", ("K",), "Navigate", "previous_sample"),
    ActionSpec("nav.skip", "&Skip", ("S",), "Navigate", "skip_sample",
               help="leave this sample unreviewed and go to the next"),
    ActionSpec("nav.search", "&Search…", ("/",), "Navigate", "focus_search"),
    ActionSpec("nav.queue", "Back to the &queue", ("Esc",), "Navigate", "focus_queue",
               help="leave a text field so single keys work again"),
    ActionSpec("review.good", "Verdict: &good", ("G",), "Review", "set_verdict", ("good",)),
    ActionSpec("review.bad", "Verdict: &bad", ("B",), "Review", "set_verdict", ("bad",)),
    ActionSpec("review.unsure", "Verdict: &unsure", ("U",), "Review", "set_verdict",
               ("unsure",)),
    *(_rating(n) for n in range(1, 6)),
    ActionSpec("review.edit", "&Edit correction", ("E",), "Review", "edit_correction",
               help="write the output the model should have given"),
    ActionSpec("review.note", "Write a &note", ("N",), "Review", "edit_note"),
    ActionSpec("review.flag", "&Flag for a lead", ("F",), "Review", "toggle_flag"),
    ActionSpec("review.submit", "Su&bmit and next", ("Ctrl+Return", "Ctrl+Enter"), "Review",
               "submit_review", help="works inside the note and correction too"),
    ActionSpec("review.undo", "&Undo last review", ("Ctrl+Z",), "Review", "undo_review"),
    ActionSpec("review.redo", "&Redo review", ("Ctrl+Shift+Z",), "Review", "redo_review"),
    ActionSpec("view.guidelines", "&Guidelines", ("Ctrl+G",), "View", "toggle_guidelines"),
    ActionSpec("view.review", "&Review queue", ("Ctrl+1",), "View", "show_workspace",
               ("review",)),
    *(
        ActionSpec(f"view.{w.key}", w.title, (f"Ctrl+{n}",), "View", "show_workspace", (w.key,))
        for n, w in enumerate(WORKSPACES, start=2)
    ),
    ActionSpec("help.shortcuts", "&Keyboard shortcuts", ("?",), "Help", "show_shortcuts"),
)  # fmt: skip


def is_typing(widget: QWidget | None) -> bool:
    """Whether keys pressed in `widget` are text the user is typing."""
    if widget is None:
        return False
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, QAbstractSpinBox)


def _make_trigger(spec: ActionSpec, handler: Callable[..., object]) -> Callable[[], None]:
    def trigger() -> None:
        # Second line of defence (see the module docstring): a single key that reached us
        # while a text field has focus was meant as text.
        if spec.single_key and is_typing(QApplication.focusWidget()):
            return
        handler(*spec.args)

    return trigger


def build_actions(window: QWidget) -> dict[str, QAction]:
    """Create the QActions for `window` (which has every handler) and add them to it.

    Shortcuts use `Qt.WindowShortcut`: they work wherever focus is inside the window,
    never in a dialog on top of it.
    """
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, window)
        action.setObjectName(spec.id)
        action.setShortcuts([QKeySequence(k) for k in spec.keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.help:
            action.setStatusTip(spec.help)
        handler = getattr(window, spec.handler)
        action.triggered.connect(_make_trigger(spec, handler))
        window.addAction(action)
        actions[spec.id] = action
    return actions


def build_menus(menubar: QMenuBar, actions: dict[str, QAction]) -> None:
    """Fill `menubar` from the table, one menu per `MENUS` entry, in table order."""
    for name in MENUS:
        menu = menubar.addMenu(QCoreApplication.translate("menu", f"&{name}"))
        for spec in ACTIONS:
            if spec.menu == name:
                menu.addAction(actions[spec.id])
