"""A threshold decision made in this store shows in the Prompts workspace's audit view at
once: who, approve, the change of status, the note."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from tests.prompts.helpers import catalog
from tests.ui.helpers import cell

from redline.policies.service import (
    PolicyDraft,
    create_policy,
    create_proposal,
    decide_proposal,
)
from redline.roles import Role
from redline.ui.prompts.catalog_page import CatalogPage


def test_the_audit_view_lists_a_threshold_decision(
    qtbot: QtBot, make_window: Any, engine: Engine
) -> None:
    catalog(engine)  # a prompt and a draft: two events of the prompt catalog
    policy = create_policy(engine, PolicyDraft(name="auto-send", threshold=0.7), created_by="ana")
    proposal = create_proposal(
        engine, policy, segment=None, new_value=0.8, rationale="fewer FPs", evidence={},
        proposer="ana",
    )  # fmt: skip
    decide_proposal(engine, proposal.id, approve=True, decider="carol", role=Role.LEAD,
                    note="checked on 400 samples")  # fmt: skip

    window = make_window()
    with qtbot.waitSignal(window.tabs.currentChanged):
        window.show_workspace("prompts")
    page = window.workspace_page("prompts")
    assert isinstance(page, CatalogPage)
    qtbot.waitUntil(lambda: bool(page.snapshot.versions))
    page.tabs.setCurrentIndex(3)
    # The decision is not about this prompt: everything shows with the box unticked.
    with qtbot.waitSignal(page.audit_loaded):
        page.audit_this_prompt.setChecked(False)
    rows = [
        [cell(page.audit_table, r, c).text() for c in (2, 3, 5, 6)]
        for r in range(page.audit_table.rowCount())
    ]
    assert ["carol", "approve", "proposed → approved", "checked on 400 samples"] in rows
