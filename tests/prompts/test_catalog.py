"""The catalog service: drafts, immutability after submit, the lifecycle with its audit
events, rollback, and synced-row bookkeeping; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from tests.prompts.helpers import TEMPLATE, catalog, deployed

from redline.errors import RedlineError
from redline.prompts.catalog import (
    DraftSpec,
    create_draft,
    find_version,
    list_prompts,
    list_versions,
    rollback,
    rollback_target,
    transition,
    update_draft,
)
from redline.prompts.diff import version_diff
from redline.prompts.rules import Action
from redline.roles import NotAllowed, Role
from redline.store.audit import audit_events, verify_chain
from redline.store.models import PromptVersion
from redline.store.models import PromptVersionStatus as Status
from redline.store.session import session_scope


def test_a_draft_takes_its_variables_from_the_template(engine: Engine) -> None:
    draft = catalog(engine)
    assert draft.version == "v1"
    assert draft.status is Status.DRAFT
    assert draft.variables == ("product", "language")
    second = create_draft(engine, "support", DraftSpec(TEMPLATE + " {tone}"), actor="ben")
    assert (second.version, second.parent_version, second.author) == ("v2", "v1", "ben")


def test_a_template_that_does_not_match_its_variables_is_refused(engine: Engine) -> None:
    catalog(engine)
    with pytest.raises(RedlineError, match=r"'\{language\}' is used but not declared") as caught:
        create_draft(engine, "support", DraftSpec(TEMPLATE, variables=["product"]), actor="ana")
    assert caught.value.where == "support v2"
    assert [v.version for v in list_versions(engine, "support")] == ["v1"]


def test_a_draft_can_change_until_it_is_submitted(engine: Engine) -> None:
    draft = catalog(engine)
    edited = update_draft(
        engine, draft.id, DraftSpec(TEMPLATE + " Be brief.", change_note="shorter"), actor="ana"
    )
    assert edited.template.endswith("Be brief.")
    assert edited.revision == draft.revision + 1
    with pytest.raises(NotAllowed, match="only its author"):
        update_draft(engine, draft.id, DraftSpec(TEMPLATE), actor="ben")
    transition(engine, draft.id, Action.SUBMIT, actor="ana", role=Role.REVIEWER)
    with pytest.raises(NotAllowed, match="status 'in_review' is immutable"):
        update_draft(engine, draft.id, DraftSpec(TEMPLATE), actor="ana")
    assert find_version(engine, "support", "v1").template.endswith("Be brief.")


def test_lifecycle_to_deployed_with_an_audit_event_per_change(db_engine: Engine) -> None:
    draft = catalog(db_engine)
    transition(db_engine, draft.id, Action.SUBMIT, actor="ana", role=Role.REVIEWER)
    with pytest.raises(NotAllowed, match="their own version"):
        transition(db_engine, draft.id, Action.APPROVE, actor="ana", role=Role.LEAD)
    assert find_version(db_engine, "support", "v1").status is Status.IN_REVIEW
    with pytest.raises(NotAllowed, match="only leads"):
        transition(db_engine, draft.id, Action.APPROVE, actor="ben", role=Role.REVIEWER)
    approved = transition(
        db_engine, draft.id, Action.APPROVE, actor="carol", role=Role.LEAD, reason="lgtm"
    )
    assert (approved.status, approved.decided_by) == (Status.APPROVED, "carol")
    live = transition(db_engine, draft.id, Action.DEPLOY, actor="carol", role=Role.LEAD)
    assert live.status is Status.DEPLOYED
    assert list_prompts(db_engine)[0].deployed == "v1"

    events = audit_events(db_engine)
    assert [(e.actor, e.action, e.label) for e in events] == [
        ("carol", "deploy", "support v1"),
        ("carol", "approve", "support v1"),
        ("ana", "submit", "support v1"),
        ("ana", "create", "support v1"),
        ("ana", "create", "support"),
    ]
    assert events[1].before == {"status": "in_review"}
    assert events[1].after == {"status": "approved"}
    assert events[1].reason == "lgtm"
    assert verify_chain(db_engine).intact


def test_every_change_bumps_the_revision_and_marks_the_row_for_sync(engine: Engine) -> None:
    draft = catalog(engine)
    with session_scope(engine) as session:
        session.execute(select(PromptVersion)).scalars().one().dirty = False
    deployed(engine, draft)
    with session_scope(engine) as session:
        row = session.execute(select(PromptVersion)).scalars().one()
        assert (row.revision, row.dirty) == (draft.revision + 3, True)


def test_deploying_a_new_version_keeps_the_old_one_as_rollback_target(engine: Engine) -> None:
    v1 = deployed(engine, catalog(engine))
    v2 = create_draft(engine, "support", DraftSpec(TEMPLATE + " Be kind."), actor="ana")
    deployed(engine, v2)
    statuses = {v.version: v.status for v in list_versions(engine, "support")}
    assert statuses == {"v1": Status.APPROVED, "v2": Status.DEPLOYED}
    assert rollback_target(engine, "support") == find_version(engine, "support", "v1")

    with pytest.raises(NotAllowed, match="only leads"):
        rollback(engine, "support", actor="ben", role=Role.REVIEWER)
    back = rollback(engine, "support", actor="carol", role=Role.LEAD, reason="v2 is rude")
    assert back.id == v1.id and back.status is Status.DEPLOYED
    assert find_version(engine, "support", "v2").status is Status.APPROVED
    latest = audit_events(engine, limit=2)
    assert [(e.action, e.label, e.after) for e in latest] == [
        ("rollback", "support v1", {"status": "deployed", "replaces": "v2"}),
        ("undeploy", "support v2", {"status": "approved", "replaced_by": "v1"}),
    ]
    assert latest[0].reason == "v2 is rude"
    assert verify_chain(engine).intact


def test_rollback_with_nothing_to_go_back_to(engine: Engine) -> None:
    deployed(engine, catalog(engine))
    with pytest.raises(RedlineError, match="no earlier approved version"):
        rollback(engine, "support", actor="carol", role=Role.LEAD)


def test_retired_and_rejected_are_final(engine: Engine) -> None:
    draft = catalog(engine)
    transition(engine, draft.id, Action.SUBMIT, actor="ana", role=Role.REVIEWER)
    transition(engine, draft.id, Action.REJECT, actor="carol", role=Role.LEAD)
    for action in (Action.SUBMIT, Action.APPROVE, Action.DEPLOY):
        with pytest.raises(NotAllowed, match="status 'rejected'"):
            transition(engine, draft.id, action, actor="carol", role=Role.LEAD)


def test_audit_filters_by_prompt_person_and_time(engine: Engine) -> None:
    draft = catalog(engine)
    deployed(engine, draft)
    events = audit_events(engine)
    assert {e.actor for e in audit_events(engine, actor="carol")} == {"carol"}
    assert audit_events(engine, entity_ids=[str(draft.id)])[-1].action == "create"
    assert len(audit_events(engine, entity_ids=[str(draft.id)])) == len(events) - 1
    middle = sorted(events, key=lambda e: e.position)[2].occurred_at
    assert all(e.occurred_at >= middle for e in audit_events(engine, since=middle))
    assert all(e.occurred_at < middle for e in audit_events(engine, until=middle))
    assert audit_events(engine, actor="nobody") == []


def test_the_diff_of_two_versions_is_word_level(engine: Engine) -> None:
    v1 = catalog(engine)
    v2 = create_draft(
        engine,
        "support",
        DraftSpec(TEMPLATE.replace("support agent", "billing agent"),
                  parameters={"temperature": 0.5}, tools=[{"name": "refund"}]),
        actor="ana",
    )  # fmt: skip
    parts = {d.name: d for d in version_diff(v1, v2)}
    template = [(s.kind, s.text) for s in parts["template"].segments if s.kind != "equal"]
    assert template == [("delete", "support"), ("insert", "billing")]
    assert [(s.kind, s.text) for s in parts["parameters"].segments if s.kind != "equal"] == [
        ("delete", "3"),
        ("insert", "5"),
    ]
    assert parts["tools"].changed and '"refund"' in parts["tools"].new
    assert not parts["variables"].changed
    assert parts["template"].summary() == "+1 −1 words"
