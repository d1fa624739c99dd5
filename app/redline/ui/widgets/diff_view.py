"""The correction against the original output, word by word.

A short diff is computed and shown at once. A long one (a 100 KB correction) is
computed in the diff helper process (`diff_elsewhere`) from a task, and its document
built on that task's thread, so the GUI thread only swaps the finished document in:
a plain-text document, laid out only where it is seen.
"""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout, QPlainTextEdit, QWidget

from redline.progress import Progress
from redline.textdiff import (
    DiffSegment,
    diff_elsewhere,
    diff_stats,
    start_diff_process,
    word_diff,
)
from redline.ui.resources import load_tokens
from redline.ui.tasks import TaskRunner
from redline.ui.theme import current_theme
from redline.ui.widgets.text_display import (
    NEWLINE_MARK,
    marked_runs,
    text_style_sheet,
    visible_html,
)

__all__ = ["SYNC_DIFF_CHARS", "DiffView", "diff_document", "diff_html"]

# Texts up to this many characters (both together) are diffed on the GUI thread: a
# couple of milliseconds, less than a round trip to the helper process.
SYNC_DIFF_CHARS = 16_000


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


def diff_document(
    segments: list[DiffSegment], tokens: dict[str, str], font: QFont, gui_thread: QThread | None
) -> QTextDocument:
    """The diff as a plain-text document in theme colours (see `diff_html` for what a
    changed newline looks like): deletions struck through, insertions underlined.

    Safe on a worker thread: the document is moved to `gui_thread` when given.
    """
    document = QTextDocument()
    document.setDocumentLayout(QPlainTextDocumentLayout(document))
    document.setDefaultFont(font)
    formats: dict[str, QTextCharFormat] = {"equal": QTextCharFormat()}
    for kind, decorate in (("insert", "underline"), ("delete", "strike")):
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(tokens[f"{kind}_bg"]))
        fmt.setForeground(QColor(tokens[f"{kind}_text"]))
        if decorate == "underline":
            fmt.setFontUnderline(True)
        else:
            fmt.setFontStrikeOut(True)
        formats[kind] = fmt
    marker = QTextCharFormat()
    marker.setForeground(QColor(tokens["marker_text"]))
    marker.setBackground(QColor(tokens["marker_bg"]))
    cursor = QTextCursor(document)
    cursor.beginEditBlock()
    for segment in segments:
        fmt = formats[segment.kind]
        marked = QTextCharFormat(fmt)
        marked.merge(marker)
        for text, is_marker in marked_runs(segment.text):
            if is_marker:
                cursor.insertText(text, marked)
                continue
            if segment.kind == "equal" or "\n" not in text:
                if text:
                    cursor.insertText(text, fmt)
                continue
            lines = text.split("\n")
            for n, line in enumerate(lines):
                if line:
                    cursor.insertText(line, fmt)
                if n < len(lines) - 1:
                    cursor.insertText(NEWLINE_MARK, marked)
                    if segment.kind == "insert":
                        cursor.insertText("\n", fmt)
    cursor.endEditBlock()
    if gui_thread is not None:
        document.moveToThread(gui_thread)
    return document


def _diff_and_document(
    original: str,
    corrected: str,
    tokens: dict[str, str],
    font: QFont,
    gui_thread: QThread,
    *,
    progress: Progress,
) -> tuple[list[DiffSegment], QTextDocument]:
    """A task: the diff from the helper process, and its document built here."""
    segments = diff_elsewhere(original, corrected, progress=progress)
    return segments, diff_document(segments, tokens, font, gui_thread)


class DiffView(QPlainTextEdit):
    """Shows `word_diff(original, corrected)`; read-only.

    Signals:
        diff_shown: the diff of the last `set_texts` is shown (at once for short
            texts; from a task for long ones).
        failed: an exception of a background diff, for the error dialog.

    Attributes:
        segments: the diff shown.
        pending: a long diff is being computed (the one shown is older).
        diffs_from_tasks: how many diffs were shown from a task (long texts).
    """

    diff_shown = Signal()
    failed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffView")
        self.setReadOnly(True)
        self.setPlaceholderText("No changes: the correction is the output as it is.")
        self.segments: list[DiffSegment] = []
        self.pending = False
        self.diffs_from_tasks = 0
        self._runner: TaskRunner | None = None
        self._generation = 0
        self._own_document: QTextDocument | None = None
        theme = current_theme()
        if theme is not None:
            theme.changed.connect(self._render)

    def set_runner(self, runner: TaskRunner) -> None:
        """Compute long diffs in tasks of `runner` (without one, every diff is computed
        at once)."""
        self._runner = runner

    def prepare_for(self, length: int) -> None:
        """A text of `length` characters will be corrected: start the helper process
        now if its diffs will need it."""
        if self._runner is not None and 2 * length > SYNC_DIFF_CHARS:
            start_diff_process()

    def set_texts(self, original: str, corrected: str) -> None:
        """Diff `corrected` against `original` and show it (`diff_shown` says when)."""
        self._generation += 1
        long = len(original) + len(corrected) > SYNC_DIFF_CHARS
        if self._runner is None or not long or original == corrected:
            self.pending = False
            self.segments = word_diff(original, corrected)
            self._render()
            return
        generation = self._generation
        self.pending = True
        app_thread = self.thread()
        task = self._runner.submit(
            _diff_and_document, original, corrected, self._tokens(), self.font(), app_thread,
            key="correction-diff", pass_progress=True,
        )  # fmt: skip
        task.signals.succeeded.connect(lambda result: self._on_diff(generation, result))
        task.signals.failed.connect(self.failed.emit)

    def summary(self) -> str:
        """ "+3 −1 words", or "no changes"."""
        if not any(s.kind != "equal" for s in self.segments):
            return "no changes"
        stats = diff_stats(self.segments)
        return f"+{stats.inserted_words} −{stats.deleted_words} words"

    def toHtml(self) -> str:  # noqa: N802  (the name QTextEdit gives it)
        """The diff shown, as HTML."""
        return self.document().toHtml()

    def _on_diff(self, generation: int, result: tuple[list[DiffSegment], QTextDocument]) -> None:
        segments, document = result
        if generation != self._generation:
            document.deleteLater()  # superseded while it was computed
            return
        self.pending = False
        self.diffs_from_tasks += 1
        self.segments = segments
        self._show_document(document if self._has_changes() else None)

    def _has_changes(self) -> bool:
        return any(segment.kind != "equal" for segment in self.segments)

    def _tokens(self) -> dict[str, str]:
        theme = current_theme()
        return theme.tokens if theme is not None else load_tokens("light")

    def _render(self) -> None:
        # Nothing to mark (the editor still holds the output, the usual case when a
        # sample is shown): the output is beside it already, in the sample view, so it
        # is not laid out a third time here; the placeholder says why it is empty.
        if not self._has_changes():
            self._show_document(None)
            return
        self._show_document(diff_document(self.segments, self._tokens(), self.font(), None))

    def _show_document(self, document: QTextDocument | None) -> None:
        if document is None:
            if not self.document().isEmpty():
                self.clear()  # the placeholder shows on an empty document
        else:
            old = self._own_document
            document.setParent(self)
            self.setDocument(document)
            self._own_document = document
            if old is not None:
                old.deleteLater()
        self.diff_shown.emit()
