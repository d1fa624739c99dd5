"""The correction against the original output, word by word."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTextBrowser, QWidget

from redline.textdiff import DiffSegment, diff_stats, word_diff
from redline.ui.resources import load_tokens
from redline.ui.theme import current_theme

__all__ = ["DiffView", "diff_html"]


def diff_html(segments: list[DiffSegment], tokens: dict[str, str]) -> str:
    """Segments as HTML: deletions struck through, insertions underlined, in theme colours."""
    parts: list[str] = []
    for segment in segments:
        text = html.escape(segment.text).replace("\n", "<br/>")
        if segment.kind == "insert":
            parts.append(
                f'<span style="background:{tokens["insert_bg"]};color:{tokens["insert_text"]};'
                f'text-decoration:underline">{text}</span>'
            )
        elif segment.kind == "delete":
            parts.append(
                f'<span style="background:{tokens["delete_bg"]};color:{tokens["delete_text"]};'
                f'text-decoration:line-through">{text}</span>'
            )
        else:
            parts.append(text)
    return f'<div style="white-space:pre-wrap">{"".join(parts)}</div>'


class DiffView(QTextBrowser):
    """Shows `word_diff(original, corrected)`; read-only, never takes keyboard focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffView")
        self.setOpenLinks(False)
        self.setPlaceholderText("No changes: the correction is the output as it is.")
        self.segments: list[DiffSegment] = []
        self._original = ""
        self._corrected = ""
        theme = current_theme()
        if theme is not None:
            theme.changed.connect(self._render)

    def set_texts(self, original: str, corrected: str) -> None:
        """Diff `corrected` against `original` and show it."""
        self._original, self._corrected = original, corrected
        self.segments = word_diff(original, corrected)
        self._render()

    def summary(self) -> str:
        """ "+3 −1 words", or "no changes"."""
        if not any(s.kind != "equal" for s in self.segments):
            return "no changes"
        stats = diff_stats(self.segments)
        return f"+{stats.inserted_words} −{stats.deleted_words} words"

    def _render(self) -> None:
        if all(segment.kind == "equal" for segment in self.segments):
            # Nothing to mark (the editor still holds the output, the usual case when a
            # sample is shown): the output is beside it already, in the sample view, so
            # it is not laid out a third time here; the placeholder says why it is empty.
            if not self.document().isEmpty():
                self.clear()
            return
        theme = current_theme()
        tokens = theme.tokens if theme is not None else load_tokens("light")
        self.setHtml(diff_html(self.segments, tokens))
