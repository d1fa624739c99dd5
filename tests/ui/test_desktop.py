"""Desktop behaviour: remembered geometry and docks, the theme switch, platform keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from tests.ui.conftest import MakeWindow

from redline.settings import Settings, load_settings
from redline.ui.dialogs.settings_dialog import SettingsDialog
from redline.ui.theme import Theme, current_theme
from redline.ui.window_layout import fit_to_screens


@pytest.fixture
def theme(qapp: QApplication) -> Iterator[Theme]:
    existing = current_theme()
    palette, style_sheet = qapp.palette(), qapp.styleSheet()
    theme = existing or Theme(qapp, setting="system")
    before = theme.setting
    yield theme
    if existing is None:
        theme.setParent(None)
        theme.deleteLater()
        qapp.setPalette(palette)
        qapp.setStyleSheet(style_sheet)
    else:
        theme.set_setting(before)


def _press(qtbot: QtBot, window: Any, key: Qt.Key, mods: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(window.focusWidget() or window, key, mods)


def test_size_place_and_docks_come_back_in_the_next_window(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[Any]
) -> None:
    first = make_window()
    first.resize(700, 480)
    first.move(40, 30)
    _press(qtbot, first, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)  # guidelines
    assert first.guidelines_dock.isVisible()
    height = first.height()  # 480, or the window's minimum if that is more
    assert height < 600  # not the default 900 (the offscreen screen is 800×600)
    first.close()
    saved = load_settings()
    assert set(saved.window_layout) == {"geometry", "state"}

    second = make_window(settings=saved)
    # The height is the one left; the width is at least the panes' minimum, which on
    # the offscreen test screen (800 px wide) is wider than any width one can leave.
    assert second.height() == height
    assert second.guidelines_dock.isVisible()
    assert second.actions_by_id["view.guidelines"].isChecked()


def test_a_window_saved_off_screen_comes_back_on_screen(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[Any]
) -> None:
    first = make_window()
    first.resize(600, 400)
    first.move(20_000, 15_000)  # a monitor that is gone
    first.close()
    second = make_window(settings=load_settings())
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert screen.intersects(second.geometry())
    assert screen.contains(second.geometry().topLeft())


def test_fit_to_screens_keeps_a_reachable_window_and_moves_a_lost_one() -> None:
    left, right = QRect(0, 0, 1920, 1080), QRect(1920, 0, 1280, 1024)
    on_right = QRect(2000, 100, 800, 600)
    assert fit_to_screens(on_right, [left, right]) == on_right
    # The right monitor was unplugged: centred on the first screen, same size.
    assert fit_to_screens(on_right, [left]) == QRect(560, 240, 800, 600)
    # Title bar above the screen (cannot be grabbed): moved.
    assert fit_to_screens(QRect(100, -500, 800, 600), [left]).top() >= 0
    # Bigger than the screen it is on: shrunk to fit.
    assert fit_to_screens(QRect(0, 0, 3000, 2000), [left]) == left


def test_the_theme_switch_cycles_and_is_saved(
    qtbot: QtBot, make_window: MakeWindow, sample_ids: list[Any], theme: Theme
) -> None:
    window = make_window()
    assert window.settings.theme == "system"
    seen = []
    for _ in range(3):
        _press(
            qtbot,
            window,
            Qt.Key.Key_T,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        seen.append((window.settings.theme, load_settings().theme, theme.setting))
    assert seen == [("light",) * 3, ("dark",) * 3, ("system",) * 3]
    assert "Theme: follow the system" in window.statusBar().currentMessage()
    view_menu = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    assert window.actions_by_id["view.theme"] in view_menu.actions()


def test_standard_platform_keys(
    qtbot: QtBot,
    make_window: MakeWindow,
    sample_ids: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Settings] = []

    def ask(settings: Settings, parent: QWidget | None = None) -> set[str]:
        opened.append(settings)
        return set()

    monkeypatch.setattr(SettingsDialog, "ask", staticmethod(ask))
    window = make_window()
    keys = {
        action_id: [k.toString() for k in window.actions_by_id[action_id].shortcuts()]
        for action_id in ("file.preferences", "file.quit", "nav.search", "review.redo")
    }
    assert keys["file.preferences"][0] == "Ctrl+,"
    assert keys["file.quit"] == ["Ctrl+Q"]
    assert keys["nav.search"] == ["/", "Ctrl+F"]
    redo = [
        QKeySequence(k).toString() for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
    ]
    if "Ctrl+Y" in redo:  # Windows and KDE-style platforms (this one offscreen)
        assert "Ctrl+Y" in keys["review.redo"]
    assert keys["review.redo"][0] == "Ctrl+Shift+Z"

    _press(qtbot, window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert opened == [window.settings]
    _press(qtbot, window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.filter_bar.isAncestorOf(QApplication.focusWidget()))
