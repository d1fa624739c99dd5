"""Audit events written by the shared database's triggers reach every store, beside the
local chain (their positions would collide), and `verify_chain` checks both."""

from __future__ import annotations

from sqlalchemy import select, text, update
from tests.sync.conftest import MakeMachine, SharedDb

from redline.prompts.catalog import DraftSpec, create_draft, create_prompt, transition
from redline.prompts.rules import Action
from redline.roles import Role
from redline.store.audit import audit_events, hash_covers_reason, verify_chain
from redline.store.models import SharedAuditEvent
from redline.sync.server import verify_audit


def test_server_audit_events_are_pulled_and_verified(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lead, ben = make_machine("lead", "lead"), make_machine("ben")
    create_prompt(lead.store, "triage", actor=lead.user)
    # The lead's settings name ("carol") is not her login: the server's events name the
    # login, so none of them is the local chain's. (Approving her own version, as this
    # test once did, is refused by the server since objects v6: test_attacks.py.)
    draft = create_draft(lead.store, "triage", DraftSpec("Route {ticket}"), actor="carol")
    transition(lead.store, draft.id, Action.SUBMIT, actor="carol", role=Role.LEAD)
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


APPEND = (
    "SELECT redline_audit_append('prompt_version.rejected', 'prompt_version', 'v9', "
    "NULL, CAST(:after AS jsonb), :reason)"
)
LEGACY_EVENT = (
    "INSERT INTO audit_event (id, position, actor, action, entity_type, entity_id, before, "
    "after, reason, occurred_at, prev_hash, hash) "
    "SELECT gen_random_uuid(), 1, 'carol', 'policy.create', 'policy', 'p1', NULL, "
    "CAST('{\"status\": \"on\"}' AS jsonb), 'old reason', t, '', "
    "redline_audit_hash('', 1, 'carol', 'policy.create', 'policy', 'p1', NULL, "
    'CAST(\'{"status": "on"}\' AS jsonb), t) FROM (SELECT now() AS t) AS n'
)


def test_a_changed_reason_is_detected_on_the_server_and_in_the_copy(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ben = make_machine("ben")
    with shared_db.admin.begin() as conn:
        # An event written before server objects v3 (its hash has no reason) stays valid.
        conn.execute(text(LEGACY_EVENT))
        conn.execute(text(APPEND), {"after": '{"status": "rejected"}', "reason": "unsafe"})
        conn.execute(text(APPEND), {"after": '{"status": "rejected"}', "reason": "too long"})
    with shared_db.admin.connect() as conn:
        assert verify_audit(conn).intact
    ben.sync()
    assert verify_chain(ben.store).intact
    with ben.store.connect() as conn:
        hashes = conn.execute(
            select(SharedAuditEvent.hash).order_by(SharedAuditEvent.position)
        ).scalars()
        assert [hash_covers_reason(h) for h in hashes] == [False, True, True]

    # The reason is edited in the local copy: caught here.
    with ben.store.begin() as conn:
        conn.execute(
            update(SharedAuditEvent).where(SharedAuditEvent.position == 2).values(reason="ok")
        )
    report = verify_chain(ben.store)
    assert not report.intact and report.broken_at == 2

    # ... and on the server, by `redline shared verify-audit`.
    with shared_db.admin.begin() as conn:
        conn.execute(text("UPDATE audit_event SET reason = 'fine' WHERE position = 3"))
    with shared_db.admin.connect() as conn:
        assert verify_audit(conn).problems == (
            "event 3 (prompt_version.rejected v9): altered after it was written",
        )


def test_a_change_pushed_from_here_shows_once_with_both_refs(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, lead = make_machine("ana"), make_machine("lead", "lead")
    create_prompt(ana.store, "triage", actor=ana.user)
    draft = create_draft(ana.store, "triage", DraftSpec("Route {ticket}"), actor=ana.user)
    transition(ana.store, draft.id, Action.SUBMIT, actor=ana.user, role=Role.REVIEWER)
    ana.sync()
    lead.sync()
    transition(lead.store, draft.id, Action.APPROVE, actor=lead.user, role=Role.LEAD)
    lead.sync()
    lead.sync()  # pulls the event the server's trigger wrote for the approval

    events = audit_events(lead.store)
    approvals = [e for e in events if (e.after or {}).get("status") == "approved"]
    # One row: the local event (position 1 of the lead's chain) = the server's.
    assert len(approvals) == 1
    assert approvals[0].origin == "local" and approvals[0].actor == lead.user
    assert approvals[0].ref.startswith("1 = S")
    # Ana's changes reached the lead only through the server: shown as shared events.
    assert all(e.origin == "shared" for e in events if e.actor == ana.user)
    assert verify_chain(lead.store).intact
