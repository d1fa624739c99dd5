"""Audit events written by the shared database's triggers reach every store, beside the
local chain (their positions would collide), and `verify_chain` checks both."""

from __future__ import annotations

from sqlalchemy import text, update
from tests.sync.conftest import MakeMachine, SharedDb

from redline.prompts.audit import audit_events, verify_chain
from redline.prompts.catalog import DraftSpec, create_draft, create_prompt, transition
from redline.prompts.rules import Action, Role
from redline.store.models import SharedAuditEvent


def test_server_audit_events_are_pulled_and_verified(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lead, ben = make_machine("lead", "lead"), make_machine("ben")
    create_prompt(lead.store, "triage", actor=lead.user)
    draft = create_draft(lead.store, "triage", DraftSpec("Route {ticket}"), actor=lead.user)
    transition(lead.store, draft.id, Action.SUBMIT, actor=lead.user, role=Role.LEAD)
    transition(lead.store, draft.id, Action.APPROVE, actor="carol", role=Role.LEAD)
    local_before = audit_events(lead.store)
    lead.sync()
    lead.sync()  # the second sync pulls what the triggers wrote during the first
    ben.sync()
    with shared_db.admin.connect() as conn:
        on_server = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    assert on_server >= 1

    # Ben sees the server's events (numbered S1, S2, ...) although he wrote none.
    shared = [e for e in audit_events(ben.store) if e.origin == "shared"]
    assert len(shared) == on_server
    assert {e.ref for e in shared} == {f"S{i}" for i in range(1, on_server + 1)}
    assert all(e.actor == lead.user and e.label.startswith("triage") for e in shared)
    # The lead keeps the local chain and gets the shared one beside it: both position 1.
    events = audit_events(lead.store)
    assert {e.ref for e in events} >= {"1", "S1"}
    assert len(events) == len(local_before) + on_server
    for machine in (lead, ben):
        report = verify_chain(machine.store)
        assert report.intact, report.problem
        assert report.events == len(audit_events(machine.store))

    # A copy edited on this machine is caught (the hash is the server's, recomputed here).
    with ben.store.begin() as conn:
        conn.execute(
            update(SharedAuditEvent)
            .where(SharedAuditEvent.position == 1)
            .values(after={"status": "rejected"})
        )
    report = verify_chain(ben.store)
    assert not report.intact and report.broken_at == 1
    assert "copy of the shared database's audit trail" in report.problem
