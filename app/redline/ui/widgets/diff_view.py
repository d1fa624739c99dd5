"""The correction against the original output, word by word."""

from __future__ import annotations

from PySide6.QtWidgets import QTextBrowser, QWidget

from redline.review.diff import DiffSegment, diff_stats, word_diff
from redline.ui.resources import load_tokens
from redline.ui.theme import current_theme
from redline.ui.widgets.text_display import NEWLINE_MARK, text_style_sheet, visible_html

__all__ = ["DiffView", "diff_html"]


def diff_html(
    segments: list[DiffSegment],
    tokens: dict[str, str],
    *,
    one_side: bool = False,
    style_sheet: str | None = None,
) -> str:
    """Segments as HTML: deletions struck through, insertions underlined, in theme colours.

    Invisible characters and tabs show as markers (see `text_display`). A deleted or
    inserted newline shows as ↵, so a joined or split line is seen as a change: a deleted
    one breaks no line (the correction has none there), an inserted one still breaks the
    line after its mark, so the correction keeps its layout. With `one_side` (a view of
    one side's segments only) every newline is that side's own and breaks its line.
    """
    mark = f'<span class="marker">{NEWLINE_MARK}</span>'
    parts: list[str] = []
    for segment in segments:
        text = visible_html(segment.text, trailing=False)
        if segment.kind == "insert":
            text = text.replace("\n", mark + "\n")
            parts.append(
                f'<span style="background:{tokens["insert_bg"]};color:{tokens["insert_text"]};'
                f'text-decoration:underline">{text}</span>'
            )
        elif segment.kind == "delete":
            text = text.replace("\n", mark + ("\n" if one_side else ""))
            parts.append(
                f'<span style="background:{tokens["delete_bg"]};color:{tokens["delete_text"]};'
                f'text-decoration:line-through">{text}</span>'
            )
        else:
            parts.append(text)
    css = style_sheet if style_sheet is not None else text_style_sheet()
    return (
        f"<html><head><style>{css}</style></head><body>"
        f'<div class="rawText">{"".join(parts)}</div></body></html>'
    )


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
