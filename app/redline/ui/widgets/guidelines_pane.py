"""The guidelines dock's content: a prompt's review guidelines, read or edited."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from redline.prompts.guidelines import Guidelines

__all__ = ["GuidelinesPane"]


class GuidelinesPane(QWidget):
    """Shows `Guidelines` as rendered markdown; `start_editing` swaps in a text editor.

    It never writes: the window saves. Ctrl+S saves while editing; the window's Esc
    cancels.

    Signals:
        save_requested: (prompt name, markdown text) when the reviewer saves an edit.
    """

    save_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guidelinesPane")
        self.guidelines: Guidelines | None = None
        self._rendered = True
        self.title = QLabel("")
        self.title.setObjectName("metaLabel")
        self.view = QTextBrowser()
        self.view.setObjectName("guidelinesView")
        self.view.setOpenExternalLinks(True)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("guidelinesEditor")
        self.editor.setTabChangesFocus(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.editor)
        self.edit_button = QPushButton("Edit  (Ctrl+Shift+G)")
        self.edit_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.edit_button.clicked.connect(self.start_editing)
        self.save_button = QPushButton("Save  (Ctrl+S)")
        self.save_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel  (Esc)")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.cancel_editing)
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.stack, 1)
        # Only while the editor has focus. (Esc is the window's "back to the queue",
        # which cancels an edit in here: two shortcuts on one key would both be dead.)
        save = QShortcut(QKeySequence("Ctrl+S"), self.editor)
        save.setContext(Qt.ShortcutContext.WidgetShortcut)
        save.activated.connect(self.save)
        self._set_editing(False)

    def show_guidelines(self, guidelines: Guidelines) -> None:
        """Show `guidelines` (an edit in progress for the same prompt is kept)."""
        if guidelines == self.guidelines:
            # The next sample of the same prompt: rendering the markdown again (a
            # document of pages) would be most of the work of showing that sample.
            return
        same_prompt = self.guidelines is not None and (
            self.guidelines.prompt_name == guidelines.prompt_name
        )
        self.guidelines = guidelines
        # Rendered when seen: while the dock is closed (the usual case), a reviewer
        # moving between prompts would pay for pages of markdown on every sample.
        self._rendered = False
        if self.isVisible():
            self._render()
        name = guidelines.prompt_name or "samples without a prompt"
        if guidelines.stored:
            self.title.setText(f"{name} · revision {guidelines.revision}")
        else:
            self.title.setText(f"{name} · default guidelines")
        self.edit_button.setEnabled(guidelines.editable)
        if self.is_editing() and not same_prompt:
            self._set_editing(False)

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._rendered:
            self._render()

    def _render(self) -> None:
        self._rendered = True
        self.view.setMarkdown(self.guidelines.text if self.guidelines is not None else "")

    def is_editing(self) -> bool:
        return self.stack.currentWidget() is self.editor

    def start_editing(self) -> bool:
        """Edit the guidelines shown (seeded with them); False when they cannot be edited."""
        if self.guidelines is None or not self.guidelines.editable:
            return False
        if not self.is_editing():
            self.editor.setPlainText(self.guidelines.text)
            self._set_editing(True)
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def save(self) -> None:
        if self.guidelines is None or not self.is_editing():
            return
        self.save_requested.emit(self.guidelines.prompt_name, self.editor.toPlainText())
        self._set_editing(False)

    def cancel_editing(self) -> None:
        self._set_editing(False)

    def _set_editing(self, editing: bool) -> None:
        self.stack.setCurrentWidget(self.editor if editing else self.view)
        self.edit_button.setVisible(not editing)
        self.save_button.setVisible(editing)
        self.cancel_button.setVisible(editing)
