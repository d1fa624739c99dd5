"""The prompt catalog: prompts, their versions, and every governed change to them.

Every write here is one transaction that changes the rows and appends the audit events
that describe the change (`redline.store.audit`), so a change and its record are
never apart. Who may do what is decided by `redline.prompts.rules.authorize`.
Versions are synced rows: each local change bumps `revision` and marks the row dirty.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from redline import clock
from redline.errors import RedlineError
from redline.prompts.rules import Action, authorize
from redline.prompts.templates import template_variables, validate_template
from redline.roles import NotAllowed, Role
from redline.store.audit import append_event
from redline.store.base import uuid7
from redline.store.models import Prompt, PromptVersion
from redline.store.models import PromptVersionStatus as Status
from redline.store.session import session_scope

__all__ = [
    "DraftSpec",
    "PromptInfo",
    "VersionInfo",
    "create_draft",
    "create_prompt",
    "deployed_version",
    "find_version",
    "get_version",
    "list_prompts",
    "list_versions",
    "rollback",
    "rollback_target",
    "transition",
    "update_draft",
]

ENTITY_PROMPT = "prompt"
ENTITY_VERSION = "prompt_version"


@dataclass(frozen=True, slots=True)
class PromptInfo:
    id: uuid.UUID
    name: str
    purpose: str
    owner: str
    tags: tuple[str, ...]
    guidelines: str
    versions: int
    deployed: str | None  # the deployed version's label, if one is


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: uuid.UUID
    prompt_id: uuid.UUID
    prompt_name: str
    version: str
    template: str
    variables: tuple[str, ...]
    parameters: dict[str, Any]
    tools: tuple[Any, ...]
    change_note: str
    parent_id: uuid.UUID | None
    parent_version: str | None
    author: str
    status: Status
    created_at: datetime
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    revision: int

    @property
    def label(self) -> str:
        return f"{self.prompt_name} {self.version}"

    @property
    def frozen(self) -> bool:
        """Content can no longer change (submitted for review at least once)."""
        return self.status is not Status.DRAFT


@dataclass(frozen=True)
class DraftSpec:
    """The content of a draft. `variables` None = the ones the template uses."""

    template: str
    variables: Sequence[str] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    tools: Sequence[Any] = ()
    change_note: str = ""


# --------------------------------------------------------------------------- reading


def _info(row: PromptVersion, prompt_name: str, parent_version: str | None) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        prompt_id=row.prompt_id,
        prompt_name=prompt_name,
        version=row.version,
        template=row.template,
        variables=tuple(row.variables or ()),
        parameters=dict(row.parameters or {}),
        tools=tuple(row.tools or ()),
        change_note=row.change_note,
        parent_id=row.parent_id,
        parent_version=parent_version,
        author=row.author,
        status=Status(row.status),
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        revision=row.revision,
    )


def _version_info(session: Session, row: PromptVersion) -> VersionInfo:
    prompt = session.get_one(Prompt, row.prompt_id)
    parent = session.get(PromptVersion, row.parent_id) if row.parent_id else None
    return _info(row, prompt.name, parent.version if parent else None)


def list_prompts(engine: Engine) -> list[PromptInfo]:
    """Every prompt, by name, with its number of versions and the deployed one."""
    with session_scope(engine) as session:
        counts = dict(
            session.execute(
                select(PromptVersion.prompt_id, func.count()).group_by(PromptVersion.prompt_id)
            ).all()
        )
        deployed = dict(
            session.execute(
                select(PromptVersion.prompt_id, PromptVersion.version).where(
                    PromptVersion.status == Status.DEPLOYED.value
                )
            ).all()
        )
        return [
            PromptInfo(
                id=p.id,
                name=p.name,
                purpose=p.purpose,
                owner=p.owner,
                tags=tuple(p.tags or ()),
                guidelines=p.guidelines,
                versions=int(counts.get(p.id, 0)),
                deployed=deployed.get(p.id),
            )
            for p in session.scalars(select(Prompt).order_by(Prompt.name))
        ]


def _prompt(session: Session, name: str) -> Prompt:
    prompt = session.scalars(select(Prompt).where(Prompt.name == name)).first()
    if prompt is None:
        known = ", ".join(session.scalars(select(Prompt.name).order_by(Prompt.name))) or "none"
        raise RedlineError(f"no prompt named {name!r}", hint=f"prompts in the catalog: {known}")
    return prompt


def list_versions(engine: Engine, prompt_name: str) -> list[VersionInfo]:
    """The versions of a prompt, oldest first."""
    with session_scope(engine) as session:
        prompt = _prompt(session, prompt_name)
        rows = list(
            session.scalars(
                select(PromptVersion)
                .where(PromptVersion.prompt_id == prompt.id)
                .order_by(PromptVersion.created_at, PromptVersion.id)
            )
        )
        labels = {r.id: r.version for r in rows}
        return [
            _info(r, prompt.name, labels.get(r.parent_id) if r.parent_id else None) for r in rows
        ]


def find_version(engine: Engine, prompt_name: str, version: str) -> VersionInfo:
    """A version by prompt name and label ("support-assistant", "v3")."""
    with session_scope(engine) as session:
        prompt = _prompt(session, prompt_name)
        row = session.scalars(
            select(PromptVersion).where(
                PromptVersion.prompt_id == prompt.id, PromptVersion.version == version
            )
        ).first()
        if row is None:
            known = ", ".join(
                session.scalars(
                    select(PromptVersion.version)
                    .where(PromptVersion.prompt_id == prompt.id)
                    .order_by(PromptVersion.created_at)
                )
            )
            raise RedlineError(
                f"{prompt_name} has no version {version!r}", hint=f"its versions: {known or 'none'}"
            )
        return _version_info(session, row)


def get_version(engine: Engine, version_id: uuid.UUID) -> VersionInfo:
    with session_scope(engine) as session:
        row = session.get(PromptVersion, version_id)
        if row is None:
            raise RedlineError(f"no prompt version with id {version_id}")
        return _version_info(session, row)


def deployed_version(engine: Engine, prompt_name: str) -> VersionInfo | None:
    return next(
        (v for v in list_versions(engine, prompt_name) if v.status is Status.DEPLOYED), None
    )


# --------------------------------------------------------------------------- writing


def _snapshot(row: PromptVersion) -> dict[str, Any]:
    """What an audit event records of a version's content."""
    return {
        "version": row.version,
        "status": row.status,
        "template": row.template,
        "variables": list(row.variables or ()),
        "parameters": dict(row.parameters or {}),
        "tools": list(row.tools or ()),
        "change_note": row.change_note,
    }


def _touch(row: PromptVersion) -> None:
    # A synced row: the server keeps the higher revision; dirty until pushed.
    row.revision = (row.revision or 0) + 1
    row.dirty = True
    row.updated_at = clock.now()


def _require_actor(actor: str) -> None:
    if not actor.strip():
        raise RedlineError("no one is signed in", hint="set your name first (Settings → reviewer)")


# The one rule for prompt names (as production logs name them). Names sync gives a
# renamed prompt ("triage.local", "support-assistant.demo") follow it too.
PROMPT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*")
PROMPT_NAME_HINT = "letters, digits, '.', '_' and '-', as production logs name it"


def create_prompt(
    engine: Engine,
    name: str,
    *,
    actor: str,
    purpose: str = "",
    owner: str = "",
    tags: Sequence[str] = (),
    reason: str = "",
) -> PromptInfo:
    """Add a prompt to the catalog (audited)."""
    _require_actor(actor)
    name = name.strip()
    if not PROMPT_NAME.fullmatch(name):
        raise RedlineError(
            f"{name!r} is not a usable prompt name",
            hint=PROMPT_NAME_HINT,
        )
    with session_scope(engine) as session:
        if session.scalars(select(Prompt.id).where(Prompt.name == name)).first() is not None:
            raise RedlineError(f"a prompt named {name!r} exists already")
        prompt = Prompt(
            id=uuid7(), name=name, purpose=purpose, owner=owner or actor, tags=list(tags)
        )
        session.add(prompt)
        session.flush()
        append_event(
            session,
            actor=actor,
            action="create",
            entity_type=ENTITY_PROMPT,
            entity_id=str(prompt.id),
            before=None,
            after={"name": name, "purpose": purpose, "owner": prompt.owner, "tags": list(tags)},
            reason=reason,
        )
        return PromptInfo(prompt.id, name, purpose, prompt.owner, tuple(tags), "", 0, None)


def _next_label(labels: Sequence[str]) -> str:
    numbers = [int(m.group(1)) for lab in labels if (m := re.fullmatch(r"v(\d+)", lab))]
    return f"v{max(numbers, default=0) + 1}"


def _checked_spec(spec: DraftSpec, where: str) -> tuple[str, list[str]]:
    variables = (
        list(spec.variables) if spec.variables is not None else template_variables(spec.template)
    )
    if not spec.template.strip():
        raise RedlineError("the template is empty", where=where)
    validate_template(spec.template, variables, where=where)
    if not isinstance(spec.parameters, dict):
        raise RedlineError("model parameters must be a JSON object", where=where)
    return spec.template, variables


def create_draft(
    engine: Engine,
    prompt_name: str,
    spec: DraftSpec,
    *,
    actor: str,
    version: str | None = None,
    parent: str | None = None,
) -> VersionInfo:
    """A new draft of a prompt, by `actor`; its parent is `parent` or the latest version.

    Raises:
        RedlineError: the template does not match its variables, the label exists, ...
    """
    _require_actor(actor)
    with session_scope(engine) as session:
        prompt = _prompt(session, prompt_name)
        rows = list(
            session.scalars(
                select(PromptVersion)
                .where(PromptVersion.prompt_id == prompt.id)
                .order_by(PromptVersion.created_at, PromptVersion.id)
            )
        )
        label = (version or _next_label([r.version for r in rows])).strip()
        where = f"{prompt_name} {label}"
        if any(r.version == label for r in rows):
            raise RedlineError(f"{prompt_name} already has a version {label!r}", where=where)
        template, variables = _checked_spec(spec, where)
        parent_row = rows[-1] if rows else None
        if parent is not None:
            parent_row = next((r for r in rows if r.version == parent), None)
            if parent_row is None:
                raise RedlineError(f"{prompt_name} has no version {parent!r} to start from")
        row = PromptVersion(
            id=uuid7(),
            prompt_id=prompt.id,
            version=label,
            template=template,
            variables=variables,
            parameters=dict(spec.parameters),
            tools=list(spec.tools),
            change_note=spec.change_note,
            parent_id=parent_row.id if parent_row else None,
            author=actor,
            status=Status.DRAFT.value,
            revision=1,
            dirty=True,
        )
        session.add(row)
        session.flush()
        append_event(
            session,
            actor=actor,
            action="create",
            entity_type=ENTITY_VERSION,
            entity_id=str(row.id),
            before=None,
            after=_snapshot(row),
            reason=spec.change_note,
        )
        return _version_info(session, row)


def update_draft(
    engine: Engine, version_id: uuid.UUID, spec: DraftSpec, *, actor: str
) -> VersionInfo:
    """Change a draft's content; refused once it was submitted, and for anyone but its author."""
    _require_actor(actor)
    with session_scope(engine) as session:
        row = _version_row(session, version_id)
        where = _where(session, row)
        if row.status != Status.DRAFT.value:
            raise NotAllowed(
                f"a version in status '{row.status}' is immutable",
                where=where,
                hint="create a new draft from it instead",
            )
        if row.author != actor:
            raise NotAllowed(f"only its author ({row.author}) may edit this draft", where=where)
        before = _snapshot(row)
        template, variables = _checked_spec(spec, where)
        row.template = template
        row.variables = variables
        row.parameters = dict(spec.parameters)
        row.tools = list(spec.tools)
        row.change_note = spec.change_note
        _touch(row)
        session.flush()
        append_event(
            session,
            actor=actor,
            action="edit",
            entity_type=ENTITY_VERSION,
            entity_id=str(row.id),
            before=before,
            after=_snapshot(row),
        )
        return _version_info(session, row)


def _version_row(session: Session, version_id: uuid.UUID) -> PromptVersion:
    row = session.get(PromptVersion, version_id)
    if row is None:
        raise RedlineError(f"no prompt version with id {version_id}")
    return row


def _where(session: Session, row: PromptVersion) -> str:
    return f"{session.get_one(Prompt, row.prompt_id).name} {row.version}"


def _set_status(
    session: Session,
    row: PromptVersion,
    status: Status,
    *,
    actor: str,
    action: str,
    reason: str,
    extra: dict[str, Any] | None = None,
) -> None:
    before = {"status": row.status}
    row.status = status.value
    now = clock.now()
    if status is Status.IN_REVIEW:
        row.submitted_at = now
    if status in (Status.APPROVED, Status.REJECTED) and action in ("approve", "reject"):
        row.decided_by = actor
        row.decided_at = now
    _touch(row)
    session.flush()
    append_event(
        session,
        actor=actor,
        action=action,
        entity_type=ENTITY_VERSION,
        entity_id=str(row.id),
        before=before,
        after={"status": status.value, **(extra or {})},
        reason=reason,
        occurred_at=now,
    )


def _apply(
    session: Session, row: PromptVersion, action: Action, *, actor: str, role: Role, reason: str
) -> None:
    where = _where(session, row)
    target = authorize(
        action, status=row.status, actor=actor, author=row.author, role=role, version=where
    )
    extra: dict[str, Any] = {}
    if target is Status.DEPLOYED:
        current = session.scalars(
            select(PromptVersion).where(
                PromptVersion.prompt_id == row.prompt_id,
                PromptVersion.status == Status.DEPLOYED.value,
            )
        ).all()
        for old in current:
            # Back to approved: still a one-action rollback target.
            _set_status(
                session,
                old,
                Status.APPROVED,
                actor=actor,
                action="undeploy",
                reason=f"replaced by {row.version}" + (f": {reason}" if reason else ""),
                extra={"replaced_by": row.version},
            )
            extra["replaces"] = old.version
    _set_status(session, row, target, actor=actor, action=action.value, reason=reason, extra=extra)


def transition(
    engine: Engine,
    version_id: uuid.UUID,
    action: Action,
    *,
    actor: str,
    role: Role,
    reason: str = "",
) -> VersionInfo:
    """Submit, approve, reject, deploy or retire a version (see `redline.prompts.rules`).

    Deploying returns the prompt's previously deployed version to "approved". Every
    status change is audited in the same transaction.

    Raises:
        NotAllowed: the status, the role or the four-eyes rule refuses it.
    """
    if action is Action.ROLLBACK:
        raise ValueError("use rollback() to roll back")
    with session_scope(engine) as session:
        row = _version_row(session, version_id)
        _apply(session, row, action, actor=actor, role=role, reason=reason)
        return _version_info(session, row)


def rollback_target(engine: Engine, prompt_name: str) -> VersionInfo | None:
    """The version a rollback deploys: the latest approved version older than the deployed one."""
    versions = list_versions(engine, prompt_name)
    deployed = next((i for i, v in enumerate(versions) if v.status is Status.DEPLOYED), None)
    older = versions[:deployed] if deployed is not None else versions
    return next((v for v in reversed(older) if v.status is Status.APPROVED), None)


def rollback(
    engine: Engine,
    prompt_name: str,
    *,
    actor: str,
    role: Role,
    reason: str = "",
    to_version: str | None = None,
) -> VersionInfo:
    """Deploy an earlier approved version in one audited action (lead only).

    `to_version` names the target; by default the latest approved version older than
    the deployed one.
    """
    target = (
        find_version(engine, prompt_name, to_version)
        if to_version is not None
        else rollback_target(engine, prompt_name)
    )
    if target is None:
        raise RedlineError(
            f"{prompt_name} has no earlier approved version to roll back to",
            hint="approve a version first, or name one with --to",
        )
    with session_scope(engine) as session:
        row = _version_row(session, target.id)
        _apply(session, row, Action.ROLLBACK, actor=actor, role=role, reason=reason)
        return _version_info(session, row)
