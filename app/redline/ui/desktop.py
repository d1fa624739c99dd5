"""What makes the main window behave like a desktop program: preferences, the theme
switch, and a window that reopens where it was left.

`DesktopActions` is composed by `MainWindow` (kept apart so the window's module stays
about its layout): it is given the window and the parts of it these actions touch.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow

from redline.errors import RedlineError
from redline.profiles import active_profile_name
from redline.review.taxonomy import categories
from redline.roles import Role, parse_role
from redline.settings import Settings, save_settings
from redline.ui.actions import apply_keymap, effective_keymap
from redline.ui.dialogs.settings_dialog import SettingsDialog
from redline.ui.sync.admin import AdminDialog
from redline.ui.sync.status import SyncWidget
from redline.ui.tasks import TaskRunner
from redline.ui.theme import current_theme
from redline.ui.widgets.review_panel import ReviewPanel
from redline.ui.widgets.sample_view import SampleView
from redline.ui.window_layout import restore_window_layout, save_window_layout

__all__ = ["THEME_CYCLE", "DesktopActions"]

THEME_CYCLE = ("system", "light", "dark")
THEME_NAMES = {"system": "follow the system", "light": "light", "dark": "dark"}
# Actions a reviewer is not offered (the shared database refuses their work anyway).
LEAD_ONLY_ACTIONS = ("file.shared_admin",)


class DesktopActions:
    """Preferences (Ctrl+,), the theme switch (Ctrl+Shift+T), remembered layout, and
    the lead's shared database admin (Ctrl+Shift+A, offered to leads only)."""

    def __init__(
        self,
        window: QMainWindow,
        *,
        settings: Settings,
        actions_by_id: dict[str, QAction],
        review_panel: ReviewPanel,
        sample_view: SampleView,
        sync_widget: SyncWidget,
        guidelines_dock: QDockWidget,
        runner: TaskRunner,
    ) -> None:
        self.window = window
        self.settings = settings
        self.actions_by_id = actions_by_id
        self.review_panel = review_panel
        self.sample_view = sample_view
        self.sync_widget = sync_widget
        self.guidelines_dock = guidelines_dock
        self.runner = runner

    def restore_layout(self) -> None:
        """Geometry and docks as saved when the window last closed (before show)."""
        restore_window_layout(self.window, self.settings)
        self.actions_by_id["view.guidelines"].setChecked(not self.guidelines_dock.isHidden())
        # Runs once, right after the actions are built: offer only what the role may use.
        self.offer_role_actions()
        for action_id in ("view.rendered", "view.monospace"):
            self.actions_by_id[action_id].setCheckable(True)
        self._apply_text_mode()

    def save_layout(self) -> None:
        save_window_layout(self.window, self.settings)

    def open_preferences(self) -> None:
        """Ctrl+,: the settings dialog; what it saved applies at once."""
        window = self.window
        self.review_panel.flush_draft()
        profile_before = (dict(self.settings.profiles), active_profile_name(self.settings))
        changed = SettingsDialog.ask(self.settings, window)
        if "taxonomy" in changed:
            self.review_panel.set_taxonomy(categories(self.settings))
        if "shortcuts" in changed:
            apply_keymap(self.actions_by_id, effective_keymap(self.settings.shortcuts))
        if "role" in changed:
            self.offer_role_actions()
        profile_after = (dict(self.settings.profiles), active_profile_name(self.settings))
        if profile_after != profile_before:
            self.sync_widget.profile_changed()
        if changed & {"reviewer", "device"}:
            window.statusBar().showMessage(
                "Settings saved. Your new name or device applies when Redline restarts.",
                8000,
            )
        elif changed:
            window.statusBar().showMessage("Settings saved.", 3000)

    def cycle_theme(self) -> None:
        """Ctrl+Shift+T: system → light → dark → system, applied and saved."""
        current = self.settings.theme if self.settings.theme in THEME_CYCLE else "system"
        new = THEME_CYCLE[(THEME_CYCLE.index(current) + 1) % len(THEME_CYCLE)]
        self.settings.theme = new
        theme = current_theme()
        if theme is not None:
            theme.set_setting(new)
        message = f"Theme: {THEME_NAMES[new]}."
        try:
            save_settings(self.settings)
        except (OSError, RedlineError) as exc:
            message += f" (Not saved: {exc}.)"
        self.window.statusBar().showMessage(message, 4000)

    def toggle_rendered_text(self) -> None:
        """M: the sample's texts rendered (Markdown) or as written; remembered."""
        self.settings.text_rendered = not self.settings.text_rendered
        self._apply_text_mode()
        rendered = self.settings.text_rendered
        shown = "rendered (links show their target)" if rendered else "as written"
        self._save_settings(f"Texts: {shown}.")

    def toggle_monospace_text(self) -> None:
        """Ctrl+Shift+M: the raw texts in a fixed-width font or not; remembered."""
        self.settings.text_monospace = not self.settings.text_monospace
        self._apply_text_mode()
        font = "a fixed-width" if self.settings.text_monospace else "the normal"
        self._save_settings(f"Raw text in {font} font.")

    def _apply_text_mode(self) -> None:
        rendered, monospace = self.settings.text_rendered, self.settings.text_monospace
        self.actions_by_id["view.rendered"].setChecked(rendered)
        self.actions_by_id["view.monospace"].setChecked(monospace)
        self.sample_view.set_text_mode(rendered=rendered, monospace=monospace)

    def _save_settings(self, message: str) -> None:
        try:
            save_settings(self.settings)
        except (OSError, RedlineError) as exc:
            message += f" (Not saved: {exc}.)"
        self.window.statusBar().showMessage(message, 4000)

    def is_lead(self) -> bool:
        try:
            return parse_role(self.settings.role) is Role.LEAD
        except RedlineError:
            return False

    def offer_role_actions(self) -> None:
        """Show (and enable) the lead-only actions for a lead only."""
        lead = self.is_lead()
        for action_id in LEAD_ONLY_ACTIONS:
            self.actions_by_id[action_id].setVisible(lead)
            self.actions_by_id[action_id].setEnabled(lead)

    def open_shared_admin(self) -> None:
        """File > Shared database admin… (leads): set up the database, add logins."""
        if not self.is_lead():
            return
        AdminDialog.ask(self.settings, self.runner, self.window)
