"""Widgets on their own: cheat sheet, theme and resources, sample view, review panel, dialogs."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from redline.errors import RedlineError
from redline.ingest.types import ImportReport, Problem
from redline.review.types import ReviewInput, ReviewState, SampleDetail, Verdict
from redline.ui.actions import ACTIONS, MENUS, build_actions, build_menus, is_typing
from redline.ui.dialogs.errors import describe
from redline.ui.dialogs.identity import IdentityDialog
from redline.ui.dialogs.import_dialog import report_text
from redline.ui.dialogs.shortcuts import ShortcutsDialog
from redline.ui.resources import (
    guidelines_text,
    icon,
    load_tokens,
    render_template,
    resource_path,
    resource_root,
    template_tokens,
)
from redline.ui.widgets.diff_view import DiffView
from redline.ui.widgets.review_panel import ReviewPanel
from redline.ui.widgets.sample_view import SampleView

from .conftest import MARKDOWN_OUTPUT, T0


def _detail(**overrides: object) -> SampleDetail:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "rowid": 1,
        "batch_id": uuid.uuid4(),
        "source": "support-bot",
        "external_id": "x-1",
        "captured_at": T0,
        "model": "gpt-4o-mini",
        "prompt_name": "support",
        "prompt_version": "v3",
        "variant": None,
        "session_id": None,
        "system_prompt": "Be concise.",
        "input_text": "How do I reset my password?",
        "input_messages": [
            {"role": "system", "content": "Be concise."},
            {"role": "user", "content": "How do I reset my password?"},
            {"role": "assistant", "content": "Which account?"},
            {"role": "user", "content": [{"type": "text", "text": "The work one."}]},
        ],
        "output": MARKDOWN_OUTPUT,
        "score": 0.42,
        "decision": "human_review",
        "latency_ms": 812.0,
        "tokens_in": 120,
        "tokens_out": 64,
        "language": "en",
        "language_guessed": False,
        "segments": None,
        "signal_copied": True,
        "signal_edited": None,
        "signal_follow_up": None,
        "signal_thumbs": -1,
        "inclusion_prob": 1.0,
    }
    values.update(overrides)
    return SampleDetail(**values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ actions, cheat sheet


def test_action_table_is_consistent() -> None:
    ids = [spec.id for spec in ACTIONS]
    assert len(ids) == len(set(ids))
    keys = [key for spec in ACTIONS for key in spec.keys]
    assert len(keys) == len(set(keys)), "two actions share a key"
    assert {spec.menu for spec in ACTIONS} <= set(MENUS)
    required = {"J", "K", "G", "B", "U", "1", "2", "3", "4", "5", "E", "Ctrl+Return",
                "Ctrl+Z", "Ctrl+Shift+Z", "S", "/", "F", "?", "Ctrl+I", "Ctrl+Q"}  # fmt: skip
    assert required <= set(keys)
    assert {spec.id for spec in ACTIONS if spec.single_key} >= {"nav.next", "review.good"}
    assert not next(s for s in ACTIONS if s.id == "review.submit").single_key


def test_cheat_sheet_lists_every_action(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    assert sorted(dialog.action_ids()) == sorted(spec.id for spec in ACTIONS)
    texts = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]  # type: ignore[union-attr]
    assert "Verdict: good" in texts
    with qtbot.waitSignal(dialog.finished):
        dialog.open()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)


class _Host(QMainWindow):
    """A window with every handler, recording calls (for the shortcut tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        for spec in ACTIONS:
            setattr(self, spec.handler, self._recorder(spec.handler))
        self.actions_by_id = build_actions(self)
        build_menus(self.menuBar(), self.actions_by_id)

    def _recorder(self, name: str):  # type: ignore[no-untyped-def]
        return lambda *args: self.calls.append((name, args))


def test_menus_are_generated_from_the_table(qtbot: QtBot) -> None:
    host = _Host()
    qtbot.addWidget(host)
    titles = [a.text().replace("&", "") for a in host.menuBar().actions()]
    assert titles == list(MENUS)
    in_menus = {
        a.objectName() for m in host.menuBar().actions() for a in cast(QMenu, m.menu()).actions()
    }
    assert in_menus == {spec.id for spec in ACTIONS}


def test_single_keys_fire_outside_text_fields_only(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

    host = _Host()
    qtbot.addWidget(host)
    central = QWidget()
    layout = QVBoxLayout(central)
    table = QPlainTextEdit()
    table.setReadOnly(True)
    note = QPlainTextEdit()
    search = QLineEdit()
    for w in (table, note, search):
        layout.addWidget(w)
    host.setCentralWidget(central)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()

    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_G)
    qtbot.keyClick(table, Qt.Key.Key_3)
    assert host.calls == [("set_verdict", ("good",)), ("set_rating", (3,))]

    host.calls.clear()
    note.setFocus()
    qtbot.waitUntil(note.hasFocus)
    qtbot.keyClicks(note, "gj3")
    assert note.toPlainText() == "gj3"
    assert host.calls == []
    qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert host.calls == [("submit_review", ())]

    host.calls.clear()
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "bad /?")
    assert search.text() == "bad /?"
    assert host.calls == []
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert host.calls == [("focus_queue", ())]


def test_typing_guard_blocks_single_keys_in_editable_widgets(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QComboBox, QLineEdit

    host = _Host()
    qtbot.addWidget(host)
    edit = QLineEdit()
    combo = QComboBox()
    assert is_typing(edit)
    assert not is_typing(combo)
    combo.setEditable(True)
    assert is_typing(combo)
    edit.setReadOnly(True)
    assert not is_typing(edit)
    assert not is_typing(None)
    # The guard: triggering "G" while a text field has focus does nothing.
    line = QLineEdit(host)
    host.show()
    qtbot.waitExposed(host)
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    host.actions_by_id["review.good"].trigger()
    host.actions_by_id["review.submit"].trigger()
    assert host.calls == [("submit_review", ())]


# ------------------------------------------------------------------ resources and theme


def test_resources_are_found_and_every_token_is_defined() -> None:
    assert resource_root().is_dir()
    template = resource_path("styles", "base.qss").read_text(encoding="utf-8")
    used = template_tokens(template)
    assert used
    for theme in ("light", "dark"):
        tokens = load_tokens(theme)
        assert used <= set(tokens), f"{theme} lacks {used - set(tokens)}"
        assert "{{" not in render_template(template, tokens)
    assert set(load_tokens("light")) == set(load_tokens("dark"))
    with pytest.raises(RedlineError, match="undefined token"):
        render_template("a { color: {{ nope }}; }", {})


def test_icons_render(qapp: QApplication) -> None:
    for name in ("verdict-good", "verdict-bad", "verdict-unsure", "flag", "redline"):
        assert not icon(name, "#c2272d").isNull(), name


def test_guidelines_default_and_per_prompt() -> None:
    assert guidelines_text(None).startswith("# Review guidelines")
    assert guidelines_text("no-such-prompt") == guidelines_text(None)
    assert guidelines_text("../../etc/passwd") == guidelines_text(None)


def test_theme_follows_setting(qapp: QApplication) -> None:
    from redline.ui.theme import Theme

    theme = Theme(qapp, setting="dark")
    try:
        assert theme.name == "dark"
        assert load_tokens("dark")["accent"] in qapp.styleSheet()
        assert theme.resolve() == "dark"
        theme.set_setting("light")
        assert theme.name == "light"
        assert load_tokens("light")["accent"] in qapp.styleSheet()
    finally:
        theme.setParent(None)
        theme.deleteLater()
        qapp.setStyleSheet("")


# ------------------------------------------------------------------ sample view


def test_sample_view_shows_conversation_output_and_metadata(qtbot: QtBot) -> None:
    view = SampleView()
    qtbot.addWidget(view)
    view.show_detail(_detail())
    assert view.turn_texts() == [
        ("user", "How do I reset my password?"),
        ("assistant", "Which account?"),
        ("user", "The work one."),
    ]
    assert view.system_text.toPlainText() == "Be concise."
    assert not view.system_text.isVisibleTo(view)
    view.system_toggle.click()
    assert view.system_text.isVisibleTo(view)
    meta = view.meta_label.text()
    assert "support v3" in meta
    assert "gpt-4o-mini" in meta
    assert "score 0.42 → human_review" in meta
    assert "thumbs down" in view.signals_label.text()
    assert "copied" in view.signals_label.text()
    assert "**Settings → Account**" in view.output.toPlainText()  # raw text by default
    view.set_text_mode(rendered=True, monospace=False)
    rendered = view.output.toPlainText()
    assert "Settings → Account" in rendered
    assert "**" not in rendered  # markdown rendered, not shown raw
    fonts = view.code_block_fonts()
    assert fonts
    assert all(f.fixedPitch() for f in fonts)


def test_sample_view_plain_input_and_empty_state(qtbot: QtBot) -> None:
    view = SampleView()
    qtbot.addWidget(view)
    view.show_detail(_detail(input_messages=None, system_prompt=None, input_text="Hi there"))
    assert view.turn_texts() == [("user", "Hi there")]
    assert not view.system_toggle.isVisibleTo(view)
    view.show_detail(None)
    assert view.empty_label.isVisibleTo(view)
    assert not view.splitter.isVisibleTo(view)


# ------------------------------------------------------------------ review panel and diff


def test_diff_view_marks_changed_words(qtbot: QtBot) -> None:
    view = DiffView()
    qtbot.addWidget(view)
    view.set_texts("Refunds take 5 days.", "Refunds take 7 business days.")
    kinds = [s.kind for s in view.segments]
    assert "insert" in kinds
    assert "delete" in kinds
    assert "line-through" in view.toHtml()
    assert view.summary().startswith("+")


def test_review_panel_loads_draft_over_review_and_emits_debounced_drafts(qtbot: QtBot) -> None:
    panel = ReviewPanel(("hallucination", "tone"))
    qtbot.addWidget(panel)
    detail = _detail(output="Original answer.")
    review = ReviewState(
        id=uuid.uuid4(), sample_id=detail.id, reviewer="Ada", verdict=Verdict.GOOD, rating=4,
        categories=(), note="", correction=None, flagged=False, time_spent_ms=10, revision=2,
        updated_at=T0,
    )  # fmt: skip
    panel.load(detail, review, None)
    assert panel.verdict() == Verdict.GOOD
    assert panel.rating() == 4
    assert panel.correction() is None
    assert panel.correction_edit.toPlainText() == "Original answer."
    assert not panel.is_dirty()

    draft = ReviewInput(detail.id, verdict=Verdict.BAD, rating=2, categories=("tone",),
                        note="rude", correction="Better answer.", flagged=True)  # fmt: skip
    panel.load(detail, review, draft)
    current = panel.current_input(99)
    assert current == ReviewInput(detail.id, Verdict.BAD, 2, ("tone",), "rude", "Better answer.",
                                  True, 99)  # fmt: skip
    assert "Better" in panel.diff_view.toPlainText()

    with qtbot.waitSignal(panel.draft_changed) as emitted:
        panel.set_verdict("unsure")
        panel.set_rating(3)
    assert emitted.args[0].verdict == Verdict.UNSURE
    assert emitted.args[0].rating == 3


def test_review_panel_buttons_take_no_focus(qtbot: QtBot) -> None:
    panel = ReviewPanel()
    qtbot.addWidget(panel)
    panel.load(_detail())
    for button in [*panel.verdict_buttons.values(), *panel.rating_buttons.values()]:
        assert button.focusPolicy() == Qt.FocusPolicy.NoFocus
    qtbot.mouseClick(panel.verdict_buttons[Verdict.BAD], Qt.MouseButton.LeftButton)
    assert panel.verdict() == Verdict.BAD


# ------------------------------------------------------------------ dialogs


def test_identity_dialog_needs_a_name(qtbot: QtBot) -> None:
    dialog = IdentityDialog()
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "  Ada   Lovelace ")
    assert ok.isEnabled()
    with qtbot.waitSignal(dialog.finished):
        dialog.open()
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == IdentityDialog.DialogCode.Accepted
    assert dialog.name() == "Ada Lovelace"


def test_error_text_says_what_where_and_next() -> None:
    what, info, details = describe(
        RedlineError("not a Redline store", where="/tmp/x.sqlite", hint="choose another file")
    )
    assert what == "not a Redline store"
    assert "/tmp/x.sqlite" in info
    assert "choose another file" in info
    assert details == ""
    what, _info, details = describe(ValueError("boom"))
    assert "ValueError: boom" in what
    assert "Traceback" in details or "ValueError" in details


def test_import_report_text_counts_bad_rows(tmp_path: Path) -> None:
    report = ImportReport(
        batch_id=uuid.uuid4(), source="bot", file_name="bot.jsonl", format="jsonl",
        shape="flat", status="complete", records_read=10, imported=7, duplicates=1, bad=2,
        not_sampled=0, problems=(Problem(3, "'output' is not text"), Problem(8, "bad JSON")),
    )  # fmt: skip
    text = report_text(report)
    assert "Bad rows: 2" in text
    assert "line 3: 'output' is not text" in text


def test_output_keeps_line_breaks_outside_code() -> None:
    from redline.ui.widgets.sample_view import keep_line_breaks

    assert keep_line_breaks("SELECT 1\nFROM t;") == "SELECT 1  \nFROM t;"
    assert keep_line_breaks("a\n\nb") == "a\n\nb"
    fenced = "```\nx = 1\ny = 2\n```"
    assert keep_line_breaks(fenced) == fenced


def test_output_keeps_leading_indentation_of_unfenced_code(qtbot: QtBot) -> None:
    view = SampleView()
    qtbot.addWidget(view)
    lines = _rendered_lines(view, "Run this:\ndef f():\n    return 1\n\n    indented block\n")
    assert lines[:3] == ["Run this:", "def f():", "\u00a0\u00a0\u00a0\u00a0return 1"]
    # An indented code block (after a blank line) stays a code block, no hard breaks.
    assert lines[3] == "indented block"
    nested = _rendered_lines(view, "Steps:\n- one\n    - two\n")
    assert nested == ["Steps:", "one", "two"]  # nested list, not indented text


def _rendered_lines(view: SampleView, output: str) -> list[str]:
    from redline.ui.widgets.sample_view import keep_line_breaks

    view.output.setMarkdown(keep_line_breaks(output))
    block = view.output.document().begin()
    lines = []
    while block.isValid():
        lines.extend(block.text().split("\u2028"))
        block = block.next()
    return [line for line in lines if line]
