"""The Pairwise workspace, driven by keys as a reviewer would: blind A/B, every choice
stored at once, J/K, Ctrl+Z, word diff, progress and the results line."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from scipy import stats as scipy_stats
from sqlalchemy import Engine, select
from tests.prompts.helpers import catalog
from tests.prompts.pairwise_helpers import make_pairs

from redline.prompts.catalog import DraftSpec, create_draft
from redline.review.pairwise import Preference, pairwise_results
from redline.store.models import Review
from redline.ui.pairwise.page import PairwisePage
from redline.ui.prompts.catalog_page import CatalogPage


def open_pairwise(qtbot: QtBot, make_window: Any) -> PairwisePage:
    window = make_window()
    with qtbot.waitSignal(window.tabs.currentChanged):
        window.show_workspace("pairwise")
    page = window.workspace_page("pairwise")
    assert isinstance(page, PairwisePage)
    qtbot.waitUntil(lambda: bool(page.items))
    return page


def stored(engine: Engine) -> dict[Any, tuple[str | None, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Review.sample_id, Review.preference, Review.compared_sample_id).where(
                Review.reviewer == "Ada", Review.deleted.is_(False)
            )
        ).all()
    return {r.sample_id: (r.preference, r.compared_sample_id) for r in rows}


def press(qtbot: QtBot, page: PairwisePage, key: Qt.Key, *, stores: bool = True,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # fmt: skip
    if stores:
        with qtbot.waitSignal(page.stored, timeout=10_000):
            qtbot.keyClick(page, key, modifier)
    else:
        qtbot.keyClick(page, key, modifier)


def test_a_reviewer_judges_pairs_with_keys(
    qtbot: QtBot, make_window: Any, engine: Engine, tmp_path: Path
) -> None:
    pairs = make_pairs(engine, tmp_path, 5)
    page = open_pairwise(qtbot, make_window)
    assert page.set_chooser.currentText() == "support v2 against its baselines"
    assert page.progress_label.text() == "Pair 1 of 5 · 0 of 5 pairs judged by you"
    first = page.current()
    assert first is not None
    # The input once, the two outputs side by side in the drawn (blind) order.
    assert "Question" in page.input_view.toPlainText()
    left, right = page.sides(first)
    assert page.left_view.toPlainText() == left and page.right_view.toPlainText() == right
    assert {left, right} == {first.candidate_output, first.baseline_output}
    # Both orders occur across pairs (blind): checked on 64 ids, since five random ids all
    # fall on one side once in 16 runs.
    assert {page.left_is_candidate(replace(first, candidate_id=uuid.UUID(int=n << 64)))
            for n in range(64)} == {True, False}  # fmt: skip

    # "1": the left output is better; stored at once as candidate / baseline.
    press(qtbot, page, Qt.Key.Key_1)
    expected = "candidate" if page.left_is_candidate(first) else "baseline"
    assert stored(engine)[first.candidate_id] == (expected, first.baseline_id)
    assert page.index == 1
    assert page.progress_label.text() == "Pair 2 of 5 · 1 of 5 pairs judged by you"

    # "B": the right one; "T": a tie; "X": both bad; "=" is a tie too.
    second = page.current()
    assert second is not None
    press(qtbot, page, Qt.Key.Key_B)
    expected = "baseline" if page.left_is_candidate(second) else "candidate"
    assert stored(engine)[second.candidate_id][0] == expected
    press(qtbot, page, Qt.Key.Key_T)
    press(qtbot, page, Qt.Key.Key_X)
    assert page.progress_label.text() == "Pair 5 of 5 · 4 of 5 pairs judged by you"
    press(qtbot, page, Qt.Key.Key_Equal)
    assert [p for p, _ in stored(engine).values()].count("tie") == 2

    # K goes back and shows the stored choice in the reviewer's terms; J forward.
    press(qtbot, page, Qt.Key.Key_K, stores=False)
    assert page.index == 3 and page.choice_label.text() == "Your choice: both bad"
    for _ in range(3):
        press(qtbot, page, Qt.Key.Key_K, stores=False)
    assert page.index == 0
    press(qtbot, page, Qt.Key.Key_J, stores=False)
    assert page.index == 1 and page.choice_label.text() == "Your choice: B is better"

    # Changing a choice replaces it; Ctrl+Z puts the earlier one back.
    press(qtbot, page, Qt.Key.Key_2)
    press(qtbot, page, Qt.Key.Key_A)
    with qtbot.waitSignal(page.stored):
        qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.index == 2
    assert stored(engine)[pairs[2][1]][0] == "tie"
    with qtbot.waitSignal(page.stored):
        qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.index == 1

    # The results line: one vote per pair, the candidate's win rate and the sign test,
    # ties left out.
    with qtbot.waitSignal(page.results_loaded):
        page._load_results()
    result = pairwise_results(engine, "support", "v2")
    assert result.choices == 5 and result.ties == 2 and result.both_bad == 1
    text = page.results_label.text()
    assert "2 tied, 1 both bad and 0 split pairs left out" in text
    assert f"sign test p = {scipy_stats.binomtest(result.votes.candidate, 2).pvalue:.3g}" in text
    # Every reviewer's choices on a second line.
    assert text.splitlines()[-1] == f"{result.choices_summary()}."


def test_word_diff_toggle_and_undo_of_a_first_choice(
    qtbot: QtBot, make_window: Any, engine: Engine, tmp_path: Path
) -> None:
    make_pairs(engine, tmp_path, 2)
    page = open_pairwise(qtbot, make_window)
    item = page.current()
    assert item is not None
    qtbot.keyClick(page, Qt.Key.Key_D)
    assert page.diff_toggle.isChecked()
    # Word level: both sides still read as their own output; shared words stay plain.
    left, right = page.sides(item)
    assert page.left_view.toPlainText() == left and page.right_view.toPlainText() == right
    assert "line-through" in page.left_view.toHtml() or "underline" in page.right_view.toHtml()
    qtbot.keyClick(page, Qt.Key.Key_D)
    assert not page.diff_toggle.isChecked()

    press(qtbot, page, Qt.Key.Key_X)
    assert stored(engine)[item.candidate_id][0] == Preference.BOTH_BAD.value
    with qtbot.waitSignal(page.stored):
        qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    # Undoing the only choice withdraws it: nothing stored, the pair is open again.
    assert item.candidate_id not in stored(engine)
    assert page.choice_label.text() == "Not judged yet: which output is better?"


def test_the_regression_tab_opens_pairwise_review(
    qtbot: QtBot, make_window: Any, engine: Engine, tmp_path: Path
) -> None:
    catalog(engine)
    create_draft(engine, "support", DraftSpec("Answer {question}."), actor="ana")
    make_pairs(engine, tmp_path, 2)
    make_pairs(engine, tmp_path, 1, prompt="billing")
    window = make_window()
    with qtbot.waitSignal(window.tabs.currentChanged):
        window.show_workspace("prompts")
    page = window.workspace_page("prompts")
    assert isinstance(page, CatalogPage)
    qtbot.waitUntil(lambda: bool(page.snapshot.versions))
    page.select_version("v1")
    panel = page.regression
    page.tabs.setCurrentWidget(panel)
    assert panel.new_version.currentText() == "v2"
    with qtbot.waitSignal(panel.compared, timeout=10_000):
        qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.tabs.currentChanged):
        qtbot.mouseClick(panel.pairwise_button, Qt.MouseButton.LeftButton)
    pairwise = window.workspace_page("pairwise")
    assert isinstance(pairwise, PairwisePage)
    qtbot.waitUntil(lambda: pairwise.current_set() == ("support", "v2"))
    qtbot.waitUntil(lambda: len(pairwise.items) == 2)
    assert pairwise.set_chooser.count() == 2  # billing v2 too
