"""The workspaces beside the review queue: threshold studio, prompts, export, ...

Each is one tab of the main window, built on first show (so start-up stays fast) by a
factory named here as "module:Class". A page class takes `(context, parent)`; the
context gives it what the window shares: the engine, settings, a task runner, the
change hub, and `show_selection` to open samples in the review queue.

Adding a workspace = one `WorkspaceSpec` below. Its Ctrl+number key, its View menu
entry and its line in the "?" cheat sheet follow from this table (see actions.py).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget
from sqlalchemy import Engine

from redline.settings import Settings
from redline.ui.changes import ChangeHub
from redline.ui.tasks import TaskRunner

__all__ = ["WORKSPACES", "WorkspaceContext", "WorkspaceSpec", "create_page"]


@dataclass(frozen=True, slots=True)
class WorkspaceContext:
    """What a workspace page gets from the window.

    `show_selection(sample_ids, label)` switches to the review queue showing exactly
    those samples, with `label` saying what they are ("bad reviews of non-English inputs").
    `show_workspace(key)` brings another workspace to the front and returns its page, so
    a page can hand over ("open the threshold studio on this policy").
    """

    engine: Engine
    settings: Settings
    runner: TaskRunner
    hub: ChangeHub
    show_selection: Callable[[frozenset[uuid.UUID], str], None]
    # Bring another workspace to the front and return its page (drift → studio).
    show_workspace: Callable[[str], QWidget]


@dataclass(frozen=True, slots=True)
class WorkspaceSpec:
    key: str  # object name of the page and id of its action ("view.<key>")
    title: str  # tab and menu text
    factory: str  # "module:Class", the page class


# In tab order after "Review" (Ctrl+1); the n-th entry gets Ctrl+(n+1).
WORKSPACES: tuple[WorkspaceSpec, ...] = (
    WorkspaceSpec("studio", "Threshold studio", "redline.ui.studio.page:StudioPage"),
    WorkspaceSpec("drift", "Drift", "redline.ui.drift.page:DriftPage"),
    WorkspaceSpec("export", "Export", "redline.ui.export.page:ExportPage"),
    WorkspaceSpec("prompts", "Prompts", "redline.ui.prompts.catalog_page:CatalogPage"),
    WorkspaceSpec(
        "experiments", "Experiments", "redline.ui.prompts.experiment_page:ExperimentPage"
    ),
    WorkspaceSpec("quality", "Quality", "redline.ui.quality.page:QualityPage"),
    WorkspaceSpec("pairwise", "Pairwise", "redline.ui.pairwise.page:PairwisePage"),
)


def create_page(spec: WorkspaceSpec, context: WorkspaceContext) -> QWidget:
    module_name, _, class_name = spec.factory.partition(":")
    page_class = getattr(importlib.import_module(module_name), class_name)
    page: QWidget = page_class(context)
    page.setObjectName(spec.key)
    return page
