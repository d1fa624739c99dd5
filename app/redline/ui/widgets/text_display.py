"""Sample text shown exactly as the model wrote it, or rendered with nothing hidden.

The raw view escapes everything (asterisks, tags, fences stay as written) and puts a
visible marker where a character could not be seen: zero-width spaces and joiners, the
BOM, bidi controls, other control and format characters, unusual spaces, tabs and
trailing spaces. The rendered view is Markdown, with every link's target written out
after its text, so "[docs](http://evil.example/)" cannot pass for a harmless link.

Markers are styled by the `marker` class of ``resources/styles/text.css`` (theme tokens),
never by colours in the code.
"""

from __future__ import annotations

import functools
import html

from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextDocument

from redline.ui.resources import load_tokens, render_template, resource_path
from redline.ui.theme import current_theme

__all__ = [
    "NEWLINE_MARK",
    "TAB_MARK",
    "TRAILING_SPACE_MARK",
    "marked_runs",
    "marker_text",
    "needs_markers",
    "raw_html",
    "rendered_html",
    "show_link_targets",
    "text_style_sheet",
    "visible_html",
]

TAB_MARK = "→"
TRAILING_SPACE_MARK = "·"
NEWLINE_MARK = "↵"


def marker_text(char: str) -> str:
    """What stands for an invisible character: ⟨U+200B⟩."""
    return f"⟨U+{ord(char):04X}⟩"


def _mark(text: str) -> str:
    return f'<span class="marker">{html.escape(text)}</span>'


def needs_markers(text: str) -> bool:
    """Whether `text` has a character the raw view marks (a plain label shows it as is)."""
    return any(not line.isprintable() or (line and line[-1] == " ") for line in text.split("\n"))


def marked_runs(text: str) -> list[tuple[str, bool]]:
    """`text` as (piece, is_marker) runs: what cannot be seen becomes a marker run, a tab
    a marker followed by the tab (newlines stay, trailing spaces are not marked)."""
    runs: list[tuple[str, bool]] = []
    plain: list[str] = []
    for line in text.split("\n"):
        if line.isprintable():
            plain.append(line)
        else:
            for char in line:
                if char.isprintable():
                    plain.append(char)
                    continue
                if plain:
                    runs.append(("".join(plain), False))
                    plain = []
                runs.append((TAB_MARK if char == "\t" else marker_text(char), True))
                if char == "\t":
                    plain.append("\t")
        plain.append("\n")
    plain.pop()  # the newline after the last line
    if plain:
        runs.append(("".join(plain), False))
    return runs


def _visible_line(line: str, *, trailing: bool) -> str:
    # str.isprintable() is False exactly for what cannot be seen (Cc, Cf, Zl, Zp, spaces
    # other than " ", surrogates, private use, unassigned): one C-speed check per line
    # keeps a 100 KB output fast, the character loop runs only on lines that need it.
    body, tail = line, ""
    if trailing:
        body = line.rstrip(" \t")
        tail = line[len(body) :]
    if body.isprintable():
        out = html.escape(body)
    else:
        pieces: list[str] = []
        for char in body:
            if char == "\t":
                pieces.append(_mark(TAB_MARK) + "\t")
            elif char.isprintable():
                pieces.append(html.escape(char))
            else:
                pieces.append(_mark(marker_text(char)))
        out = "".join(pieces)
    for char in tail:
        out += _mark(TAB_MARK) + "\t" if char == "\t" else _mark(TRAILING_SPACE_MARK)
    return out


def visible_html(text: str, *, trailing: bool = True) -> str:
    """`text` escaped as HTML (newlines kept), with markers for what cannot be seen.

    `trailing` marks spaces at the end of a line as well (off for pieces of a line, as
    in a diff, where the end of a piece is not the end of a line).
    """
    return "\n".join(_visible_line(line, trailing=trailing) for line in text.split("\n"))


@functools.cache
def _style_template() -> str:
    return resource_path("styles", "text.css").read_text(encoding="utf-8")


def text_style_sheet() -> str:
    """``text.css`` filled with the current theme's tokens."""
    theme = current_theme()
    tokens = theme.tokens if theme is not None else load_tokens("light")
    return render_template(_style_template(), tokens)


def raw_html(text: str, *, monospace: bool = False, style_sheet: str | None = None) -> str:
    """A rich-text document showing `text` as written, with markers (see module doc)."""
    css = style_sheet if style_sheet is not None else text_style_sheet()
    classes = "rawText mono" if monospace else "rawText"
    return (
        f"<html><head><style>{css}</style></head><body>"
        f'<div class="{classes}">{visible_html(text)}</div></body></html>'
    )


def show_link_targets(document: QTextDocument) -> int:
    """Write each link's target after its text (" (http://…)") unless the text is the
    target already; returns how many were written."""
    links: list[tuple[int, str]] = []  # (end position, href)
    block = document.begin()
    while block.isValid():
        href, end, text = "", 0, ""
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            fmt = fragment.charFormat()
            this = fmt.anchorHref() if fmt.isAnchor() else ""
            if this and this == href and fragment.position() == end:
                # One link split into fragments by emphasis inside it.
                end += fragment.length()
                text += fragment.text()
            else:
                if href and text.strip() != href:
                    links.append((end, href))
                href, end, text = this, fragment.position() + fragment.length(), fragment.text()
            fragments += 1
        if href and text.strip() != href:
            links.append((end, href))
        block = block.next()
    cursor = QTextCursor(document)
    cursor.beginEditBlock()
    for end, href in reversed(links):
        cursor.setPosition(end)
        plain = QTextCharFormat(cursor.charFormat())
        plain.setAnchor(False)
        plain.clearProperty(QTextCharFormat.Property.AnchorHref)
        plain.setFontUnderline(False)
        cursor.insertText(f" ({href})", plain)
    cursor.endEditBlock()
    return len(links)


def rendered_html(markdown: str) -> str:
    """`markdown` rendered, links with their targets, as HTML for a label."""
    document = QTextDocument()
    document.setMarkdown(markdown)
    show_link_targets(document)
    return document.toHtml()
