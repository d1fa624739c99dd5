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

from collections.abc import Callable, Mapping, Sequence
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
    "Keymap",
    "apply_keymap",
    "build_actions",
    "build_menus",
    "default_keymap",
    "effective_keymap",
    "find_conflict",
    "is_single_key",
    "is_typing",
    "portable_key",
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
    # A QKeySequence.StandardKey name ("Redo", "Find"): the platform's own keys for it
    # are added to `keys` when the actions are built (Ctrl+Y for redo on Windows).
    standard: str = ""

    @property
    def single_key(self) -> bool:
        """A key without Ctrl/Alt/Meta: it would be typed in a text field."""
        return is_single_key(self.keys[0])

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
    ActionSpec("file.sync", "&Sync now", ("Ctrl+Shift+S",), "File", "sync_now",
               help="push your reviews to the shared database and pull the team's"),
    ActionSpec("file.connection", "Co&nnection…", ("Ctrl+Shift+D",), "File", "edit_connection",
               help="the shared database: host, login, password (kept in the keyring)"),
    ActionSpec("file.shared_admin", "Shared database &admin…", ("Ctrl+Shift+A",), "File",
               "open_shared_admin", help="leads: set up or upgrade the shared database, logins"),
    ActionSpec("file.preferences", "&Preferences…", ("Ctrl+,",), "File", "open_preferences",
               help="identity, theme, taxonomy, shortcuts, sync, redaction",
               standard="Preferences"),
    ActionSpec("file.quit", "&Quit", ("Ctrl+Q",), "File", "close", standard="Quit"),
    ActionSpec("nav.next", "&Next sample", ("J",), "Navigate", "next_sample"),
    ActionSpec("nav.previous", "&Previous sample", ("K",), "Navigate", "previous_sample"),
    ActionSpec("nav.skip", "&Skip", ("S",), "Navigate", "skip_sample",
               help="leave this sample unreviewed and go to the next"),
    ActionSpec("nav.search", "&Search…", ("/", "Ctrl+F"), "Navigate", "focus_search",
               standard="Find"),
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
    ActionSpec("review.undo", "&Undo last review", ("Ctrl+Z",), "Review", "undo_review",
               standard="Undo"),
    ActionSpec("review.redo", "&Redo review", ("Ctrl+Shift+Z",), "Review", "redo_review",
               standard="Redo"),
    ActionSpec("view.guidelines", "&Guidelines", ("Ctrl+G",), "View", "toggle_guidelines"),
    ActionSpec("view.edit_guidelines", "&Edit guidelines…", ("Ctrl+Shift+G",), "View",
               "edit_guidelines", help="the shown prompt's guidelines; Ctrl+S saves, Esc cancels"),
    ActionSpec("view.rendered", "&Rendered Markdown", ("M",), "View", "toggle_rendered_text",
               help="the sample's texts rendered, links with their targets; again: as written"),
    ActionSpec("view.monospace", "&Monospace text", ("Ctrl+Shift+M",), "View",
               "toggle_monospace_text", help="the raw texts in a fixed-width font"),
    ActionSpec("view.theme", "Switch &theme", ("Ctrl+Shift+T",), "View", "cycle_theme",
               help="system → light → dark"),
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


def _make_trigger(
    spec: ActionSpec, handler: Callable[..., object], action: QAction
) -> Callable[[], None]:
    def trigger() -> None:
        # Second line of defence (see the module docstring): a single key that reached us
        # while a text field has focus was meant as text. The action's current keys
        # count (the reviewer may have rebound them); an action that also has a Ctrl key
        # (search: "/" and Ctrl+F) relies on the text widgets' ShortcutOverride alone.
        keys = [k.toString(_PORTABLE) for k in action.shortcuts()]
        if keys and all(map(is_single_key, keys)) and is_typing(QApplication.focusWidget()):
            return
        handler(*spec.args)

    return trigger


def build_actions(
    window: QWidget, shortcuts: Mapping[str, Sequence[str]] | None = None
) -> dict[str, QAction]:
    """Create the QActions for `window` (which has every handler) and add them to it.

    `shortcuts` are the reviewer's rebound keys (`Settings.shortcuts`, action id ->
    keys), applied over the table's defaults (see `effective_keymap`).
    Shortcuts use `Qt.WindowShortcut`: they work wherever focus is inside the window,
    never in a dialog on top of it.
    """
    keymap = effective_keymap(shortcuts)
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, window)
        action.setObjectName(spec.id)
        action.setShortcuts([QKeySequence(k) for k in keymap[spec.id]])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.help:
            action.setStatusTip(spec.help)
        handler = getattr(window, spec.handler)
        action.triggered.connect(_make_trigger(spec, handler, action))
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


# ====================================================================== the keymap

# Keys are stored and compared as Qt's portable text ("Ctrl+Shift+Z"), which reads the
# same on every platform (Ctrl is Cmd on macOS) and round-trips through QKeySequence.
_PORTABLE = QKeySequence.SequenceFormat.PortableText

Keymap = dict[str, tuple[str, ...]]
"""Action id -> its keys, the first one shown in menus."""


def portable_key(key: str) -> str:
    """`key` in Qt's portable text ("ctrl+f" -> "Ctrl+F"); "" when Qt cannot read it."""
    return QKeySequence(key).toString(_PORTABLE)


def is_single_key(key: str) -> bool:
    """A key without Ctrl/Alt/Meta that is a character: it would be typed in a text field.

    Named keys (Esc, F1, Return, Delete) are never typed as text.
    """
    sequence = QKeySequence(key)
    if sequence.isEmpty():
        return False
    combination = sequence[0]  # type: ignore[index]  # QKeySequence has operator[]
    modifiers = combination.keyboardModifiers() & ~Qt.KeyboardModifier.ShiftModifier
    named = combination.key().value >= Qt.Key.Key_Escape.value
    return modifiers == Qt.KeyboardModifier.NoModifier and not named


def _platform_keys(standard: str) -> list[str]:
    """The platform's keys for a QKeySequence.StandardKey (needs a QGuiApplication)."""
    found: list[str] = []
    for sequence in QKeySequence.keyBindings(getattr(QKeySequence.StandardKey, standard)):
        combination = sequence[0]  # type: ignore[index]  # QKeySequence has operator[]
        # Only Ctrl (Cmd on macOS) combinations: the platform also lists Alt+Backspace
        # and media keys for undo/redo, which would take back a review by accident.
        if sequence.count() == 1 and combination.keyboardModifiers() & (
            Qt.KeyboardModifier.ControlModifier
        ):
            found.append(sequence.toString(_PORTABLE))
    return found


def default_keymap() -> Keymap:
    """The table's keys, plus each action's standard platform keys no other action uses."""
    taken = {portable_key(k) for spec in ACTIONS for k in spec.keys}
    keymap: Keymap = {}
    for spec in ACTIONS:
        keys = [portable_key(k) for k in spec.keys]
        for key in _platform_keys(spec.standard) if spec.standard else []:
            if key not in taken:
                keys.append(key)
                taken.add(key)
        keymap[spec.id] = tuple(keys)
    return keymap


def effective_keymap(overrides: Mapping[str, Sequence[str]] | None = None) -> Keymap:
    """The defaults with the reviewer's rebound keys on top.

    A rebound key wins over a default one (a newer Redline may give a new action a key
    the reviewer already chose): the default loses it. Unknown action ids, keys Qt cannot
    read and repeats in a hand-edited file are dropped, never an error.
    """
    keymap = default_keymap()
    chosen: Keymap = {}
    used: set[str] = set()
    for action_id, keys in (overrides or {}).items():
        if action_id not in keymap or not isinstance(keys, list | tuple):
            continue
        clean = [portable_key(k) for k in keys if isinstance(k, str)]
        clean = [k for k in dict.fromkeys(clean) if k and k not in used]
        used.update(clean)
        chosen[action_id] = tuple(clean)
    for action_id, keys in keymap.items():
        keymap[action_id] = chosen.get(action_id, tuple(k for k in keys if k not in used))
    return keymap


def find_conflict(
    keymap: Mapping[str, Sequence[str]], action_id: str, key: str
) -> ActionSpec | None:
    """The other action that already has `key` in `keymap`, or None."""
    wanted = portable_key(key)
    for spec in ACTIONS:
        if spec.id != action_id and wanted in keymap.get(spec.id, ()):
            return spec
    return None


def apply_keymap(actions: Mapping[str, QAction], keymap: Mapping[str, Sequence[str]]) -> None:
    """Set every action's keys from `keymap` (after the reviewer rebound some)."""
    for action_id, action in actions.items():
        action.setShortcuts([QKeySequence(k) for k in keymap.get(action_id, ())])
