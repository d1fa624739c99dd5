"""PostgreSQL itself refuses what a role may not do: raw SQL over a reviewer's login,
not the app. Leads may decide; every decision leaves a hash-chained audit event."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.sync.conftest import MakeMachine, SharedDb, records

from redline.review.types import Verdict
from redline.sync.server import verify_audit
from redline.sync.shared import init_shared

PERMISSION_DENIED = "42501"

SYNCED = "id, created_at, updated_at, revision, dirty"
NEW = "gen_random_uuid(), now(), now(), 1, false"
INSERT_PROMPT = (
    f"INSERT INTO prompt ({SYNCED}, name, purpose, owner, tags, guidelines) "
    "VALUES (:id, now(), now(), 1, false, 'support', '', :owner, '[]', '')"
)
INSERT_VERSION = (
    f"INSERT INTO prompt_version ({SYNCED}, prompt_id, version, template, variables, "
    "parameters, tools, change_note, author, status) "
    "VALUES (:id, now(), now(), 1, false, :p, 'v2', 't', '[]', '{}', '[]', '', :author, "
    ":status)"
)
INSERT_POLICY = (
    f"INSERT INTO policy ({SYNCED}, name, description, score_field, direction, action, "
    "threshold, segment_thresholds, created_by) "
    "VALUES (:id, now(), now(), 1, false, 'auto', '', 'score', 'ge', 'send', 0.5, '{}', 'x')"
)
INSERT_PROPOSAL = (
    f"INSERT INTO threshold_proposal ({SYNCED}, policy_id, old_value, new_value, rationale, "
    "evidence, proposer, status, decision_note) "
    "VALUES (:id, now(), now(), 1, false, :p, 0.5, 0.6, '', '{}', :proposer, 'proposed', '')"
)
INSERT_REVIEW = (
    f"INSERT INTO review ({SYNCED}, sample_id, reviewer, verdict, categories, note, flagged, "
    "time_spent_ms, device, adjudicated, deleted) "
    f"VALUES ({NEW}, :s, :reviewer, 'bad', '[]', '', false, 0, 'x', false, false)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_event (id, position, actor, action, entity_type, entity_id, reason, "
    "occurred_at, prev_hash, hash) "
    "VALUES (gen_random_uuid(), 99, 'x', 'x', 'x', 'x', '', now(), '', '')"
)


def _refused(engine: Engine, sql: str, params: dict[str, object] | None = None) -> str:
    """Run `sql` in its own transaction; return the SQLSTATE it failed with."""
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql), params or {})
    return str(getattr(caught.value.orig, "sqlstate", ""))


def test_a_reviewer_cannot_touch_others_work_samples_or_decisions(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(5))
    sample = ana.sample_ids()[0]
    ana.review(sample, Verdict.GOOD)
    ana.sync()
    ben.sync()
    raw = shared_db.raw_as(ben.profile, ben.password)
    prompt, version, policy, proposal = (uuid.uuid4() for _ in range(4))
    with shared_db.admin.begin() as conn:
        # A prompt version in review and a proposal of ben's, as a lead would find them.
        conn.execute(text(INSERT_PROMPT), {"id": prompt, "owner": ben.user})
        conn.execute(
            text(INSERT_VERSION),
            {"id": version, "p": prompt, "author": ben.user, "status": "in_review"},
        )
        conn.execute(text(INSERT_POLICY), {"id": policy})
        conn.execute(text(INSERT_PROPOSAL), {"id": proposal, "p": policy, "proposer": ben.user})

    # Another reviewer's review is invisible to UPDATE (RLS): nothing changes...
    with raw.begin() as conn:
        changed = conn.execute(
            text("UPDATE review SET verdict = 'bad', revision = revision + 1 WHERE reviewer = :a"),
            {"a": ana.user},
        ).rowcount
    assert changed == 0
    # ...and nothing can be written under their name.
    params = {"s": sample, "reviewer": ana.user}
    assert _refused(raw, INSERT_REVIEW, params) == PERMISSION_DENIED
    # Samples are immutable; reviews are never deleted.
    assert _refused(raw, "UPDATE sample SET output = 'edited'") == PERMISSION_DENIED
    assert _refused(raw, "DELETE FROM review") == PERMISSION_DENIED
    # Approving a prompt version (even one's own) or deciding a proposal: refused.
    approve = "UPDATE prompt_version SET status = 'approved', decided_by = :b WHERE id = :v"
    assert _refused(raw, approve, {"v": version, "b": ben.user}) == PERMISSION_DENIED
    decide = "UPDATE threshold_proposal SET status = 'approved', decider = :b WHERE id = :p"
    assert _refused(raw, decide, {"p": proposal, "b": ben.user}) == PERMISSION_DENIED
    assert _refused(raw, "UPDATE policy SET threshold = 0.1") == PERMISSION_DENIED
    # Audit events are written by triggers only.
    assert _refused(raw, INSERT_AUDIT) == PERMISSION_DENIED
    # What a reviewer may do still works: withdrawing their own proposal.
    with raw.begin() as conn:
        withdraw = "UPDATE threshold_proposal SET status = 'withdrawn', revision = 2 WHERE id = :p"
        assert conn.execute(text(withdraw), {"p": proposal}).rowcount == 1
    with shared_db.admin.connect() as conn:
        verdict = conn.execute(text("SELECT verdict FROM review")).scalar_one()
    assert verdict == "good"


def test_a_lead_approves_and_the_audit_chain_detects_tampering(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = make_machine("ana")
    lead = make_machine("carol", role="lead")
    raw_ana = shared_db.raw_as(ana.profile, ana.password)
    raw_lead = shared_db.raw_as(lead.profile, lead.password)
    prompt, version = uuid.uuid4(), uuid.uuid4()
    with raw_ana.begin() as conn:
        conn.execute(text(INSERT_PROMPT), {"id": prompt, "owner": ana.user})
        conn.execute(
            text(INSERT_VERSION),
            {"id": version, "p": prompt, "author": ana.user, "status": "draft"},
        )
        conn.execute(
            text("UPDATE prompt_version SET status = 'in_review' WHERE id = :v"), {"v": version}
        )
    with raw_lead.begin() as conn:
        conn.execute(
            text("UPDATE prompt_version SET status = 'approved', decided_by = :l WHERE id = :v"),
            {"v": version, "l": lead.user},
        )
    with shared_db.admin.connect() as conn:
        events = conn.execute(text("SELECT actor, action FROM audit_event ORDER BY position"))
        assert [tuple(e) for e in events] == [
            (ana.user, "prompt_version.create"),
            (ana.user, "prompt_version.in_review"),
            (lead.user, "prompt_version.approved"),
        ]
        assert verify_audit(conn).intact
    # Someone with the owner's rights rewrites who approved: the chain shows it.
    with shared_db.admin.begin() as conn:
        conn.execute(
            text("UPDATE audit_event SET actor = :a WHERE action = 'prompt_version.approved'"),
            {"a": ana.user},
        )
    with shared_db.admin.connect() as conn:
        check = verify_audit(conn)
    assert check.problems == (
        f"event 3 (prompt_version.approved {version}): altered after it was written",
    )


def test_init_is_rerunnable_and_keeps_data(shared_db: SharedDb, make_machine: MakeMachine) -> None:
    ana = make_machine("ana")
    ana.import_records(records(3))
    ana.sync()
    report = init_shared(shared_db.admin, where=shared_db.name)
    assert report.before == report.after
    with shared_db.admin.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sample")).scalar_one() == 3
    raw = shared_db.raw_as(ana.profile, ana.password)
    assert _refused(raw, "UPDATE sample SET output = 'edited'") == PERMISSION_DENIED
