"""Two versions of a text side by side: deletions struck on the left, insertions on the right."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from redline.textdiff import DiffSegment
from redline.ui.resources import load_tokens
from redline.ui.theme import current_theme
from redline.ui.widgets.diff_view import diff_html

__all__ = ["SideBySideDiff"]


class SideBySideDiff(QWidget):
    """One part of a version diff (template, parameters, tools): old | new, word level."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName("sectionTitle")
        self.old_view = QTextBrowser()
        self.new_view = QTextBrowser()
        for view in (self.old_view, self.new_view):
            view.setOpenLinks(False)
        row = QHBoxLayout()
        row.addWidget(self.old_view)
        row.addWidget(self.new_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(row)
        self.segments: list[DiffSegment] = []

    def set_segments(self, title: str, segments: list[DiffSegment]) -> None:
        self.title.setText(title)
        self.segments = segments
        theme = current_theme()
        tokens = theme.tokens if theme is not None else load_tokens("light")
        old = [s for s in segments if s.kind != "insert"]
        new = [s for s in segments if s.kind != "delete"]
        self.old_view.setHtml(diff_html(old, tokens, one_side=True))
        self.new_view.setHtml(diff_html(new, tokens, one_side=True))
