"""The theme: base.qss filled with light or dark tokens, following the system by default."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from redline.ui.resources import load_tokens, render_template, resource_path

__all__ = ["Theme", "ThemeName"]

ThemeName = Literal["light", "dark"]


class Theme(QObject):
    """Applies the style sheet and palette and tells widgets when the colours change.

    Widgets that draw colours themselves (the diff view, verdict icons) read `tokens`
    and listen to `changed`; everything else is styled by the style sheet.

    Signals:
        changed: the theme switched (new tokens are in `tokens`).
    """

    changed = Signal()

    def __init__(self, app: QApplication, *, setting: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._setting = setting
        self.name: ThemeName = "light"
        self.tokens: dict[str, str] = {}
        app.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self.apply()

    def resolve(self) -> ThemeName:
        """The theme to use now: the setting, or the system's colour scheme."""
        if self._setting in ("light", "dark"):
            return "dark" if self._setting == "dark" else "light"
        scheme = self._app.styleHints().colorScheme()
        return "dark" if scheme == Qt.ColorScheme.Dark else "light"

    def apply(self) -> None:
        """Load the tokens and (re)style the whole application."""
        self.name = self.resolve()
        self.tokens = load_tokens(self.name)
        template = resource_path("styles", "base.qss").read_text(encoding="utf-8")
        self._app.setStyle("Fusion")
        self._app.setPalette(self._palette())
        self._app.setStyleSheet(render_template(template, self.tokens))
        self.changed.emit()

    @property
    def setting(self) -> str:
        """What the user chose: "light", "dark" or "system"."""
        return self._setting

    def set_setting(self, setting: str) -> None:
        """Switch to "light", "dark" or "system"."""
        self._setting = setting
        self.apply()

    def color(self, token: str) -> QColor:
        return QColor(self.tokens[token])

    def _palette(self) -> QPalette:
        # The palette covers what the style sheet does not reach (menus, tooltips,
        # QTextBrowser's default link colour).
        t = self.tokens
        palette = QPalette()
        roles = {
            QPalette.ColorRole.Window: t["background"],
            QPalette.ColorRole.WindowText: t["text"],
            QPalette.ColorRole.Base: t["surface"],
            QPalette.ColorRole.AlternateBase: t["surface_alt"],
            QPalette.ColorRole.Text: t["text"],
            QPalette.ColorRole.Button: t["surface"],
            QPalette.ColorRole.ButtonText: t["text"],
            QPalette.ColorRole.Highlight: t["selection"],
            QPalette.ColorRole.HighlightedText: t["selection_text"],
            QPalette.ColorRole.ToolTipBase: t["surface"],
            QPalette.ColorRole.ToolTipText: t["text"],
            QPalette.ColorRole.PlaceholderText: t["text_muted"],
            QPalette.ColorRole.Link: t["focus"],
        }
        for role, value in roles.items():
            palette.setColor(role, QColor(value))
        return palette

    @Slot(Qt.ColorScheme)
    def _on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._setting not in ("light", "dark"):
            self.apply()


def current_theme() -> Theme | None:
    """The application's theme, if one was installed (tests may run without)."""
    app = QGuiApplication.instance()
    if app is None:
        return None
    theme = app.findChild(Theme)
    return theme if isinstance(theme, Theme) else None
