"""The main window's size, place and dock layout, remembered between runs.

Qt's `saveGeometry`/`saveState` blobs go into `Settings.window_layout` (base64) when the
window closes and come back before it is shown. A restored geometry is checked against
the screens there are now: a window saved on a monitor that is gone, or bigger than the
screen it lands on, is moved and shrunk onto the primary screen.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

from redline.errors import RedlineError
from redline.settings import Settings, save_settings

__all__ = ["fit_to_screens", "restore_window_layout", "save_window_layout"]

log = logging.getLogger("redline.ui.window_layout")

# How much of the window's top edge (its title bar) must be on a screen for the user to
# be able to grab and move it.
MIN_VISIBLE_WIDTH = 120
TITLE_BAR_HEIGHT = 32


def _encode(blob: QByteArray) -> str:
    return bytes(blob.toBase64().data()).decode("ascii")


def _decode(text: object) -> QByteArray:
    if not isinstance(text, str) or not text:
        return QByteArray()
    return QByteArray.fromBase64(text.encode("ascii", errors="ignore"))


def save_window_layout(window: QMainWindow, settings: Settings) -> None:
    """Remember `window`'s geometry and dock layout in `settings` and save them.

    A settings file that cannot be written is logged, never an error: closing the
    window must not fail.
    """
    settings.window_layout = {
        "geometry": _encode(window.saveGeometry()),
        "state": _encode(window.saveState()),
    }
    try:
        save_settings(settings)
    except (OSError, RedlineError) as exc:
        log.warning("window layout not saved: %s", exc)


def restore_window_layout(window: QMainWindow, settings: Settings) -> bool:
    """Give `window` its remembered geometry and dock layout; False when there was none.

    Call before the window is shown and after its docks exist (they are matched by
    object name).
    """
    layout = settings.window_layout if isinstance(settings.window_layout, dict) else {}
    geometry = _decode(layout.get("geometry"))
    restored = bool(geometry.size()) and window.restoreGeometry(geometry)
    if restored:
        screens = [screen.availableGeometry() for screen in QGuiApplication.screens()]
        fitted = fit_to_screens(window.geometry(), screens)
        if fitted != window.geometry():
            log.info("restored window geometry was off screen; moved to %s", fitted)
            window.setGeometry(fitted)
    state = _decode(layout.get("state"))
    if state.size():
        restored = window.restoreState(state) or restored
    return restored


def fit_to_screens(rect: QRect, screens: list[QRect]) -> QRect:
    """`rect` if its title bar can be reached on one of `screens` and it fits there;
    otherwise the same size (shrunk to fit) centred on the first screen."""
    if not screens:
        return QRect(rect)
    title_bar = QRect(rect.x(), rect.y(), rect.width(), TITLE_BAR_HEIGHT)
    for screen in screens:
        visible = screen.intersected(title_bar)
        top_on_screen = screen.top() <= rect.top() <= screen.bottom()
        if top_on_screen and visible.width() >= min(MIN_VISIBLE_WIDTH, rect.width()):
            if rect.width() <= screen.width() and rect.height() <= screen.height():
                return QRect(rect)
            return _centred(rect, screen)
    return _centred(rect, screens[0])


def _centred(rect: QRect, screen: QRect) -> QRect:
    width = min(rect.width(), screen.width())
    height = min(rect.height(), screen.height())
    x = screen.x() + (screen.width() - width) // 2
    y = screen.y() + (screen.height() - height) // 2
    return QRect(x, y, width, height)
