"""The sample under review: system prompt, conversation, output, metadata and signals."""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from redline.review.types import SampleDetail
from redline.ui.theme import current_theme
from redline.ui.widgets.text_display import (
    needs_markers,
    raw_html,
    rendered_html,
    show_link_targets,
    text_style_sheet,
)

__all__ = ["SampleView", "message_text", "metadata_text", "signals_text"]


def message_text(content: Any) -> str:
    """A chat message's content as text (OpenAI-style parts are joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, dict):
                text = part.get("text")
                pieces.append(str(text) if text is not None else f"[{part.get('type', 'part')}]")
            else:
                pieces.append(str(part))
        return "\n".join(pieces)
    return json.dumps(content, ensure_ascii=False, indent=2)


def metadata_text(detail: SampleDetail) -> str:
    """One line of what the sample is: prompt, model, language, score, cost."""
    parts: list[str] = []
    prompt = " ".join(p for p in (detail.prompt_name, detail.prompt_version) if p)
    if prompt:
        parts.append(prompt)
    if detail.variant:
        parts.append(f"variant {detail.variant}")
    if detail.model:
        parts.append(detail.model)
    if detail.language:
        parts.append(detail.language + (" (guessed)" if detail.language_guessed else ""))
    if detail.score is not None:
        decision = f" → {detail.decision}" if detail.decision else ""
        parts.append(f"score {detail.score:.2f}{decision}")
    if detail.latency_ms is not None:
        parts.append(f"{detail.latency_ms:,.0f} ms")
    if detail.tokens_in is not None or detail.tokens_out is not None:
        parts.append(f"{detail.tokens_in or 0:,} → {detail.tokens_out or 0:,} tokens")
    if detail.captured_at is not None:
        parts.append(detail.captured_at.strftime("%Y-%m-%d %H:%M UTC"))
    return " · ".join(parts)


def signals_text(detail: SampleDetail) -> str:
    """The end user's implicit signals, or "" when there are none."""
    parts: list[str] = []
    if detail.signal_thumbs == 1:
        parts.append("👍 thumbs up")
    elif detail.signal_thumbs == -1:
        parts.append("👎 thumbs down")
    if detail.signal_copied:
        parts.append("copied")
    if detail.signal_edited:
        parts.append("edited by user")
    if detail.signal_follow_up:
        parts.append("asked a follow-up")
    return " · ".join(parts)


_LIST_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])(\s|$)")


def keep_line_breaks(markdown: str) -> str:
    """Make LLM output read as written: every single newline outside code is a hard
    break, and indentation at the start of a line is kept.

    Markdown joins consecutive lines into one paragraph and drops the indentation of a
    continued line, but LLM outputs (and the chat UIs that show them) mean a newline as
    a line break and indentation as layout: SQL, addresses, poems, unfenced code. Code
    blocks (fenced, or indented after a blank line) and nested list items stay markdown.
    """
    out: list[str] = []
    fenced = False
    indented_code = False
    previous_blank = True
    in_list = False
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            out.append(line)
            previous_blank = False
            continue
        if fenced:
            out.append(line)
            continue
        if not stripped:
            out.append(line)
            previous_blank = True
            continue
        indent = line[: len(line) - len(stripped)].expandtabs(4)
        is_item = _LIST_ITEM.match(stripped) is not None
        if indented_code and len(indent) >= 4:
            out.append(line)
            continue
        indented_code = previous_blank and len(indent) >= 4 and not in_list
        previous_blank = False
        if indented_code:
            out.append(line)
            continue
        in_list = is_item or (in_list and bool(indent))
        text = line
        if indent and not is_item:
            # Non-breaking spaces: markdown keeps them where it strips plain ones.
            text = "\u00a0" * len(indent) + stripped
        following = lines[i + 1] if i + 1 < len(lines) else ""
        hard = following.strip() and not text.endswith("  ")
        out.append(text + "  " if hard else text)
    return "\n".join(out)


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


class SampleView(QWidget):
    """Shows one `SampleDetail`; read-only, scrolls long conversations and outputs.

    The texts (system prompt, turns, output) show as the model wrote them by default,
    with markers for what cannot be seen (see `text_display`); `set_text_mode` switches
    to rendered Markdown, or the raw text to a monospace font.

    Attributes:
        rendered: texts are rendered Markdown (False: raw, as written).
        monospace: the raw text is in a monospace font.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleView")
        self.detail: SampleDetail | None = None
        self.rendered = False
        self.monospace = False
        # The turns' source texts (the labels hold HTML when a text needs markers).
        self._turn_sources: list[str] = []
        # What each text browser (by object name) shows: text, rendered, monospace, style.
        self._shown: dict[str, tuple[str, bool, bool, str]] = {}

        self.meta_label = QLabel()
        self.meta_label.setObjectName("metaLabel")
        self.meta_label.setWordWrap(True)
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signals_label = QLabel()
        self.signals_label.setObjectName("metaLabel")

        self.system_toggle = QToolButton()
        self.system_toggle.setObjectName("systemPromptToggle")
        self.system_toggle.setCheckable(True)
        self.system_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.system_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.system_toggle.setText("SYSTEM PROMPT")
        self.system_toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.system_toggle.toggled.connect(self._on_system_toggled)
        self.system_text = QTextBrowser()
        self.system_text.setObjectName("systemPromptText")
        self.system_text.setOpenLinks(False)
        self.system_text.setMaximumHeight(160)
        self.system_text.setVisible(False)

        # Turn frames are kept and reused from sample to sample: a new frame (and its
        # style-sheet polish) for every turn of every sample cost more than the rest of
        # showing a sample. The first `_turns_shown` of them show the current turns.
        self._turn_frames: list[tuple[QFrame, QLabel, QLabel]] = []
        self._turns_shown = 0
        self.turns = QWidget()
        self.turns_layout = QVBoxLayout(self.turns)
        self.turns_layout.setContentsMargins(0, 0, 0, 0)
        self.turns_layout.setSpacing(6)

        input_box = QWidget()
        input_layout = QVBoxLayout(input_box)
        input_layout.setContentsMargins(0, 0, 6, 0)
        input_layout.addWidget(self.system_toggle)
        input_layout.addWidget(self.system_text)
        input_layout.addWidget(_section("Input"))
        input_layout.addWidget(self.turns)
        input_layout.addStretch(1)
        self.input_scroll = QScrollArea()
        self.input_scroll.setWidgetResizable(True)
        self.input_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.input_scroll.setWidget(input_box)

        self.output = QTextBrowser()
        self.output.setObjectName("outputView")
        self.output.setOpenExternalLinks(False)
        self.output.setOpenLinks(False)
        output_box = QWidget()
        output_layout = QVBoxLayout(output_box)
        output_layout.setContentsMargins(0, 0, 0, 0)
        output_layout.addWidget(_section("Output"))
        output_layout.addWidget(self.output)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.input_scroll)
        self.splitter.addWidget(output_box)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)

        self.empty_label = QLabel(
            "No sample selected.\nImport a file (Ctrl+I) or change the filters."
        )
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.signals_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty_label, 1)
        theme = current_theme()
        if theme is not None:
            theme.changed.connect(self._refresh_texts)
        self.show_detail(None)

    def set_text_mode(self, *, rendered: bool, monospace: bool) -> None:
        """Show the texts rendered (Markdown) or raw, the raw text monospace or not."""
        if (rendered, monospace) == (self.rendered, self.monospace):
            return
        self.rendered, self.monospace = rendered, monospace
        self._refresh_texts()

    def _refresh_texts(self) -> None:
        if self.detail is not None:
            self.show_detail(self.detail)

    def show_detail(self, detail: SampleDetail | None) -> None:
        """Show `detail`, or the empty state for None."""
        self.detail = detail
        has = detail is not None
        self.splitter.setVisible(has)
        self.meta_label.setVisible(has)
        self.empty_label.setVisible(not has)
        if detail is None:
            self._show_turns([])
            self.signals_label.setVisible(False)
            self.output.clear()
            self._shown.pop(self.output.objectName(), None)
            return
        self.meta_label.setText(metadata_text(detail))
        signals = signals_text(detail)
        self.signals_label.setText(f"End user: {signals}" if signals else "")
        self.signals_label.setVisible(bool(signals))
        system = detail.system_prompt or ""
        self.system_toggle.setVisible(bool(system))
        style_sheet = text_style_sheet()
        self._show_text(self.system_text, system, style_sheet)
        self.system_toggle.setChecked(False)
        turns: list[tuple[str, str]] = []
        for message in detail.input_messages or []:
            if not isinstance(message, dict):
                continue
            role = str(message.get("role", "user"))
            # Already shown (collapsed) above when the sample has a system prompt.
            if role == "system" and system:
                continue
            turns.append((role, message_text(message.get("content"))))
        self._show_turns(turns or [("user", detail.input_text)])
        self._show_text(self.output, detail.output, style_sheet)
        if self.rendered:
            self._style_code_blocks()
        self.output.verticalScrollBar().setValue(0)

    def _show_text(self, browser: QTextBrowser, text: str, style_sheet: str) -> None:
        # The same text shown the same way is not parsed and laid out again (the system
        # prompt, from sample to sample, is the usual case).
        key = (text, self.rendered, self.monospace, style_sheet)
        if self._shown.get(browser.objectName()) == key:
            return
        self._shown[browser.objectName()] = key
        if self.rendered:
            browser.setMarkdown(keep_line_breaks(text))
            show_link_targets(browser.document())
        else:
            browser.setHtml(raw_html(text, monospace=self.monospace, style_sheet=style_sheet))

    def turn_texts(self) -> list[tuple[str, str]]:
        """(role, text) of each conversation turn shown, as the sample has it."""
        return [
            (role.text().lower(), self._turn_sources[i])
            for i, (_frame, role, _body) in enumerate(self._turn_frames[: self._turns_shown])
        ]

    def turn_labels(self) -> list[QLabel]:
        """The labels showing the turns' texts (what the reviewer sees)."""
        return [body for _frame, _role, body in self._turn_frames[: self._turns_shown]]

    def _show_turns(self, turns: list[tuple[str, str]]) -> None:
        while len(self._turn_frames) < len(turns):
            self._turn_frames.append(self._new_turn())
        for i, (frame, role_label, body) in enumerate(self._turn_frames):
            if i >= len(turns):
                frame.setVisible(False)
                continue
            role, text = turns[i]
            if frame.property("role") != role:
                frame.setProperty("role", role)
                # The style sheet colours a turn by its role: apply the new one.
                frame.style().unpolish(frame)
                frame.style().polish(frame)
            role_label.setText(role.upper())
            self._set_turn_text(body, text)
            frame.setVisible(True)
        self._turns_shown = len(turns)
        self._turn_sources = [text for _role, text in turns]

    def _set_turn_text(self, body: QLabel, text: str) -> None:
        # Plain text when nothing needs a marker (the usual case, and the cheapest).
        if self.rendered:
            body.setTextFormat(Qt.TextFormat.RichText)
            body.setText(rendered_html(keep_line_breaks(text)))
        elif self.monospace or needs_markers(text):
            body.setTextFormat(Qt.TextFormat.RichText)
            body.setText(raw_html(text, monospace=self.monospace))
        else:
            body.setTextFormat(Qt.TextFormat.PlainText)
            body.setText(text)

    def _new_turn(self) -> tuple[QFrame, QLabel, QLabel]:
        frame = QFrame()
        frame.setObjectName("turn")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(8, 6, 8, 6)
        role_label = QLabel()
        role_label.setObjectName("turnRole")
        body = QLabel()
        body.setObjectName("turnText")
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setWordWrap(True)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(role_label)
        layout.addWidget(body)
        self.turns_layout.addWidget(frame)
        return frame, role_label, body

    def _style_code_blocks(self) -> None:
        # Qt's markdown reader marks fenced and indented code blocks but leaves their font
        # to the default; reviewers need monospace to judge code and tables of numbers.
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        theme = current_theme()
        document = self.output.document()
        block = document.begin()
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        while block.isValid():
            fmt = block.blockFormat()
            is_code = fmt.hasProperty(QTextBlockFormat.Property.BlockCodeFence) or fmt.hasProperty(
                QTextBlockFormat.Property.BlockCodeLanguage
            )
            if is_code:
                cursor.setPosition(block.position())
                cursor.setPosition(
                    block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor
                )
                char = QTextCharFormat()
                char.setFont(
                    mono,
                    QTextCharFormat.FontPropertiesInheritanceBehavior.FontPropertiesSpecifiedOnly,
                )
                char.setFontFixedPitch(True)
                char.setFontFamilies([mono.family(), "monospace"])
                cursor.mergeCharFormat(char)
                if theme is not None:
                    block_fmt = QTextBlockFormat()
                    block_fmt.setBackground(theme.color("code_bg"))
                    cursor.mergeBlockFormat(block_fmt)
            block = block.next()
        cursor.endEditBlock()

    def _on_system_toggled(self, shown: bool) -> None:
        self.system_text.setVisible(shown)
        self.system_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    def code_block_fonts(self) -> list[QFont]:
        """The fonts of code-block lines in the output (tests check they are monospace)."""
        fonts: list[QFont] = []
        block = self.output.document().begin()
        while block.isValid():
            if block.blockFormat().hasProperty(QTextBlockFormat.Property.BlockCodeFence):
                cursor = QTextCursor(block)
                cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
                fonts.append(cursor.charFormat().font())
            block = block.next()
        return fonts
