"""Prompt writes announce through the change hub, so other pages follow without a
reload; version files (YAML or JSON) go in and out of the Prompts page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from tests.export.helpers import add_batch, add_sample
from tests.prompts.helpers import add_experiment, catalog

from redline.prompts.catalog import find_version
from redline.prompts.rules import Action
from redline.review.types import Changes
from redline.store.models import PromptVersionStatus as Status
from redline.ui.prompts.catalog_page import CatalogPage
from redline.ui.prompts.experiment_page import ExperimentPage


def show(qtbot: QtBot, window: Any, key: str) -> Any:
    if window.tabs.currentWidget() is not window.workspace_page(key):
        with qtbot.waitSignal(window.tabs.currentChanged):
            window.show_workspace(key)
    return window.workspace_page(key)


def test_a_submit_is_announced_and_the_experiments_page_follows(
    qtbot: QtBot, make_window: Any, engine: Engine
) -> None:
    catalog(engine, author="Ada")
    window = make_window()
    experiments = show(qtbot, window, "experiments")
    assert isinstance(experiments, ExperimentPage)
    qtbot.waitUntil(lambda: "No experiments yet" in experiments.verdict.text())
    page = show(qtbot, window, "prompts")
    assert isinstance(page, CatalogPage)
    qtbot.waitUntil(lambda: bool(page.snapshot.versions))
    # Written elsewhere meanwhile (another machine, pulled): the next catalog change
    # announcement makes the experiments page list it, no reload asked for.
    add_experiment(engine, name="opening")
    announced: list[Changes] = []
    window.hub.changed.connect(announced.append)
    with qtbot.waitSignal(page.acted, timeout=10_000):
        qtbot.mouseClick(page.action_buttons[Action.SUBMIT], Qt.MouseButton.LeftButton)
    assert find_version(engine, "support", "v1").status is Status.IN_REVIEW
    assert any(c.prompts for c in announced)
    show(qtbot, window, "experiments")
    qtbot.waitUntil(lambda: experiments.chooser.findText("opening") >= 0)


def test_a_review_in_the_queue_updates_the_catalog_quality(
    qtbot: QtBot, make_window: Any, engine: Engine
) -> None:
    catalog(engine, author="Ada")
    add_sample(engine, add_batch(engine), n=1, prompt_version="v1")
    window = make_window()
    page = show(qtbot, window, "prompts")
    qtbot.waitUntil(lambda: bool(page.snapshot.versions))
    assert page.version_table.item(0, 4).text() == "no reviews"
    with qtbot.waitSignal(window.tabs.currentChanged):
        window.show_workspace("review")
    qtbot.waitUntil(lambda: window.controller.current is not None)
    qtbot.keyClick(window.queue_view, Qt.Key.Key_G)
    with qtbot.waitSignal(window.hub.changed, timeout=10_000):
        qtbot.keyClick(window.queue_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    show(qtbot, window, "prompts")
    qtbot.waitUntil(lambda: page.version_table.item(0, 4).text().startswith("100.0 %"))


def test_version_files_in_and_out_of_the_prompts_page(
    qtbot: QtBot, make_window: Any, engine: Engine, tmp_path: Path, monkeypatch: Any
) -> None:
    catalog(engine, author="Ada")
    window = make_window()
    page = show(qtbot, window, "prompts")
    qtbot.waitUntil(lambda: bool(page.snapshot.versions))
    out = tmp_path / "support-v1.yaml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(page.acted, timeout=10_000):
        qtbot.mouseClick(page.export_file_button, Qt.MouseButton.LeftButton)
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert (data["prompt"], data["version"]) == ("support", "v1")

    data["version"] = "v2"
    data["template"] = "Reply in {language} about {product}.\nBe brief.\n"
    edited = tmp_path / "support-v2.yml"
    edited.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(edited), ""))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.import_file_button, Qt.MouseButton.LeftButton)
    assert find_version(engine, "support", "v2").template == data["template"]
    assert "support v2: draft created from support-v2.yml" in page.status.text()
    assert [v.version for v in page.snapshot.versions] == ["v1", "v2"]
