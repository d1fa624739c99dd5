"""The Prompts and Experiments workspaces, driven like a user: create, submit, approve (as a
lead), deploy, roll back, diff, audit, compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from matplotlib.patches import Rectangle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from tests.export.helpers import add_batch, add_review, add_sample
from tests.prompts.helpers import add_arm, add_experiment, catalog, deployed
from tests.ui.helpers import cell

from redline.prompts.catalog import DraftSpec, create_draft, find_version, list_versions
from redline.prompts.experiments import ExperimentSpec
from redline.settings import Settings
from redline.store.models import PromptVersionStatus as Status
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.prompts.catalog_page import CatalogPage
from redline.ui.prompts.experiment_page import ExperimentPage
from redline.ui.prompts.new_experiment import NewExperimentDialog

LEAD = Settings(reviewer="carol", role="lead", device="lead-laptop")


def open_catalog(qtbot: QtBot, make_window: Any, settings: Settings | None = None) -> CatalogPage:
    window = make_window(settings=settings)
    with qtbot.waitSignal(window.tabs.currentChanged):
        window.show_workspace("prompts")
    page = window.workspace_page("prompts")
    assert isinstance(page, CatalogPage)
    qtbot.waitUntil(lambda: bool(page.snapshot.versions))
    return page


def visible_actions(page: CatalogPage) -> set[str]:
    shown = {a.value for a, b in page.action_buttons.items() if b.isVisibleTo(page)}
    if page.rollback_button.isVisibleTo(page):
        shown.add("rollback")
    return shown


def act(qtbot: QtBot, page: CatalogPage, button: Any) -> None:
    with qtbot.waitSignal(page.acted, timeout=10_000), qtbot.waitSignal(page.loaded):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_reviewer_writes_and_submits_a_draft_but_cannot_approve(
    qtbot: QtBot, make_window: Any, engine: Engine
) -> None:
    deployed(engine, catalog(engine, author="Ada"))
    page = open_catalog(qtbot, make_window)
    assert (current := page.current_version()) is not None and current.version == "v1"
    # A deployed version offers a reviewer nothing.
    assert visible_actions(page) == set()

    page.tabs.setCurrentIndex(1)
    page.template_edit.selectAll()
    qtbot.keyClicks(page.template_edit, "Answer {question} kindly for {product}.")
    page.variables_edit.clear()
    qtbot.keyClicks(page.variables_edit, "question")
    assert "'{product}' is used but not declared" in page.problems.text()
    qtbot.keyClicks(page.variables_edit, ", product")
    assert page.problems.text() == "Template and variables match."
    qtbot.keyClicks(page.note_edit, "asks for the question")
    act(qtbot, page, page.new_draft_button)

    v2 = find_version(engine, "support", "v2")
    assert (v2.status, v2.author, v2.variables) == (Status.DRAFT, "Ada", ("question", "product"))
    page.select_version("v2")
    assert visible_actions(page) == {"submit"}
    qtbot.keyClicks(page.reason, "ready for review")
    act(qtbot, page, page.action_buttons[page_action("submit")])
    assert find_version(engine, "support", "v2").status is Status.IN_REVIEW
    assert (current := page.current_version()) is not None and current.version == "v2"
    # Own version, and not a lead: approve, reject and deploy are not even offered.
    assert visible_actions(page) == set()
    assert "v2: draft → in review" in page.status.text()
    # Submitted versions are frozen: the editor cannot save over it.
    assert not page.save_draft_button.isEnabled()


def page_action(name: str) -> Any:
    from redline.prompts.rules import Action

    return Action(name)


def test_a_lead_approves_deploys_and_rolls_back_with_an_audit_trail(
    qtbot: QtBot, make_window: Any, engine: Engine
) -> None:
    from redline.prompts.catalog import DraftSpec, create_draft, transition
    from redline.prompts.rules import Action
    from redline.roles import Role

    deployed(engine, catalog(engine, author="ana"))
    v2 = create_draft(engine, "support", DraftSpec("Hello {product} in {language}."), actor="ana")
    transition(engine, v2.id, Action.SUBMIT, actor="ana", role=Role.REVIEWER)
    page = open_catalog(qtbot, make_window, LEAD)
    page.select_version("v2")
    assert visible_actions(page) == {"approve", "reject"}

    act(qtbot, page, page.action_buttons[Action.APPROVE])
    assert visible_actions(page) == {"deploy", "retire"}
    act(qtbot, page, page.action_buttons[Action.DEPLOY])
    assert {v.version: v.status for v in list_versions(engine, "support")} == {
        "v1": Status.APPROVED,
        "v2": Status.DEPLOYED,
    }
    assert page.rollback_button.text() == "Roll back to v1"
    qtbot.keyClicks(page.reason, "v2 breaks German")
    act(qtbot, page, page.rollback_button)
    assert find_version(engine, "support", "v1").status is Status.DEPLOYED

    page.tabs.setCurrentIndex(3)
    qtbot.waitUntil(lambda: page.audit_table.rowCount() == 12)
    top = [cell(page.audit_table, 0, c).text() for c in (2, 3, 4, 5, 6)]
    assert top == ["carol", "rollback", "support v1", "approved → deployed", "v2 breaks German"]
    with qtbot.waitSignal(page.audit_loaded):
        page.audit_person.setCurrentText("ana")
    assert {cell(page.audit_table, r, 2).text() for r in range(page.audit_table.rowCount())} == {
        "ana"
    }
    with qtbot.waitSignal(page.acted):
        qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    assert page.verify_label.text() == "Chain intact: 12 events"


def test_side_by_side_diff_of_two_versions(qtbot: QtBot, make_window: Any, engine: Engine) -> None:
    from redline.prompts.catalog import DraftSpec, create_draft

    catalog(engine, author="ana")
    create_draft(
        engine,
        "support",
        DraftSpec("You are a billing agent for {product}. Reply in {language}.",
                  parameters={"temperature": 0.7}),
        actor="ana",
    )  # fmt: skip
    page = open_catalog(qtbot, make_window)
    page.compare("v1", "v2")
    template = page.diff_parts["template"]
    changed = [(s.kind, s.text) for s in template.segments if s.kind != "equal"]
    assert changed == [("delete", "support"), ("insert", "billing")]
    assert "line-through" in template.old_view.toHtml()
    assert "billing" in template.new_view.toPlainText()
    assert "support" not in template.new_view.toPlainText()
    assert page.diff_parts["parameters"].title.text() == "Parameters: +1 −1 words"
    assert page.diff_parts["tools"].title.text() == "Tools: unchanged"


def test_experiment_page_compares_the_arms_and_plots_them(
    qtbot: QtBot, make_window: Any, engine: Engine
) -> None:
    add_arm(engine, prompt="support", version="v3", variant="A", good=30, bad=20)
    add_arm(engine, prompt="support", version="v3", variant="B", good=45, bad=5)
    add_experiment(engine, name="opening", min_samples=200)
    window = make_window()
    page = window.workspace_page("experiments")
    assert isinstance(page, ExperimentPage)
    with qtbot.waitSignal(page.computed, timeout=10_000) as blocker:
        window.show_workspace("experiments")
    result = blocker.args[0]
    assert result.state == "too_few_samples"
    assert page.verdict.text().startswith("<b>Too few samples:</b>")
    assert page.arms_table.rowCount() == 2
    assert cell(page.arms_table, 1, 3).text() == "90.0 % (78.6–95.7, n=50)"
    bars = [cast(Rectangle, p).get_height() for p in page.canvas.figure.axes[0].patches]
    assert bars == [60.0, 90.0]

    with qtbot.waitSignal(page.computed, timeout=10_000) as blocker:
        page.min_samples.setValue(50)
    assert blocker.args[0].state == "ready"
    assert "B is better than A" in page.verdict.text()
    assert "Sample ratio: 50 / 50 against 50 % / 50 % planned — ok" in page.details.text()


def test_the_new_experiment_dialog_offers_ok_only_for_two_arms(qtbot: QtBot) -> None:
    dialog = NewExperimentDialog({"support": ["v1", "v2", "v3"], "summary": ["v1"]})
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and dialog.problem.text() == "Give the experiment a name."
    qtbot.keyClicks(dialog.name_edit, "shorter greeting")
    dialog.prompt_combo.setCurrentText("support")
    assert ok.isEnabled()
    # The newest version against the one before it, by default.
    assert (dialog.control_combo.currentText(), dialog.treatment_combo.currentText()) == (
        "v2",
        "v3",
    )
    dialog.prompt_combo.setCurrentText("summary")
    assert not ok.isEnabled() and "same arm" in dialog.problem.text()
    qtbot.keyClicks(dialog.treatment_variant, "B")
    assert ok.isEnabled()
    dialog.split_spin.setValue(1.0)  # clamped: no arm without traffic
    dialog.min_spin.setValue(0)
    spec = dialog.spec()
    assert (spec.planned_split, spec.min_samples_per_arm) == (0.99, 1)
    assert (spec.control_variant, spec.treatment_variant) == (None, "B")


def test_create_an_experiment_from_the_experiments_page(
    qtbot: QtBot, make_window: Any, engine: Engine, monkeypatch: Any
) -> None:
    v1 = catalog(engine)
    create_draft(engine, "support", DraftSpec("Answer {question}."), actor="ana")
    add_arm(engine, prompt="support", version="v1", variant=None, good=30, bad=10)
    add_arm(engine, prompt="support", version="v2", variant=None, good=38, bad=2)
    window = make_window(settings=LEAD)
    page = window.workspace_page("experiments")
    assert isinstance(page, ExperimentPage)
    with qtbot.waitSignal(page.listed, timeout=10_000):
        window.show_workspace("experiments")
    assert "No experiments yet" in page.verdict.text()

    offered: list[dict[str, list[str]]] = []

    def fill_in(versions: dict[str, list[str]], parent: Any) -> ExperimentSpec:
        offered.append(versions)
        return ExperimentSpec("v2-vs-v1", "support", "v1", "v2", min_samples_per_arm=30)

    monkeypatch.setattr(NewExperimentDialog, "ask", fill_in)
    with (
        qtbot.waitSignal(page.created, timeout=10_000),
        qtbot.waitSignal(page.computed, timeout=10_000) as computed,
    ):
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert offered == [{"support": ["v1", "v2"]}]
    assert page.chooser.currentText() == "v2-vs-v1"
    assert computed.args[0].state == "ready"
    assert [a.quality.judged for a in computed.args[0].arms] == [40, 40]
    assert v1.version == "v1"

    # The same name again: refused with a message, nothing added.
    shown: list[str] = []
    monkeypatch.setattr(ErrorDialog, "ask", lambda parent, exc, title="": shown.append(str(exc)))
    with qtbot.waitSignal(page.listed, timeout=10_000, raising=False):
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown))
    assert "exists already" in shown[0]


def test_regression_set_build_import_and_side_by_side(
    qtbot: QtBot, make_window: Any, engine: Engine, tmp_path: Path, monkeypatch: Any
) -> None:
    catalog(engine)
    create_draft(engine, "support", DraftSpec("Answer {question}."), actor="ana")
    batch = add_batch(engine)
    cases = [add_sample(engine, batch, n=n, prompt_version="v1") for n in range(2)]
    for case in cases:
        add_review(engine, case, correction=None)
    page = open_catalog(qtbot, make_window)
    page.select_version("v1")
    panel = page.regression
    page.tabs.setCurrentWidget(panel)
    assert panel.new_version.currentText() == "v2"

    out = tmp_path / "cases.jsonl"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(panel.built, timeout=10_000) as built:
        qtbot.mouseClick(panel.build_button, Qt.MouseButton.LeftButton)
    assert built.args[0].written == 2
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    outputs = tmp_path / "v2.jsonl"
    outputs.write_text(
        "".join(
            json.dumps({"id": i, "output": f"better answer {n}"}) + "\n" for n, i in enumerate(ids)
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(outputs), ""))
    with qtbot.waitSignal(panel.compared, timeout=10_000) as compared:
        qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert len(compared.args[0].pairs) == 2
    assert panel.pairs_table.rowCount() == 2
    assert cell(panel.pairs_table, 0, 1).text() == "bad"
    assert cell(panel.pairs_table, 0, 2).text().startswith("better answer")
    assert cell(panel.pairs_table, 0, 3).text() == "not judged"
    assert "none judged yet" in panel.status.text()
    window: Any = page.window()  # the main window, whose tabs the panel switches
    with qtbot.waitSignal(window.tabs.currentChanged):
        qtbot.mouseClick(panel.review_button, Qt.MouseButton.LeftButton)
