"""The threshold studio: drag the candidate line with the mouse, read the summary,
suggest, propose (the proposal is stored with its evidence), create a policy."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, insert, select, update
from tests.analytics.drift_demo import planted_drift_demo
from tests.clock import SetClock
from tests.ui.conftest import add_samples, sample_values

from redline.policies.service import PolicyDraft
from redline.settings import Settings
from redline.store.base import uuid7
from redline.store.models import Policy, Review, Sample, ThresholdProposal
from redline.ui.changes import ChangeHub
from redline.ui.resources import load_tokens
from redline.ui.studio.page import StudioPage
from redline.ui.studio.policy_dialog import PolicyDialog
from redline.ui.tasks import TaskRunner
from redline.ui.theme import Theme, current_theme
from redline.ui.workspaces import WorkspaceContext


def _store(engine: Engine, count: int = 150) -> None:
    """Samples of the 'support' prompt with scores, reviews that mostly agree with the
    score, and an auto-send policy at 0.5 (language 'de' at 0.6)."""
    ids = add_samples(engine, count)
    rows: list[dict[str, Any]] = []
    for i, sample_id in enumerate(ids):
        score = sample_values(i, uuid.uuid4())["score"]
        good = score >= 0.4 if i % 5 else score >= 0.8
        for reviewer in ("ana", "ben") if i % 9 == 0 else ("ana",):
            rows.append(
                {"id": uuid7(), "sample_id": sample_id, "reviewer": reviewer,
                 "verdict": "good" if good else "bad", "categories": []}
            )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Review), rows)
        conn.execute(
            insert(Policy),
            [{"id": uuid7(), "name": "auto-send", "score_field": "score", "direction": "ge",
              "action": "auto_send", "threshold": 0.5, "segment_field": "language",
              "segment_thresholds": {"de": 0.6}}],
        )  # fmt: skip


@pytest.fixture
def make_page(qtbot: QtBot, engine: Engine) -> Iterator[Any]:
    runners: list[TaskRunner] = []

    def make(
        settings: Settings | None = None,
        show_selection: Callable[[frozenset[uuid.UUID], str], None] = lambda ids, label: None,
    ) -> StudioPage:
        runner = TaskRunner()
        runners.append(runner)
        context = WorkspaceContext(
            engine=engine,
            settings=settings or Settings(reviewer="Ada"),
            runner=runner,
            hub=ChangeHub(),
            show_selection=show_selection,
            show_workspace=lambda key: QWidget(),
        )
        page = StudioPage(context)
        qtbot.addWidget(page)
        page.resize(1400, 850)
        with qtbot.waitSignal(page.view_ready, timeout=20_000):
            page.show()
        # The first paint keeps the background that drags blit onto.
        qtbot.waitUntil(page.figures.main.can_blit)
        return page

    yield make
    for runner in runners:
        assert runner.shutdown(10_000)


def _pixel(page: StudioPage, threshold: float) -> QPoint:
    """Where `threshold` is on the rate curves, in the canvas' widget coordinates."""
    ax = page.figures.curves_axes
    assert ax is not None
    canvas = page.figures.main
    x, y = ax.transData.transform((threshold, 0.5))
    ratio = canvas.devicePixelRatioF()
    return QPoint(round(x / ratio), round(canvas.height() - y / ratio))


def test_dragging_the_candidate_updates_the_summary_live(
    engine: Engine, make_page: Any, qtbot: QtBot
) -> None:
    _store(engine)
    page = make_page()
    canvas = page.figures.main
    assert page.candidate == pytest.approx(0.5)
    assert page.summary_label.text().startswith("At the current 0.5: precision")
    blits, draws = canvas.blits, canvas.full_draws
    start, end = _pixel(page, 0.5), _pixel(page, 0.75)
    seen: list[str] = []
    page.summary_changed.connect(seen.append)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    middle = QPoint((start.x() + end.x()) // 2, start.y())
    QTest.mouseMove(canvas, middle)
    qtbot.waitUntil(lambda: page.candidate > 0.6)
    # Moves faster than the event loop turns are drawn once, where the mouse is last.
    redraws = canvas.blits
    QTest.mouseMove(canvas, QPoint(end.x() - 5, end.y()))
    QTest.mouseMove(canvas, end)
    qtbot.waitUntil(lambda: page.candidate == pytest.approx(0.75, abs=0.01))
    assert canvas.blits == redraws + 1
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    # The line followed the mouse, each step redrawn by blitting, the summary with it.
    assert page.candidate == pytest.approx(0.75, abs=0.01)
    assert canvas.blits >= blits + 4
    assert canvas.full_draws == draws
    assert len(seen) >= 3
    summary = page.summary_label.text()
    assert summary.startswith("0.5 → 0.7")
    assert "false positives −" in summary
    assert "automation −" in summary
    assert "on 150 reviewed samples" in summary
    # The confusion matrix shows the counts at the candidate.
    point = page.view.curves.at(page.candidate)
    for cell in ("tp", "fn", "fp", "tn"):
        count = getattr(point, cell)
        assert page.figures.cells[cell].text() == f"{count:,.0f}\n{cell.upper()}"
    # Moving back to the current threshold says so.
    page.set_candidate(0.5)
    assert page.summary_label.text().startswith("At the current 0.5")


def test_suggest_by_cost_moves_the_line_and_explains(engine: Engine, make_page: Any) -> None:
    _store(engine)
    page = make_page()
    page.fp_cost_spin.setValue(10)
    page.fn_cost_spin.setValue(1)
    page.suggest_cost_button.click()
    suggestion = page.view.curves.suggest_by_cost(10, 1)
    assert page.candidate == pytest.approx(suggestion.threshold)
    assert "lowest expected cost" in page.explanation_label.text()
    page.precision_spin.setValue(0.999)
    page.suggest_precision_button.click()
    assert "No threshold reaches 99.9 %" in page.explanation_label.text()


def test_a_proposal_is_stored_with_its_evidence(
    engine: Engine, make_page: Any, qtbot: QtBot
) -> None:
    _store(engine)
    page = make_page()
    assert not page.approve_button.isVisibleTo(page)  # Ada is not a lead
    page.set_candidate(0.7)
    qtbot.keyClicks(page.rationale_edit, "Too many bad answers auto-sent")
    with qtbot.waitSignal(page.proposal_stored, timeout=10_000):
        qtbot.mouseClick(page.propose_button, Qt.MouseButton.LeftButton)
    with engine.connect() as conn:
        proposal = conn.execute(select(ThresholdProposal)).one()
    assert proposal.old_value == 0.5
    assert proposal.new_value == pytest.approx(0.7)
    assert proposal.proposer == "Ada"
    assert proposal.status == "proposed"
    assert proposal.rationale == "Too many bad answers auto-sent"
    evidence = proposal.evidence
    assert evidence["old"]["threshold"] == 0.5
    assert evidence["new"]["precision"]["n"] > 0
    assert evidence["reviewed"] == 150
    qtbot.waitUntil(lambda: page.proposals_list.count() == 1)
    assert "0.5 → 0.7" in page.proposals_list.item(0).text()


def test_a_lead_approves_and_the_policy_moves(engine: Engine, make_page: Any, qtbot: QtBot) -> None:
    _store(engine)
    page = make_page(Settings(reviewer="Carol", role="lead"))
    assert page.approve_button.isVisibleTo(page)
    page.set_candidate(0.65)
    page.rationale_edit.setPlainText("fewer false positives")
    with qtbot.waitSignal(page.proposal_stored, timeout=10_000):
        page.propose_button.click()
    qtbot.waitUntil(lambda: page.proposals_list.count() == 1)
    page.proposals_list.setCurrentRow(0)
    with qtbot.waitSignal(page.view_ready, timeout=20_000):
        page.approve_button.click()
    with engine.connect() as conn:
        assert conn.scalar(select(Policy.threshold)) == pytest.approx(0.65)
        assert conn.scalar(select(ThresholdProposal.decider)) == "Carol"
    assert "0.65" in page.rule_label.text()


def test_cohort_with_its_own_threshold(engine: Engine, make_page: Any, qtbot: QtBot) -> None:
    _store(engine)
    page = make_page()
    index = page.cohort_box.findData("de")
    assert "own 0.6" in page.cohort_box.itemText(index)
    with qtbot.waitSignal(page.view_ready, timeout=20_000):
        page.cohort_box.setCurrentIndex(index)
    assert page.view.curves.current == 0.6
    assert page.candidate == pytest.approx(0.5)  # the candidate stays where it was
    # de has few reviewed samples: the studio says so.
    assert "Too few reviewed samples" in page.warning_label.text()
    # The small multiples compare the prompt versions within de, at de's threshold.
    with qtbot.waitSignal(page.view_ready, timeout=20_000):
        page.dimension_box.setCurrentIndex(page.dimension_box.findData("prompt_version"))
    panels = page.view.segments
    assert {p.value for p in panels} == {"support v2", "support v3"}
    assert sum(p.curves.reviewed for p in panels) == page.view.curves.reviewed
    assert all(p.curves.current == 0.6 for p in panels)
    assert page.figures.multiples.figure.get_suptitle() == "within language = de"
    # Compared by language itself, every language shows and de is marked.
    with qtbot.waitSignal(page.view_ready, timeout=20_000):
        page.dimension_box.setCurrentIndex(page.dimension_box.findData("language"))
    assert [p.value for p in page.view.segments if p.chosen] == ["de"]
    assert len(page.view.segments) > 1


def test_new_policy_from_the_studio(
    engine: Engine, make_page: Any, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(engine)
    page = make_page()
    draft = PolicyDraft(name="block-unsafe", threshold=0.3, action="block", direction="le")
    monkeypatch.setattr(PolicyDialog, "ask", classmethod(lambda cls, *a, **k: draft))
    with qtbot.waitSignal(page.view_ready, timeout=20_000):
        page.new_policy_button.click()
    assert page.policy_box.currentText() == "block-unsafe"
    assert page.view.curves.target == "bad"
    assert page.view.curves.direction == "le"


def test_the_policy_dialog_needs_a_name(qtbot: QtBot) -> None:
    dialog = PolicyDialog(segment_fields=["plan"])
    qtbot.addWidget(dialog)
    from PySide6.QtWidgets import QDialogButtonBox

    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "escalate")
    assert ok.isEnabled()
    dialog.direction_box.setCurrentIndex(1)
    dialog.segment_box.setCurrentText("plan")
    draft = dialog.draft()
    assert (draft.name, draft.direction, draft.segment_field) == ("escalate", "le", "plan")
    # Left alone, target and prompts are inferred; set, they are the policy's own.
    assert (draft.target_verdict, draft.prompt_names) == (None, ())
    dialog.target_box.setCurrentIndex(1)
    qtbot.keyClicks(dialog.prompts_edit, "support, summarizer")
    draft = dialog.draft()
    assert (draft.target_verdict, draft.prompt_names) == ("good", ("support", "summarizer"))


def test_figures_export_to_png_and_svg(engine: Engine, make_page: Any, tmp_path: Any) -> None:
    _store(engine)
    page = make_page()
    for name in ("studio.png", "studio.svg"):
        page.export_figure(str(tmp_path / name))
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "studio.png").read_bytes()[:4] == b"\x89PNG"


def test_clicking_a_matrix_cell_opens_its_samples(
    engine: Engine, make_page: Any, qtbot: QtBot
) -> None:
    _store(engine)
    opened: list[tuple[frozenset[uuid.UUID], str]] = []
    page = make_page(show_selection=lambda ids, label: opened.append((ids, label)))
    page.set_candidate(0.7)
    fp = page.figures.cells["fp"]
    assert fp.isVisible()
    qtbot.mouseClick(fp, Qt.MouseButton.LeftButton)
    [(ids, label)] = opened
    assert label == "false positives of auto-send at 0.7"
    # By the definition: reviewed bad, score at or above 0.7 (de keeps its own 0.6).
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sample.id, Sample.score, Sample.language)
            .join(Review, Review.sample_id == Sample.id)
            .where(Review.verdict == "bad")
            .distinct()
        ).all()
    expected = {r.id for r in rows if r.score >= (0.6 if r.language == "de" else 0.7)}
    assert ids == expected
    assert len(ids) == page.view.curves.at(0.7).fp > 0
    # A cohort says so in the queue's label.
    with qtbot.waitSignal(page.view_ready, timeout=20_000):
        page.cohort_box.setCurrentIndex(page.cohort_box.findData("de"))
    qtbot.mouseClick(page.figures.cells["tn"], Qt.MouseButton.LeftButton)
    assert opened[-1][1] == "true negatives of auto-send (language = de) at 0.7"


def test_drift_of_the_policy_scores_is_shown(
    engine: Engine, make_page: Any, qtbot: QtBot, tmp_path: Path, clock: SetClock
) -> None:
    planted = planted_drift_demo(engine, tmp_path / "demo", clock)
    page = make_page()
    # The planted shift is in the summarizer, which auto-send does not decide on.
    qtbot.waitUntil(lambda: page.drift_warning is not None, timeout=20_000)
    assert page.drift_warning == ""
    assert not page.drift_label.isVisibleTo(page)
    # Now the support assistant's scorer drifts too: the studio warns.
    with engine.begin() as conn:
        conn.execute(
            update(Sample)
            .where(Sample.prompt_name == "support-assistant", Sample.captured_at >= planted.since)
            .values(score=Sample.score * 0.8)
        )
    with qtbot.waitSignal(page.drift_checked, timeout=20_000) as blocker:
        page.load_data()
    assert blocker.args is not None
    warning = blocker.args[0]
    assert warning.startswith("⚠ Drift: ") and "review the threshold" in warning
    assert page.drift_label.isVisibleTo(page)
    assert page.drift_label.text() == warning


def test_dark_theme_renders_dark(
    engine: Engine, make_page: Any, qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    _store(engine)
    # The application's theme (another test may have installed one), put back after.
    existing = current_theme()
    palette, style_sheet = qapp.palette(), qapp.styleSheet()
    theme = existing or Theme(qapp, setting="light")
    before = theme.setting
    theme.set_setting("light")
    try:
        page = make_page()
        dark = load_tokens("dark")
        canvas = page.figures.main
        draws = canvas.full_draws
        theme.set_setting("dark")  # the studio redraws in the new colours at once
        qtbot.waitUntil(lambda: canvas.full_draws > draws and canvas.can_blit())
        assert canvas.figure.get_facecolor() == pytest.approx(to_rgba(dark["background"]))
        # Rendered pixels: the figure's margin is the dark background, the axes the
        # dark surface, and the titles are drawn in the light text colour.
        pixels = np.asarray(canvas.buffer_rgba())
        assert _near(pixels[2, 2, :3], dark["background"])
        ax = page.figures.curves_axes
        box = ax.bbox
        height = pixels.shape[0]
        inside = pixels[height - int(box.y1) + 3 : height - int(box.y0) - 3,
                        int(box.x0) + 3 : int(box.x1) - 3, :3].reshape(-1, 3)  # fmt: skip
        colours, counts = np.unique(inside, axis=0, return_counts=True)
        assert _near(colours[np.argmax(counts)], dark["surface"])  # most of the axes
        assert ax.title.get_color() == dark["text"]
        # The numbers over the figure follow the theme too.
        assert page.figures.cells["tp"].text_colour.name() == dark["text"]
        page.export_figure(str(tmp_path / "dark.png"))
        exported = mpimg.imread(tmp_path / "dark.png")
        assert _near(np.round(exported[2, 2, :3] * 255), dark["background"])
    finally:
        if existing is None:
            theme.setParent(None)
            theme.deleteLater()
            qapp.setPalette(palette)
            qapp.setStyleSheet(style_sheet)
        else:
            theme.set_setting(before)


def _near(pixel: Any, hex_colour: str) -> bool:
    """The pixel is the colour, give or take antialiasing of a neighbouring line."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return bool(np.all(np.abs(np.asarray(pixel, dtype=int) - rgb) <= 3))
