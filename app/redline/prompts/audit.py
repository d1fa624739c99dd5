"""The audit trail: append-only events chained by hash, their verification and queries.

Each event's `hash` is the SHA-256 (hex) of `prev_hash + "\n" + canonical`, where
`canonical` is the JSON object of its position, actor, action, entity_type, entity_id,
before, after, reason and occurred_at (ISO 8601, UTC, microseconds), with sorted keys,
no spaces and non-ASCII kept (`event_payload`). The first event's `prev_hash` is "".
Editing, deleting or inserting any event breaks the chain from that point on, and
`verify_chain` names the first position where it breaks.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from redline.progress import NO_PROGRESS, Progress, check
from redline.store.base import utcnow, uuid7
from redline.store.models import AuditEvent, Prompt, PromptVersion
from redline.store.session import session_scope

__all__ = [
    "AuditRecord",
    "ChainReport",
    "append_event",
    "audit_events",
    "event_hash",
    "event_payload",
    "verify_chain",
]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event as the views show it."""

    position: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    hash: str
    # "support-assistant v3" for prompt versions (filled by `audit_events`).
    label: str = ""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of verifying the chain: intact, or where it first breaks and why."""

    events: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _iso(when: datetime) -> str:
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def event_payload(
    *,
    position: int,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
    occurred_at: datetime,
) -> str:
    """The canonical JSON text an event's hash covers (see the module docstring)."""
    return json.dumps(
        {
            "position": position,
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "before": before,
            "after": after,
            "reason": reason,
            "occurred_at": _iso(occurred_at),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def event_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _stored_hash(event: AuditEvent) -> str:
    return event_hash(
        event.prev_hash,
        event_payload(
            position=event.position,
            actor=event.actor,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            before=event.before,
            after=event.after,
            reason=event.reason,
            occurred_at=event.occurred_at,
        ),
    )


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Add the next event of the chain in `session` (committed with the change it records).

    The position is unique, so two writers racing for the same position make one of
    the transactions fail instead of forking the chain.
    """
    last = session.execute(
        select(AuditEvent.position, AuditEvent.hash).order_by(AuditEvent.position.desc()).limit(1)
    ).first()
    position, prev_hash = (last[0] + 1, last[1]) if last is not None else (1, "")
    # Microseconds survive both SQLite and PostgreSQL, so the hash can be recomputed.
    when = (occurred_at or utcnow()).astimezone(UTC)
    payload = event_payload(
        position=position,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        occurred_at=when,
    )
    event = AuditEvent(
        id=uuid7(),
        position=position,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        occurred_at=when,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, payload),
    )
    session.add(event)
    session.flush()
    return event


def verify_chain(engine: Engine, *, progress: Progress = NO_PROGRESS) -> ChainReport:
    """Recompute every hash in position order; the first event that does not match, if any."""
    prev_hash = ""
    expected_position = 1
    count = 0
    with session_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.position)).yield_per(1000)
        for event in rows:
            count += 1
            if event.position != expected_position:
                return ChainReport(
                    count,
                    event.position,
                    f"event {expected_position} is missing (the next one is {event.position})",
                )
            if event.prev_hash != prev_hash:
                return ChainReport(
                    count,
                    event.position,
                    "its link to the previous event does not match (an event was removed, "
                    "inserted or edited before it)",
                )
            if _stored_hash(event) != event.hash:
                return ChainReport(
                    count,
                    event.position,
                    "its content does not match its hash (the event was edited)",
                )
            prev_hash = event.hash
            expected_position += 1
            if count % 1000 == 0:
                progress.update(count, total, "verifying the audit trail")
                check(progress)
    progress.update(count, count, "verifying the audit trail")
    return ChainReport(count)


def _record(event: AuditEvent, labels: dict[str, str]) -> AuditRecord:
    return AuditRecord(
        position=event.position,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        before=event.before,
        after=event.after,
        reason=event.reason,
        hash=event.hash,
        label=labels.get(event.entity_id, ""),
    )


def version_labels(session: Session, version_ids: Iterable[str] | None = None) -> dict[str, str]:
    """{version id: "prompt vN"} for the given versions (all when None), and prompt names."""
    query = select(PromptVersion.id, Prompt.name, PromptVersion.version).join(
        Prompt, Prompt.id == PromptVersion.prompt_id
    )
    if version_ids is not None:
        ids = [uuid.UUID(v) for v in version_ids if _is_uuid(v)]
        query = query.where(PromptVersion.id.in_(ids))
    labels = {str(vid): f"{name} {version}" for vid, name, version in session.execute(query)}
    for pid, name in session.execute(select(Prompt.id, Prompt.name)):
        labels[str(pid)] = name
    return labels


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def audit_events(
    engine: Engine,
    *,
    entity_ids: Sequence[str] | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[AuditRecord]:
    """Events newest first, filtered by entities (e.g. a prompt and its versions), person, time.

    `until` is exclusive; `limit` keeps a long history from filling the view.
    """
    query = select(AuditEvent).order_by(AuditEvent.position.desc()).limit(limit)
    if entity_ids is not None:
        query = query.where(AuditEvent.entity_id.in_(list(entity_ids)))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    with session_scope(engine) as session:
        events = list(session.scalars(query))
        labels = version_labels(session, {e.entity_id for e in events})
        return [_record(e, labels) for e in events]
