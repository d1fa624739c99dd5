"""A policy's own target verdict and prompt scope travel through the shared database."""

from __future__ import annotations

from tests.sync.conftest import MakeMachine, SharedDb

from redline.policies.service import PolicyDraft, create_policy, find_policy


def test_a_policys_target_and_prompts_reach_every_reviewer(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lead = make_machine("lead", "lead")
    create_policy(
        lead.store,
        PolicyDraft(name="route", threshold=0.4, action="route", target_verdict="bad",
                    prompt_names=("triage", "support")),
        created_by=lead.user,
    )  # fmt: skip
    assert lead.sync().pushed.get("policy") == 1

    reviewer = make_machine("ana", "reviewer")
    reviewer.sync()

    pulled = find_policy(reviewer.store, "route")
    assert pulled.target_verdict == "bad"
    assert pulled.target() == "bad"  # not what the name "route" would suggest
    assert pulled.prompt_names == ("support", "triage")
