"""The settings dialog (Ctrl+,), driven with clicks and keys, alone and from the window."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QWidget
from pytestqt.qtbot import QtBot
from tests.ui.conftest import MakeWindow
from tests.ui.helpers import cell

from redline.review.taxonomy import DEFAULT_CATEGORIES
from redline.settings import Settings, load_settings, save_settings, settings_path
from redline.ui.actions import ACTIONS
from redline.ui.dialogs.settings_dialog import SettingsDialog
from redline.ui.dialogs.shortcuts import ShortcutsDialog
from redline.ui.theme import Theme, current_theme


@pytest.fixture
def theme(qapp: QApplication) -> Iterator[Theme]:
    """The application theme, light, put back as it was afterwards."""
    existing = current_theme()
    palette, style_sheet = qapp.palette(), qapp.styleSheet()
    theme = existing or Theme(qapp, setting="light")
    before = theme.setting
    theme.set_setting("light")
    yield theme
    if existing is None:
        theme.setParent(None)
        theme.deleteLater()
        qapp.setPalette(palette)
        qapp.setStyleSheet(style_sheet)
    else:
        theme.set_setting(before)


def _open(qtbot: QtBot, settings: Settings, parent: QWidget | None = None) -> SettingsDialog:
    dialog = SettingsDialog(settings, parent)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def _click(qtbot: QtBot, dialog: SettingsDialog, which: QDialogButtonBox.StandardButton) -> None:
    button = dialog.buttons.button(which)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _save(qtbot: QtBot, dialog: SettingsDialog) -> None:
    with qtbot.waitSignal(dialog.accepted):
        _click(qtbot, dialog, QDialogButtonBox.StandardButton.Save)


def _row_of(action_id: str) -> int:
    return next(i for i, spec in enumerate(ACTIONS) if spec.id == action_id)


def _record_key(
    qtbot: QtBot,
    dialog: SettingsDialog,
    action_id: str,
    key: Qt.Key,
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Select the action in the table (a click) and press the new key in the key field."""
    page = dialog.shortcuts
    dialog.tabs.setCurrentWidget(page)
    table = page.table
    row = _row_of(action_id)
    table.scrollToItem(cell(table, row, 0))
    rect = table.visualItemRect(cell(table, row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.current_action() == action_id
    qtbot.mouseClick(page.key_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(page.key_edit, key, mods)
    # One key combination ends the recording at once (maximum sequence length 1).
    qtbot.waitUntil(lambda: page.key_edit.keySequence().isEmpty())


Drive = Callable[[SettingsDialog], None]


@pytest.fixture
def drive_preferences(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> Callable[[Drive], None]:
    """Make the window's Preferences open the real dialog (non-modally) and run `drive`
    on it, instead of blocking in exec()."""

    def install(drive: Drive) -> None:
        def ask(settings: Settings, parent: QWidget | None = None) -> set[str]:
            dialog = _open(qtbot, settings, parent)
            drive(dialog)
            return dialog.changed

        monkeypatch.setattr(SettingsDialog, "ask", staticmethod(ask))

    return install


# ------------------------------------------------------------------------ shortcuts


def test_a_rebound_key_works_in_the_window_and_shows_in_the_cheat_sheet(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[Any], drive_preferences: Any
) -> None:
    window = make_window()

    def rebind(dialog: SettingsDialog) -> None:
        _record_key(qtbot, dialog, "nav.next", Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
        assert "Ctrl+H" in cell(dialog.shortcuts.table, _row_of("nav.next"), 1).text()
        _save(qtbot, dialog)

    drive_preferences(rebind)
    qtbot.keyClick(
        window.focusWidget() or window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier
    )
    assert load_settings().shortcuts == {"nav.next": ["Ctrl+H"]}

    # J no longer moves; Ctrl+H does.
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_J)
    assert window.queue_view.currentIndex().row() == 0
    qtbot.keyClick(
        window.focusWidget() or window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: window.queue_view.currentIndex().row() == 1)

    sheet = ShortcutsDialog(window)
    qtbot.addWidget(sheet)
    row = sheet.action_ids().index("nav.next")
    assert sheet.table.item(row, 0).text() == "Ctrl+H"  # type: ignore[union-attr]

    # A new window (next start) builds its actions with the rebound key.
    again = make_window(settings=load_settings())
    assert [k.toString() for k in again.actions_by_id["nav.next"].shortcuts()] == ["Ctrl+H"]


def test_a_key_another_action_has_is_refused_with_a_message(
    qtbot: QtBot, reviewer: Settings
) -> None:
    dialog = _open(qtbot, reviewer)
    _record_key(qtbot, dialog, "nav.next", Qt.Key.Key_G)
    message = dialog.shortcuts.message.text()
    assert "G is already the key of “Verdict: good” (Review menu)" in message
    assert dialog.shortcuts.keymap["nav.next"] == ("J",)
    # "No key", then the freed key can go elsewhere; Default puts it back.
    qtbot.mouseClick(dialog.shortcuts.clear_button, Qt.MouseButton.LeftButton)
    assert dialog.shortcuts.keymap["nav.next"] == ()
    _record_key(qtbot, dialog, "nav.previous", Qt.Key.Key_J)
    assert dialog.shortcuts.keymap["nav.previous"] == ("J",)
    _save(qtbot, dialog)
    assert load_settings().shortcuts == {"nav.next": [], "nav.previous": ["J"]}


# -------------------------------------------------------------------------- theme


def test_choosing_dark_changes_the_palette_at_once_and_is_saved(
    qtbot: QtBot, reviewer: Settings, theme: Theme, qapp: QApplication
) -> None:
    light = qapp.palette().color(QPalette.ColorRole.Window)
    dialog = _open(qtbot, reviewer)
    combo = dialog.general.theme
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)  # the last entry: Dark
    assert combo.currentData() == "dark"
    assert theme.name == "dark"
    dark = qapp.palette().color(QPalette.ColorRole.Window)
    assert dark.lightness() < light.lightness()
    _save(qtbot, dialog)
    assert reviewer.theme == "dark"
    assert load_settings().theme == "dark"


# ----------------------------------------------------------------------- taxonomy


def test_taxonomy_edits_reach_the_review_panel(
    qtbot: QtBot,
    make_window: MakeWindow,
    sample_ids: list[Any],
    drive_preferences: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    assert tuple(window.review_panel.category_boxes) == DEFAULT_CATEGORIES
    window.review_panel.category_boxes["refusal"].setChecked(True)
    answers = iter([("billing error", True), ("Tone of voice", True)])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: next(answers)))

    def edit(dialog: SettingsDialog) -> None:
        page = dialog.taxonomy
        dialog.tabs.setCurrentWidget(page)

        def click(button: QWidget) -> None:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

        click(page.add_button)  # "billing error", at the end
        click(page.up_button)  # one place up
        page.list.setCurrentItem(page.list.findItems("tone", Qt.MatchFlag.MatchExactly)[0])
        click(page.rename_button)  # tone -> "Tone of voice"
        page.list.setCurrentRow(0)
        click(page.remove_button)  # hallucination goes
        _save(qtbot, dialog)

    drive_preferences(edit)
    window.open_preferences()
    expected = [
        "wrong language", "wrong format", "refusal", "unsafe", "incomplete", "off-topic",
        "billing error", "Tone of voice",
    ]  # fmt: skip
    assert list(window.review_panel.category_boxes) == expected
    assert window.review_panel.category_boxes["refusal"].isChecked()  # kept ticked
    assert load_settings().taxonomy == expected


# ------------------------------------------------------------------- cancel, redaction


def test_cancel_changes_nothing(
    qtbot: QtBot, reviewer: Settings, theme: Theme, qapp: QApplication
) -> None:
    before = dataclasses.asdict(reviewer)
    file_before = settings_path().read_bytes()
    palette_before = qapp.palette().color(QPalette.ColorRole.Window)
    dialog = _open(qtbot, reviewer)
    dialog.general.reviewer.clear()
    qtbot.keyClicks(dialog.general.reviewer, "Somebody else")
    dialog.general.theme.setCurrentIndex(dialog.general.theme.findData("dark"))
    assert theme.name == "dark"  # previewed...
    dialog.taxonomy.list.setCurrentRow(0)
    qtbot.mouseClick(dialog.taxonomy.remove_button, Qt.MouseButton.LeftButton)
    _record_key(qtbot, dialog, "nav.next", Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog.redaction.add_row("ticket", r"TCK-\d{6}")
    with qtbot.waitSignal(dialog.rejected):
        _click(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert dataclasses.asdict(reviewer) == before
    assert settings_path().read_bytes() == file_before
    assert theme.name == "light"  # ...and put back
    assert qapp.palette().color(QPalette.ColorRole.Window) == palette_before
    assert dialog.changed == set()


def test_a_bad_redaction_pattern_is_refused_where_it_is(qtbot: QtBot, reviewer: Settings) -> None:
    dialog = _open(qtbot, reviewer)
    page = dialog.redaction
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    row = page.table.rowCount() - 1
    page.table.item(row, 0).setText("ticket")  # type: ignore[union-attr]
    page.table.item(row, 1).setText("TCK-(\\d{6}")  # type: ignore[union-attr]
    _click(qtbot, dialog, QDialogButtonBox.StandardButton.Save)
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is page
    assert "'ticket' is not a valid regular expression" in dialog.error.text()
    assert load_settings().redaction_patterns == {}

    page.table.item(row, 1).setText("TCK-\\d{6}")  # type: ignore[union-attr]
    _save(qtbot, dialog)
    assert load_settings().redaction_patterns == {"ticket": "TCK-\\d{6}"}
    assert reviewer.redaction_patterns == {"ticket": "TCK-\\d{6}"}


def test_identity_and_role_are_saved(qtbot: QtBot, reviewer: Settings) -> None:
    dialog = _open(qtbot, reviewer)
    name = dialog.general.reviewer
    name.selectAll()
    qtbot.keyClicks(name, "Ada Lovelace")
    dialog.general.role.setCurrentIndex(dialog.general.role.findData("lead"))
    _save(qtbot, dialog)
    saved = load_settings()
    assert (saved.reviewer, saved.role, saved.device) == ("Ada Lovelace", "lead", "test-laptop")
    assert dialog.changed == {"reviewer", "role"}


def test_an_empty_name_is_refused(qtbot: QtBot, reviewer: Settings) -> None:
    dialog = _open(qtbot, reviewer)
    dialog.general.reviewer.clear()
    _click(qtbot, dialog, QDialogButtonBox.StandardButton.Save)
    assert dialog.isVisible()
    assert "your name cannot be empty" in dialog.error.text()
    dialog.reject()


def test_the_sync_tab_shows_the_shared_database_profile(qtbot: QtBot) -> None:
    settings = Settings(reviewer="ana", device="laptop")
    settings.profiles["team"] = {
        "host": "db.example.org", "port": 5432, "database": "redline", "user": "ana",
        "sslmode": "require",
    }  # fmt: skip
    save_settings(settings)
    dialog = _open(qtbot, settings)
    text = dialog.sync.summary.text()
    assert "ana@db.example.org:5432/redline" in text
    assert dialog.sync.edit_button.isEnabled()
    dialog.reject()
