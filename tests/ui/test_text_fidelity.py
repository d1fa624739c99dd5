"""What the reviewer sees is what the model said: raw text by default, rendered one key away."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, insert
from tests.builders import add_batch

from redline.settings import load_settings
from redline.store.models import Sample
from redline.ui.dialogs.shortcuts import ShortcutsDialog
from redline.ui.main_window import MainWindow
from redline.ui.resources import load_tokens

from .conftest import MakeWindow, sample_values

# Everything a Markdown renderer rewrites or hides, in one answer.
TRICKY = (
    "2*3*4 = 24\n"
    "# not a heading\n"
    "<b>bold?</b> <script>alert(1)</script>\n"
    '```json\n{"ok": true}\n```\n'
    "See [the docs](http://evil.example/).\n"
    "zero\u200bwidth \u202eevil\ufeff\tend  \n"
    "last"
)


def _store_with(engine: Engine, output: str, *, system: str | None = None) -> uuid.UUID:
    values = sample_values(1, add_batch(engine))  # a plain (not chat) input
    values["output"] = output
    values["input_text"] = "Reply with JSON only.\u200d"
    values["system_prompt"] = system
    with engine.begin() as conn:
        conn.execute(insert(Sample), [values])
    return uuid.UUID(str(values["id"]))


def _press(qtbot: QtBot, window: MainWindow, key: Qt.Key, mods: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(window.focusWidget() or window, key, mods)


def _marker_colours(document: QTextDocument) -> set[str]:
    colours: set[str] = set()
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if "⟨U+" in fragment.text():
                colours.add(fragment.charFormat().foreground().color().name())
            fragments += 1
        block = block.next()
    return colours


def test_output_is_raw_by_default_and_rendered_one_key_away(
    qtbot: QtBot, make_window: MakeWindow, engine: Engine
) -> None:
    _store_with(engine, TRICKY, system="Be\u00a0brief.")
    window = make_window()
    shown = window.sample_view.output.toPlainText()
    # As written: emphasis, headings, tags, fences and link targets all stay.
    for raw in ("2*3*4 = 24", "# not a heading", "<b>bold?</b>", "<script>alert(1)</script>",
                '```json\n{"ok": true}\n```', "[the docs](http://evil.example/)"):  # fmt: skip
        assert raw in shown
    # What cannot be seen is marked: zero-width space, bidi override, BOM, tab, and
    # the two trailing spaces.
    assert "zero⟨U+200B⟩width ⟨U+202E⟩evil⟨U+FEFF⟩→\tend··\nlast" in shown
    # The markers have their own style (text.css, theme tokens), not the text's colour.
    assert _marker_colours(window.sample_view.output.document()) == {
        load_tokens("light")["marker_text"]
    }
    # The input and the system prompt are shown as written, with markers, too.
    (turn,) = window.sample_view.turn_labels()
    assert "⟨U+200D⟩" in turn.text()
    assert window.sample_view.system_text.toPlainText() == "Be⟨U+00A0⟩brief."

    # M: rendered, with every link's target written out.
    _press(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.NoModifier)
    rendered = window.sample_view.output.toPlainText()
    assert "the docs (http://evil.example/)" in rendered
    assert "<b>" not in rendered and "2*3*4" not in rendered
    assert window.actions_by_id["view.rendered"].isChecked()
    assert load_settings().text_rendered  # remembered ...

    # ... in the next window too.
    window.close()
    again = make_window()
    assert "the docs (http://evil.example/)" in again.sample_view.output.toPlainText()
    assert again.actions_by_id["view.rendered"].isChecked()

    # M again: as written; Ctrl+Shift+M: in a fixed-width font.
    _press(qtbot, again, Qt.Key.Key_M, Qt.KeyboardModifier.NoModifier)
    assert "2*3*4 = 24" in again.sample_view.output.toPlainText()
    assert not load_settings().text_rendered
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    _press(qtbot, again, Qt.Key.Key_M, mods)
    assert load_settings().text_monospace
    first = again.sample_view.output.document().begin().begin().fragment()
    assert "monospace" in first.charFormat().fontFamilies()


def test_the_cheat_sheet_lists_the_rendered_view_key(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    rows = {
        dialog.table.item(r, 1).text().split(" — ")[0]: dialog.table.item(r, 0).text()  # type: ignore[union-attr]
        for r in range(dialog.table.rowCount())
    }
    assert rows["Rendered Markdown"] == "M"
