"""Preferences (Ctrl+,): identity, role, theme, taxonomy, shortcuts, sync, redaction.

The dialog edits a copy of the settings. Save validates everything, writes the file
atomically (`redline.settings.save_settings`) and only then copies the values into the
live `Settings` the window and its workspaces share; Cancel leaves both untouched (the
theme previewed while choosing goes back too).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from redline.errors import RedlineError
from redline.export.redaction import compile_custom_patterns
from redline.profiles import get_profile
from redline.review.taxonomy import DEFAULT_CATEGORIES
from redline.settings import Settings, save_settings
from redline.ui.actions import effective_keymap
from redline.ui.dialogs.settings_pages import ShortcutsPage, TaxonomyPage
from redline.ui.theme import current_theme

__all__ = ["THEMES", "SettingsDialog"]

THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
ROLES = (("reviewer", "Reviewer"), ("lead", "Lead (approves prompts and thresholds)"))


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    return label


class GeneralPage(QWidget):
    """Who reviews (name, device), their role, and the theme."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reviewer = QLineEdit(settings.reviewer)
        self.reviewer.setObjectName("reviewerEdit")
        self.device = QLineEdit(settings.device)
        self.device.setObjectName("deviceEdit")
        self.role = QComboBox()
        self.role.setObjectName("roleCombo")
        for value, text in ROLES:
            self.role.addItem(text, value)
        self.role.setCurrentIndex(max(self.role.findData(settings.role), 0))
        self.theme = QComboBox()
        self.theme.setObjectName("themeCombo")
        for value, text in THEMES:
            self.theme.addItem(text, value)
        self.theme.setCurrentIndex(max(self.theme.findData(settings.theme), 0))
        form = QFormLayout(self)
        form.addRow("Your &name", self.reviewer)
        form.addRow("&Device", self.device)
        form.addRow("&Role", self.role)
        form.addRow("&Theme", self.theme)
        note = QLabel(
            "Your name and device are written with every review; a change applies to "
            "the reviews you write after Redline restarts. The shared database decides "
            "what a role may do; this only chooses what the app offers."
        )
        note.setWordWrap(True)
        note.setObjectName("metaLabel")
        form.addRow(note)


class SyncPage(QWidget):
    """The shared database profile, edited in the sync connection dialog."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.summary = QLabel("")
        self.summary.setObjectName("syncSummary")
        self.summary.setWordWrap(True)
        self.edit_button = QPushButton("&Edit connection…")
        self.edit_button.setObjectName("editConnection")
        self.edit_button.clicked.connect(self._on_edit)
        note = QLabel(
            "The password is kept in the system keyring, never in the settings file. "
            "It is stored as soon as the connection dialog is saved; the rest of the "
            "profile is saved with these settings."
        )
        note.setWordWrap(True)
        note.setObjectName("metaLabel")
        row = QHBoxLayout()
        row.addWidget(self.edit_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        try:
            profile = get_profile(self.settings)
        except RedlineError:
            self.summary.setText(
                "No shared database is set up: Redline works on this computer only."
            )
            return
        self.summary.setText(
            f"Profile <b>{profile.name}</b>: {profile.user}@{profile.host}:{profile.port}/"
            f"{profile.database} (TLS {profile.sslmode})"
        )

    def _on_edit(self) -> None:
        # The sync engineer's dialog edits the profile in `settings` in place (here the
        # dialog's copy, so Cancel of the settings drops it).
        from redline.ui.sync.dialog import ConnectionDialog

        ConnectionDialog.ask(self.settings, self)
        self.refresh()


class RedactionPage(QWidget):
    """The team's extra PII patterns, name -> regular expression, masked on export."""

    def __init__(self, patterns: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("redactionTable")
        self.table.setHorizontalHeaderLabels(["Name", "Regular expression"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for name, pattern in patterns.items():
            self.add_row(name, pattern)
        self.add_button = QPushButton("&Add pattern")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self._on_remove)
        intro = QLabel(
            "Besides e-mail addresses, card numbers, IBANs, IP addresses and phone numbers, "
            "exports mask text matching these patterns (Python regular expressions), as "
            "[NAME]. Example: ticket → TCK-\\d{6}"
        )
        intro.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

    def add_row(self, name: str = "", pattern: str = "") -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(pattern))
        return row

    def patterns(self) -> dict[str, str]:
        """The patterns entered; fully empty rows are ignored.

        Raises:
            RedlineError: a row without a name, a name used twice, or a pattern that
                does not compile or matches empty text (the export's own check).
        """
        result: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            name_item, pattern_item = self.table.item(row, 0), self.table.item(row, 1)
            name = name_item.text().strip() if name_item is not None else ""
            pattern = pattern_item.text() if pattern_item is not None else ""
            if not name and not pattern:
                continue
            where = f"settings: redaction patterns, row {row + 1}"
            if not name:
                raise RedlineError("a redaction pattern has no name", where=where)
            if name in result:
                raise RedlineError(f"the name '{name}' is used twice", where=where)
            result[name] = pattern
        compile_custom_patterns(result, where="settings: redaction patterns")
        return result

    def _on_add(self) -> None:
        row = self.add_row()
        self.table.setCurrentCell(row, 0)
        item = self.table.item(row, 0)
        if item is not None:
            self.table.editItem(item)

    def _on_remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)


class SettingsDialog(QDialog):
    """The preferences, one tab per subject. Save validates and writes; Cancel drops all.

    After Save, `changed` names the `Settings` fields that changed (the window applies
    them: taxonomy to the review panel, shortcuts to its actions).
    """

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Redline settings")
        self.settings = settings
        self.draft = copy.deepcopy(settings)
        self.changed: set[str] = set()
        self._theme_before = settings.theme

        self.general = GeneralPage(self.draft)
        self.taxonomy = TaxonomyPage(self.draft.taxonomy or list(DEFAULT_CATEGORIES))
        self.shortcuts = ShortcutsPage(effective_keymap(self.draft.shortcuts))
        self.sync = SyncPage(self.draft)
        self.redaction = RedactionPage(self.draft.redaction_patterns)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        for page, title in (
            (self.general, "&General"),
            (self.taxonomy, "T&axonomy"),
            (self.shortcuts, "&Shortcuts"),
            (self.sync, "S&ync"),
            (self.redaction, "&Redaction"),
        ):
            self.tabs.addTab(page, title)
        self.general.theme.currentIndexChanged.connect(self._preview_theme)

        self.error = _error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(720, 560)

    def collect(self) -> Settings:
        """The settings as entered, validated.

        Raises:
            RedlineError: what is wrong and where (the tab is brought to the front).
        """
        result = copy.deepcopy(self.draft)
        reviewer = " ".join(self.general.reviewer.text().split())
        if not reviewer:
            self.tabs.setCurrentWidget(self.general)
            raise RedlineError("your name cannot be empty", where="settings: General")
        result.reviewer = reviewer
        result.device = self.general.device.text().strip()
        result.role = str(self.general.role.currentData())
        result.theme = str(self.general.theme.currentData())
        names = self.taxonomy.names()
        # The built-in list is stored as "no list", so a later Redline's defaults apply.
        result.taxonomy = [] if tuple(names) == DEFAULT_CATEGORIES else names
        result.shortcuts = self.shortcuts.overrides()
        try:
            result.redaction_patterns = self.redaction.patterns()
        except RedlineError:
            self.tabs.setCurrentWidget(self.redaction)
            raise
        return result

    def save(self) -> None:
        """Validate, write the file, then update the live settings and close."""
        try:
            result = self.collect()
            save_settings(result)
        except RedlineError as exc:
            self.error.setText(exc.one_line())
            return
        except OSError as exc:
            self.error.setText(f"The settings could not be written: {exc}")
            return
        for f in dataclasses.fields(Settings):
            new = getattr(result, f.name)
            if new != getattr(self.settings, f.name):
                self.changed.add(f.name)
                setattr(self.settings, f.name, new)
        self._apply_theme(self.settings.theme)
        self.accept()

    @override
    def reject(self) -> None:
        self._apply_theme(self._theme_before)
        super().reject()

    def _preview_theme(self, _index: int) -> None:
        self._apply_theme(str(self.general.theme.currentData()))

    @staticmethod
    def _apply_theme(setting: str) -> None:
        theme = current_theme()
        if theme is not None and theme.setting != setting:
            theme.set_setting(setting)

    @classmethod
    def ask(cls, settings: Settings, parent: QWidget | None = None) -> set[str]:
        """Show the dialog; the names of the settings fields that changed (none on Cancel)."""
        dialog = cls(settings, parent)
        try:
            dialog.exec()
            return dialog.changed
        finally:
            dialog.deleteLater()
