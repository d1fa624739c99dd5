"""Policies and proposals in the store, the samples a policy decides on, and
`redline threshold` giving the same numbers as the studio."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from tests.builders import batch_row

from redline.analytics.threshold import BAD, DISPUTED, GOOD, UNREVIEWED, build_curves
from redline.cli import main
from redline.errors import RedlineError
from redline.policies.samples import load_policy_data
from redline.policies.service import (
    PolicyDraft,
    create_policy,
    create_proposal,
    decide_proposal,
    export_policies,
    find_policy,
    import_policies,
    list_proposals,
)
from redline.roles import NotAllowed, Role
from redline.settings import Settings, save_settings
from redline.store.base import uuid7
from redline.store.models import Batch, Policy, Review, Sample

# (prompt, score, language, decision, verdicts [(reviewer, verdict, adjudicated)], segments)
ROWS: list[tuple[str, float | None, str, str | None, list[tuple[str, str, bool]], Any]] = [
    ("support", 0.9, "en", "auto_send", [("ana", "good", False)], {"risk": 0.1}),
    ("support", 0.8, "en", "auto_send", [("ana", "bad", False)], {"risk": 0.7}),
    ("support", 0.6, "de", "human_review",
     [("ana", "good", False), ("ben", "bad", False)], None),  # disputed
    ("support", 0.4, "de", "human_review",
     [("ana", "good", False), ("ben", "good", False), ("lead", "bad", True)], None),
    ("support", 0.3, "en", "human_review", [], {"risk": "n/a"}),  # unreviewed
    ("support", None, "en", None, [("ana", "good", False)], None),  # no score
    ("summarizer", 0.95, "en", None, [("ana", "bad", False)], None),  # out of scope
]  # fmt: skip


def _store(engine: Engine) -> None:
    batch = uuid7()
    samples, reviews = [], []
    for i, (prompt, score, language, decision, verdicts, segments) in enumerate(ROWS):
        sample_id = uuid7()
        samples.append(
            {"id": sample_id, "batch_id": batch, "source": "s", "external_id": f"e{i}",
             "content_hash": f"{i:032x}", "prompt_name": prompt, "prompt_version": "v1",
             "score": score, "language": language, "decision": decision,
             "segments": segments, "inclusion_prob": 1.0 if i % 2 else 0.5}
        )  # fmt: skip
        for reviewer, verdict, adjudicated in verdicts:
            reviews.append(
                {"id": uuid7(), "sample_id": sample_id, "reviewer": reviewer,
                 "verdict": verdict, "adjudicated": adjudicated, "categories": []}
            )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(Batch),
            [batch_row(batch, source="s", file_name="f", shape="flat")],
        )
        conn.execute(insert(Sample), samples)
        conn.execute(insert(Review), reviews)
    create_policy(
        engine,
        PolicyDraft(name="auto-send", threshold=0.7, segment_field="language",
                    segment_thresholds={"de": 0.5}),
        created_by="carol",
    )  # fmt: skip


def test_policy_samples_scope_and_ground_truth(engine: Engine) -> None:
    _store(engine)
    data = load_policy_data(engine, find_policy(engine, "auto-send"))
    # The policy runs on the prompt whose samples record its action: the summarizer is out.
    assert data.prompts == ("support",)
    samples = data.samples
    assert samples.scores.tolist() == [0.9, 0.8, 0.6, 0.4, 0.3]
    assert samples.without_score == 1
    assert samples.labels.tolist() == [GOOD, BAD, DISPUTED, BAD, UNREVIEWED]
    assert samples.truth is not None and samples.truth.adjudicated == 1
    assert samples.segments["language"].tolist() == ["en", "en", "de", "de", "en"]
    assert samples.segments["prompt_version"][0] == "support v1"
    assert samples.segments["segments.risk"].tolist() == ["0.1", "0.7", "", "", "n/a"]
    assert samples.has_weights
    assert data.segment_dimension == "language"


def test_a_score_from_a_segment_field(engine: Engine) -> None:
    _store(engine)
    policy = create_policy(
        engine,
        PolicyDraft(name="risk-block", threshold=0.5, action="block", direction="ge",
                    score_field="risk"),
        created_by="carol",
    )  # fmt: skip
    data = load_policy_data(engine, policy)
    # No sample records "block": every sample is in scope; only numeric risks count.
    assert data.prompts == ()
    assert data.samples.scores.tolist() == [0.1, 0.7]
    assert data.samples.without_score == 5


def test_a_policy_names_its_own_target_and_prompts(engine: Engine) -> None:
    _store(engine)
    # "review" says neither good nor bad and no sample records it: both set explicitly.
    policy = create_policy(
        engine,
        PolicyDraft(name="summaries", threshold=0.5, action="review", target_verdict="Bad",
                    prompt_names=("summarizer", " ")),
        created_by="carol",
    )  # fmt: skip
    assert (policy.target_verdict, policy.prompt_names) == ("bad", ("summarizer",))
    assert policy.target() == "bad"
    data = load_policy_data(engine, policy)
    assert data.prompts == ("summarizer",)
    assert data.samples.scores.tolist() == [0.95]
    assert data.samples.labels.tolist() == [BAD]
    # Left empty, both are inferred as before: from the action and the samples' decisions.
    inferred = find_policy(engine, "auto-send")
    assert (inferred.target_verdict, inferred.prompt_names, inferred.target()) == (None, (), "good")
    with pytest.raises(RedlineError, match="target verdict must be 'good' or 'bad'"):
        create_policy(engine, PolicyDraft(name="p", threshold=0.5, target_verdict="ok"),
                      created_by="x")  # fmt: skip


def test_drift_watches_the_policy_scope(engine: Engine) -> None:
    from redline.drift import queries
    from redline.policies.scope import prompts_in_scope

    _store(engine)
    create_policy(
        engine,
        PolicyDraft(name="summaries", threshold=0.5, prompt_names=("summarizer",)),
        created_by="carol",
    )
    row = queries.policy_row(engine, "summaries")
    assert row is not None
    assert prompts_in_scope(engine, row["action"], row["prompt_names"]) == ("summarizer",)
    auto = queries.policy_row(engine, "auto-send")
    assert auto is not None
    assert prompts_in_scope(engine, auto["action"], auto["prompt_names"]) == ("support",)


def test_policy_validation(engine: Engine) -> None:
    _store(engine)
    with pytest.raises(RedlineError, match="exists already"):
        create_policy(engine, PolicyDraft(name="auto-send", threshold=0.5), created_by="x")
    with pytest.raises(RedlineError, match="direction must be"):
        create_policy(engine, PolicyDraft(name="p", threshold=0.5, direction="gt"),
                      created_by="x")  # fmt: skip
    with pytest.raises(RedlineError, match="must be a number"):
        create_policy(engine, PolicyDraft(name="p", threshold=float("nan")), created_by="x")
    with pytest.raises(RedlineError, match="need a segment field"):
        create_policy(
            engine, PolicyDraft(name="p", threshold=0.5, segment_thresholds={"de": 0.4}),
            created_by="x",
        )  # fmt: skip
    with pytest.raises(RedlineError, match="no policy 'nope'") as info:
        find_policy(engine, "nope")
    assert "auto-send" in info.value.hint


def test_export_and_import_round_trip(engine: Engine, tmp_path: Path) -> None:
    _store(engine)
    path = tmp_path / "policies.json"
    export_policies(engine, path)
    written = json.loads(path.read_text())
    assert written["policies"][0]["segment_thresholds"] == {"de": 0.5}
    assert written["policies"][0]["target_verdict"] is None
    assert written["policies"][0]["prompt_names"] == []
    written["policies"].append({"name": "block", "threshold": 0.2, "action": "block",
                                "direction": "le", "target_verdict": "good",
                                "prompt_names": ["support"]})  # fmt: skip
    path.write_text(json.dumps(written))
    created, skipped = import_policies(engine, path, created_by="ana")
    assert (created, skipped) == (["block"], ["auto-send"])
    block = find_policy(engine, "block")
    assert block.direction == "le"
    assert (block.target(), block.prompt_names) == ("good", ("support",))
    assert export_policies(engine)["policies"][1]["prompt_names"] == ["support"]
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{"name": "y", "threshold": 0.5, "prompt_names": "support"}]))
    with pytest.raises(RedlineError, match="prompt_names must be a list") as info:
        import_policies(engine, odd, created_by="ana")
    assert "policy 1" in info.value.where
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "threshold": "high"}]))
    with pytest.raises(RedlineError, match="must be a number") as info:
        import_policies(engine, bad, created_by="ana")
    assert "policy 1" in info.value.where


def test_proposals_decide_once_and_move_the_policy(engine: Engine) -> None:
    _store(engine)
    policy = find_policy(engine, "auto-send")
    with pytest.raises(RedlineError, match="needs a rationale"):
        create_proposal(engine, policy, segment="de", new_value=0.6, rationale=" ",
                        evidence={}, proposer="ana")  # fmt: skip
    proposal = create_proposal(
        engine, policy, segment="de", new_value=0.6, rationale="fewer FPs",
        evidence={"old": {"threshold": 0.5}}, proposer="ana",
    )  # fmt: skip
    assert proposal.old_value == 0.5  # the segment's own threshold
    # A reviewer may not decide (the shared database refuses it too): nothing moves.
    with pytest.raises(NotAllowed, match="only leads may decide"):
        decide_proposal(engine, proposal.id, approve=True, decider="ana", role=Role.REVIEWER)
    assert find_policy(engine, "auto-send").segment_thresholds == {"de": 0.5}
    assert list_proposals(engine)[0].status == "proposed"
    decided = decide_proposal(engine, proposal.id, approve=True, decider="carol", role=Role.LEAD)
    assert (decided.status, decided.decider) == ("approved", "carol")
    assert find_policy(engine, "auto-send").segment_thresholds == {"de": 0.6}
    with pytest.raises(RedlineError, match="approved already"):
        decide_proposal(engine, proposal.id, approve=False, decider="carol", role=Role.LEAD)
    assert [p.id for p in list_proposals(engine, policy.id)] == [proposal.id]
    with engine.connect() as conn:
        assert conn.scalar(select(Policy.revision)) == 2


def test_cli_gives_the_studio_numbers(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(engine)
    code = main(["threshold", "auto-send", "--at", "0.85", "--json", "--store", str(store_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    data = load_policy_data(engine, find_policy(engine, "auto-send"))
    curves = build_curves(
        data.samples, direction="ge", target="good", threshold=0.7,
        segment_field="language", segment_thresholds={"de": 0.5}, weighted=True,
    )  # fmt: skip
    assert out["at"] == json.loads(json.dumps(curves.at(0.85).as_dict()))
    assert out["scope"]["reviewed"] == 3
    assert out["scope"]["disputed"] == 1
    assert out["scope"]["weighted"] is True
    assert "unweighted" in out
    assert out["summary"].startswith("0.7 → 0.85: false positives")


def test_cli_text_segments_and_proposal(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(engine)
    save_settings(Settings(reviewer="ana"))
    store = ["--store", str(store_path)]
    code = main(["thresholds", "auto-send", "--at", "0.85", "--segment", "language",
                 "--costs", "5:1", "--propose", "fewer bad sends", *store])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "precision" in out and "current 0.7" in out and "at 0.85" in out
    assert "0.7 → 0.85: false positives" in out
    assert "⚠ too few reviewed" in out
    assert "suggested (costs):" in out
    assert "waiting for a lead" in out
    [proposal] = list_proposals(engine)
    assert (proposal.proposer, proposal.new_value, proposal.old_value) == ("ana", 0.85, 0.7)
    assert main(["threshold", "nope", *store]) == 2
    assert "there is no policy 'nope'" in capsys.readouterr().err
    assert main(["threshold", "auto-send", "--costs", "x", *store]) == 2
    assert main(["threshold", "auto-send", "--cohort", "fr", *store]) == 2
    assert "values: en, de" in capsys.readouterr().err
    assert main(["policies", *store]) == 0
    assert "score ≥ 0.7 → auto_send" in capsys.readouterr().out


def test_unknown_ids_are_clear(engine: Engine) -> None:
    _store(engine)
    with pytest.raises(RedlineError, match="no such proposal"):
        decide_proposal(engine, uuid.uuid4(), approve=True, decider="carol", role=Role.LEAD)
