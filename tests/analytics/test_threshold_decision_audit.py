"""A lead's threshold decision is in the local audit trail at once (who, what, why, when),
as prompt lifecycle changes are, before any sync."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from redline.errors import RedlineError
from redline.policies.service import (
    PolicyDraft,
    ProposalInfo,
    create_policy,
    create_proposal,
    decide_proposal,
    find_policy,
)
from redline.roles import NotAllowed, Role
from redline.store.audit import audit_events, verify_chain


def _proposal(engine: Engine, segment: str | None, new_value: float) -> ProposalInfo:
    policy = find_policy(engine, "auto-send")
    return create_proposal(
        engine, policy, segment=segment, new_value=new_value, rationale="fewer FPs",
        evidence={}, proposer="ana",
    )  # fmt: skip


def test_approve_and_reject_are_audited_with_the_note(engine: Engine) -> None:
    create_policy(
        engine,
        PolicyDraft(name="auto-send", threshold=0.7, segment_field="language",
                    segment_thresholds={"de": 0.5}),
        created_by="carol",
    )  # fmt: skip
    first = _proposal(engine, "de", 0.6)
    second = _proposal(engine, None, 0.8)
    # Refused decisions leave no trace: a reviewer may not decide.
    with pytest.raises(NotAllowed):
        decide_proposal(engine, first.id, approve=True, decider="ana", role=Role.REVIEWER)
    assert audit_events(engine) == []

    approved = decide_proposal(
        engine, first.id, approve=True, decider="carol", role=Role.LEAD,
        note="German FPs halved on 400 samples",
    )  # fmt: skip
    decide_proposal(engine, second.id, approve=False, decider="dan", role=Role.LEAD,
                    note="not enough evidence")  # fmt: skip
    # Deciding twice is refused, and not audited twice.
    with pytest.raises(RedlineError, match="approved already"):
        decide_proposal(engine, first.id, approve=False, decider="carol", role=Role.LEAD)

    rejected, approve = audit_events(engine)  # newest first, as the audit view lists them
    assert (approve.actor, approve.action, approve.entity_type, approve.entity_id) == (
        "carol", "approve", "threshold_proposal", str(first.id))  # fmt: skip
    assert approve.before == {"status": "proposed"}
    assert approve.after == {
        "status": "approved", "policy": "auto-send", "segment": "de", "old_value": 0.5,
        "new_value": 0.6, "proposer": "ana",
    }  # fmt: skip
    assert approve.reason == "German FPs halved on 400 samples"
    assert approve.occurred_at == approved.decided_at
    assert (rejected.actor, rejected.action, rejected.reason) == (
        "dan", "reject", "not enough evidence")  # fmt: skip
    assert rejected.after is not None and rejected.after["status"] == "rejected"
    assert rejected.after["segment"] is None and rejected.after["new_value"] == 0.8
    # The audit view's person filter finds them; the chain still verifies.
    assert [e.action for e in audit_events(engine, actor="carol")] == ["approve"]
    assert verify_chain(engine).intact and verify_chain(engine).events == 2
