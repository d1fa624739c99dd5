"""Policies and threshold proposals in the store: list, create, import/export, propose, decide.

Every function opens its own session and returns frozen values, never ORM objects.

Approval is a lead's decision. On the shared database PostgreSQL enforces it (row-level
security, see the sync issue); locally `decide_proposal` refuses a role that is not a
lead's (`authorize_decision`, the same rule for the studio, which offers the buttons
only to a lead, and any other caller), so a reviewer's store never moves a threshold
the server would refuse.

A decision is audited here too (`redline.store.audit`, as prompt lifecycle changes
are): who decided, approve or reject, the policy, segment and values, the note as the
reason, when. The shared database's trigger records the same decision when it is pushed;
the audit view shows the two as one (`link_shared`: same proposal, person and status).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from redline import clock
from redline.analytics.threshold import Target, action_target
from redline.errors import RedlineError
from redline.roles import NotAllowed, Role
from redline.store.audit import append_event
from redline.store.base import uuid7
from redline.store.models import Policy, ProposalStatus, ThresholdProposal
from redline.store.session import session_scope

__all__ = [
    "ENTITY_PROPOSAL",
    "SCORE_COLUMNS",
    "SEGMENT_COLUMNS",
    "PolicyDraft",
    "PolicyInfo",
    "ProposalInfo",
    "authorize_decision",
    "create_policy",
    "create_proposal",
    "decide_proposal",
    "export_policies",
    "find_policy",
    "import_policies",
    "list_policies",
    "list_proposals",
]

# The audit trail's entity type of a proposal: the table name, as the server's trigger
# writes it, so a decision made here and its shared record are paired in the views.
ENTITY_PROPOSAL = "threshold_proposal"

# Sample columns a policy may slice by; any other name is a key of Sample.segments.
SEGMENT_COLUMNS = ("language", "model", "prompt_version", "variant")
# Sample columns a policy may read its score from; anything else is a segments key.
SCORE_COLUMNS = ("score",)


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """A decision rule: `score_field` >= (ge) or <= (le) `threshold` -> `action`."""

    id: uuid.UUID
    name: str
    description: str
    score_field: str
    direction: str
    action: str
    threshold: float
    segment_field: str | None
    segment_thresholds: Mapping[str, float]
    created_by: str
    # None: the action's name says (see `target`).
    target_verdict: str | None = None
    # Empty: the samples' recorded decisions say (see redline.policies.scope).
    prompt_names: tuple[str, ...] = ()

    def target(self) -> Target:
        """The verdict the action is right for: as set, else inferred from the action."""
        if self.target_verdict == "bad":
            return "bad"
        if self.target_verdict == "good":
            return "good"
        return action_target(self.action)

    def threshold_for(self, segment: str | None) -> float:
        """The threshold in force for a segment value (the default for None)."""
        if segment is None:
            return self.threshold
        return float(self.segment_thresholds.get(segment, self.threshold))

    def rule(self) -> str:
        """'score ≥ 0.7 → auto_send (ja: 0.75)'."""
        sign = "≥" if self.direction == "ge" else "≤"
        overrides = ", ".join(f"{k}: {v:g}" for k, v in sorted(self.segment_thresholds.items()))
        tail = f" ({self.segment_field} {overrides})" if overrides else ""
        return f"{self.score_field} {sign} {self.threshold:g} → {self.action}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """The production-facing definition (what `export_policies` writes)."""
        return {
            "name": self.name,
            "description": self.description,
            "score_field": self.score_field,
            "direction": self.direction,
            "action": self.action,
            "threshold": self.threshold,
            "segment_field": self.segment_field,
            "segment_thresholds": dict(self.segment_thresholds),
            "target_verdict": self.target_verdict,
            "prompt_names": list(self.prompt_names),
        }


@dataclass(frozen=True, slots=True)
class PolicyDraft:
    """What a user enters to create a policy."""

    name: str
    threshold: float
    action: str = "auto_send"
    direction: str = "ge"
    score_field: str = "score"
    segment_field: str | None = None
    segment_thresholds: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    # None: inferred from the action's name; else "good" or "bad".
    target_verdict: str | None = None
    # Empty: inferred from the samples' recorded decisions.
    prompt_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProposalInfo:
    """A proposed threshold change and its evidence (see ThresholdProposal)."""

    id: uuid.UUID
    policy_id: uuid.UUID
    segment: str | None
    old_value: float
    new_value: float
    rationale: str
    evidence: Mapping[str, Any]
    proposer: str
    status: str
    decider: str | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime


def _policy_info(row: Policy) -> PolicyInfo:
    return PolicyInfo(
        id=row.id,
        name=row.name,
        description=row.description,
        score_field=row.score_field,
        direction=row.direction,
        action=row.action,
        threshold=float(row.threshold),
        segment_field=row.segment_field,
        segment_thresholds={str(k): float(v) for k, v in (row.segment_thresholds or {}).items()},
        created_by=row.created_by,
        target_verdict=row.target_verdict,
        prompt_names=tuple(str(n) for n in (row.prompt_names or [])),
    )


def _proposal_info(row: ThresholdProposal) -> ProposalInfo:
    return ProposalInfo(
        id=row.id,
        policy_id=row.policy_id,
        segment=row.segment,
        old_value=float(row.old_value),
        new_value=float(row.new_value),
        rationale=row.rationale,
        evidence=dict(row.evidence or {}),
        proposer=row.proposer,
        status=row.status,
        decider=row.decider,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        created_at=row.created_at,
    )


def list_policies(engine: Engine) -> list[PolicyInfo]:
    """Every policy, by name."""
    with session_scope(engine) as session:
        return [_policy_info(p) for p in session.scalars(select(Policy).order_by(Policy.name))]


def find_policy(engine: Engine, name_or_id: str) -> PolicyInfo:
    """A policy by name (or id); a clear error listing the names when there is none."""
    with session_scope(engine) as session:
        row = session.scalars(select(Policy).where(Policy.name == name_or_id)).first()
        if row is None:
            try:
                row = session.get(Policy, uuid.UUID(name_or_id))
            except ValueError:
                row = None
        if row is not None:
            return _policy_info(row)
        names = list(session.scalars(select(Policy.name).order_by(Policy.name)))
    hint = f"policies: {', '.join(names)}" if names else "create one in the threshold studio"
    raise RedlineError(f"there is no policy {name_or_id!r}", hint=hint)


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise RedlineError(f"{what} must be a number (got {value!r})")
    return number


def _validated(draft: PolicyDraft) -> PolicyDraft:
    name = draft.name.strip()
    if not name:
        raise RedlineError("a policy needs a name")
    if draft.direction not in ("ge", "le"):
        raise RedlineError(
            f"direction must be 'ge' or 'le' (got {draft.direction!r})",
            where=name,
            hint="ge: act when the score is at or above the threshold; le: at or below",
        )
    if not draft.score_field.strip():
        raise RedlineError("the score field is empty", where=name, hint="usually 'score'")
    if not draft.action.strip():
        raise RedlineError("the action is empty", where=name, hint="e.g. auto_send or block")
    threshold = _finite(draft.threshold, f"{name}: the threshold")
    overrides = {
        str(k): _finite(v, f"{name}: the threshold of segment {k!r}")
        for k, v in draft.segment_thresholds.items()
    }
    segment_field = (draft.segment_field or "").strip() or None
    if overrides and segment_field is None:
        raise RedlineError(
            "segment thresholds need a segment field", where=name, hint="e.g. language"
        )
    raw_target = draft.target_verdict
    target = (raw_target.strip().lower() or None) if isinstance(raw_target, str) else raw_target
    if target not in (None, "good", "bad"):
        raise RedlineError(
            f"the target verdict must be 'good' or 'bad' (got {draft.target_verdict!r})",
            where=name,
            hint="good: the action is right for good outputs (auto_send); bad: for bad (block)",
        )
    prompts = tuple(sorted({str(n).strip() for n in draft.prompt_names if str(n).strip()}))
    return PolicyDraft(
        name=name,
        threshold=threshold,
        action=draft.action.strip(),
        direction=draft.direction,
        score_field=draft.score_field.strip(),
        segment_field=segment_field,
        segment_thresholds=overrides,
        description=draft.description,
        target_verdict=target,
        prompt_names=prompts,
    )


def _prompt_names(value: Any) -> tuple[str, ...]:
    """An imported entry's prompt_names: absent or null means none (inferred)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RedlineError(
            f"prompt_names must be a list of names (got {value!r})",
            hint='e.g. "prompt_names": ["support-assistant"]',
        )
    return tuple(str(v) for v in value)


def create_policy(engine: Engine, draft: PolicyDraft, *, created_by: str) -> PolicyInfo:
    """Store a new policy; its name must be new."""
    draft = _validated(draft)
    with session_scope(engine) as session:
        if session.scalars(select(Policy.id).where(Policy.name == draft.name)).first():
            raise RedlineError(
                f"a policy named {draft.name!r} exists already", hint="choose another name"
            )
        row = Policy(
            id=uuid7(),
            name=draft.name,
            description=draft.description,
            score_field=draft.score_field,
            direction=draft.direction,
            action=draft.action,
            threshold=draft.threshold,
            segment_field=draft.segment_field,
            segment_thresholds=dict(draft.segment_thresholds),
            created_by=created_by,
            target_verdict=draft.target_verdict,
            prompt_names=list(draft.prompt_names),
        )
        session.add(row)
        session.flush()
        return _policy_info(row)


def export_policies(engine: Engine, path: Path | None = None) -> dict[str, Any]:
    """The policies' values as production reads them; written as JSON to `path` if given.

    JSON is also valid YAML 1.2, so a YAML-configured system can read the file as is.
    """
    data = {"policies": [p.as_dict() for p in list_policies(engine)]}
    if path is not None:
        try:
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as exc:
            raise RedlineError(f"cannot write the file ({exc})", where=str(path)) from exc
    return data


def import_policies(engine: Engine, path: Path, *, created_by: str) -> tuple[list[str], list[str]]:
    """Create the policies of a file written by `export_policies` (or by hand).

    Returns (created names, names skipped because a policy of that name exists). A bad
    entry stops the import before anything is written, naming the entry.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RedlineError(f"cannot read the policies ({exc})", where=str(path)) from exc
    entries = raw.get("policies") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise RedlineError(
            "expected a list of policies", where=str(path), hint='{"policies": [{...}, ...]}'
        )
    drafts: list[PolicyDraft] = []
    for i, entry in enumerate(entries, start=1):
        where = f"{path}: policy {i}"
        if not isinstance(entry, dict) or "name" not in entry or "threshold" not in entry:
            raise RedlineError("each policy needs at least a name and a threshold", where=where)
        try:
            drafts.append(
                _validated(
                    PolicyDraft(
                        name=str(entry["name"]),
                        threshold=entry["threshold"],
                        action=str(entry.get("action", "auto_send")),
                        direction=str(entry.get("direction", "ge")),
                        score_field=str(entry.get("score_field", "score")),
                        segment_field=entry.get("segment_field"),
                        segment_thresholds=dict(entry.get("segment_thresholds") or {}),
                        description=str(entry.get("description", "")),
                        target_verdict=entry.get("target_verdict"),
                        prompt_names=_prompt_names(entry.get("prompt_names")),
                    )
                )
            )
        except RedlineError as exc:
            raise RedlineError(exc.what, where=where, hint=exc.hint) from exc
    existing = {p.name for p in list_policies(engine)}
    created: list[str] = []
    skipped: list[str] = []
    for draft in drafts:
        if draft.name in existing:
            skipped.append(draft.name)
            continue
        create_policy(engine, draft, created_by=created_by)
        existing.add(draft.name)
        created.append(draft.name)
    return created, skipped


# --------------------------------------------------------------------------- proposals


def create_proposal(
    engine: Engine,
    policy: PolicyInfo,
    *,
    segment: str | None,
    new_value: float,
    rationale: str,
    evidence: Mapping[str, Any],
    proposer: str,
) -> ProposalInfo:
    """Store a proposal to move `policy`'s threshold (of `segment`, or the default)."""
    new_value = _finite(new_value, "the proposed threshold")
    if not proposer.strip():
        raise RedlineError("a proposal needs a proposer", hint="set your name in the settings")
    if not rationale.strip():
        raise RedlineError("a proposal needs a rationale", hint="say why the threshold should move")
    with session_scope(engine) as session:
        if session.get(Policy, policy.id) is None:
            raise RedlineError(f"the policy {policy.name!r} no longer exists")
        row = ThresholdProposal(
            id=uuid7(),
            policy_id=policy.id,
            segment=segment,
            old_value=policy.threshold_for(segment),
            new_value=new_value,
            rationale=rationale.strip(),
            evidence=json.loads(json.dumps(evidence, default=str)),
            proposer=proposer,
            status=ProposalStatus.PROPOSED.value,
        )
        session.add(row)
        session.flush()
        return _proposal_info(row)


def list_proposals(engine: Engine, policy_id: uuid.UUID | None = None) -> list[ProposalInfo]:
    """Proposals, newest first (of one policy when given)."""
    query = select(ThresholdProposal).order_by(ThresholdProposal.created_at.desc())
    if policy_id is not None:
        query = query.where(ThresholdProposal.policy_id == policy_id)
    with session_scope(engine) as session:
        return [_proposal_info(p) for p in session.scalars(query)]


def authorize_decision(*, decider: str, role: Role, proposal: str = "") -> None:
    """Raise `NotAllowed` saying why, unless `decider` may decide proposals (a lead)."""
    if not decider.strip():
        raise NotAllowed(
            "no one is signed in (set your name first)",
            where=proposal,
            hint="set your name in the settings",
        )
    if role is not Role.LEAD:
        raise NotAllowed(
            f"only leads may decide threshold proposals (your role is '{role.value}')",
            where=proposal,
            hint="ask a lead to decide it",
        )


def decide_proposal(
    engine: Engine,
    proposal_id: uuid.UUID,
    *,
    approve: bool,
    decider: str,
    role: Role,
    note: str = "",
) -> ProposalInfo:
    """Approve (the policy takes the new value) or reject a proposal that is still open.

    Raises:
        NotAllowed: `role` is not a lead's, or no decider name.
        RedlineError: no such proposal, or it was decided already.
    """
    authorize_decision(decider=decider, role=role, proposal=f"proposal {proposal_id}")
    with session_scope(engine) as session:
        row = session.get(ThresholdProposal, proposal_id)
        if row is None:
            raise RedlineError("there is no such proposal", where=str(proposal_id))
        if row.status != ProposalStatus.PROPOSED.value:
            raise RedlineError(f"this proposal was {row.status} already", where=str(proposal_id))
        before = {"status": row.status}
        row.status = (ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED).value
        row.decider = decider
        row.decided_at = clock.now()
        row.decision_note = note
        row.revision += 1
        row.dirty = True
        policy = session.get_one(Policy, row.policy_id)
        append_event(
            session,
            actor=decider,
            action="approve" if approve else "reject",
            entity_type=ENTITY_PROPOSAL,
            entity_id=str(row.id),
            before=before,
            after={
                "status": row.status,
                "policy": policy.name,
                "segment": row.segment,
                "old_value": float(row.old_value),
                "new_value": float(row.new_value),
                "proposer": row.proposer,
            },
            reason=note,
            occurred_at=row.decided_at,
        )
        if approve:
            if row.segment is None:
                policy.threshold = row.new_value
            else:
                policy.segment_thresholds = {
                    **(policy.segment_thresholds or {}),
                    row.segment: row.new_value,
                }
            policy.revision += 1
            policy.dirty = True
        session.flush()
        return _proposal_info(row)
