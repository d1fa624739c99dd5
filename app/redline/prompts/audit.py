"""The audit trail: append-only events chained by hash, their verification and queries.

Each event's `hash` is the SHA-256 (hex) of `prev_hash + "\n" + canonical`, where
`canonical` is the JSON object of its position, actor, action, entity_type, entity_id,
before, after, reason and occurred_at (ISO 8601, UTC, microseconds), with sorted keys,
no spaces and non-ASCII kept (`event_payload`). The first event's `prev_hash` is "".
Editing, deleting or inserting any event breaks the chain from that point on, and
`verify_chain` names the first position where it breaks.

Events of the shared database (written there by triggers, see redline.sync.server) are
pulled into `shared_audit_event`, a read-only copy beside the local chain: the server
numbers its own chain (its positions would collide with ours) and hashes with its own
function over the JSON text it wrote (`shared_event_hash`). The views show both, the
shared ones marked "S" + their server position; `verify_chain` checks the local chain,
then the copy (links, positions, hashes), so a copy edited on this machine is caught too.
`redline shared verify-audit` checks the server's own chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session

from redline.progress import NO_PROGRESS, Progress, check
from redline.store.base import utcnow, uuid7
from redline.store.models import AuditEvent, Prompt, PromptVersion, SharedAuditEvent
from redline.store.session import session_scope

__all__ = [
    "AuditRecord",
    "ChainReport",
    "append_event",
    "audit_events",
    "event_hash",
    "event_payload",
    "shared_event_hash",
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
    # "local": this store's chain; "shared": the shared database's (pulled by sync).
    origin: str = "local"

    @property
    def ref(self) -> str:
        """How the views number it: "12" (local chain) or "S12" (shared chain)."""
        return f"S{self.position}" if self.origin == "shared" else str(self.position)


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


_SHARED_SEPARATOR = "\x1f"


def shared_event_hash(
    prev_hash: str,
    *,
    position: int,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before_text: str | None,
    after_text: str | None,
    occurred_at: datetime,
) -> str:
    """The shared database's event hash: `redline_audit_hash` in redline.sync.server,
    over the JSON text the server wrote (jsonb's own text form)."""
    when = occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    parts = [
        prev_hash,
        str(position),
        actor,
        action,
        entity_type,
        entity_id,
        before_text if before_text is not None else "null",
        after_text if after_text is not None else "null",
        when,
    ]
    return hashlib.sha256(_SHARED_SEPARATOR.join(parts).encode()).hexdigest()


def _json_matches(value: dict[str, Any] | None, text: str | None) -> bool:
    return (value is None and text is None) or (text is not None and json.loads(text) == value)


def _verify_shared_copy(session: Session, counted: int) -> ChainReport:
    """The pulled copy of the shared chain: every event from 1 on, linked, unaltered."""
    prev_hash = ""
    expected = 1
    count = counted
    where = "in the copy of the shared database's audit trail"
    for event in session.scalars(
        select(SharedAuditEvent).order_by(SharedAuditEvent.position)
    ).yield_per(1000):
        count += 1
        if event.position != expected:
            return ChainReport(
                count,
                event.position,
                f"{where}, event {expected} is missing (the next one is {event.position}); "
                "a sync brings missing events",
            )
        recomputed = shared_event_hash(
            event.prev_hash,
            position=event.position,
            actor=event.actor,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            before_text=event.before_text,
            after_text=event.after_text,
            occurred_at=event.occurred_at,
        )
        if event.prev_hash != prev_hash:
            return ChainReport(
                count, event.position, f"{where}, event S{event.position}'s link does not match"
            )
        if recomputed != event.hash or not (
            _json_matches(event.before, event.before_text)
            and _json_matches(event.after, event.after_text)
        ):
            return ChainReport(
                count,
                event.position,
                f"{where}, event S{event.position} does not match its hash (edited here)",
            )
        prev_hash = event.hash
        expected += 1
    return ChainReport(count)


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
        shared = _verify_shared_copy(session, count)
    progress.update(shared.events, shared.events, "verifying the audit trail")
    return shared


def _record(
    event: AuditEvent | SharedAuditEvent, labels: dict[str, str], *, origin: str = "local"
) -> AuditRecord:
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
        origin=origin,
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
    shared_query = select(SharedAuditEvent).order_by(SharedAuditEvent.position.desc()).limit(limit)
    for model in (AuditEvent, SharedAuditEvent):
        table = model.__table__.c
        filters: list[ColumnElement[bool]] = []
        if entity_ids is not None:
            filters.append(table.entity_id.in_(list(entity_ids)))
        if actor:
            filters.append(table.actor == actor)
        if since is not None:
            filters.append(table.occurred_at >= since)
        if until is not None:
            filters.append(table.occurred_at < until)
        if model is AuditEvent:
            query = query.where(*filters)
        else:
            shared_query = shared_query.where(*filters)
    with session_scope(engine) as session:
        events = list(session.scalars(query))
        shared = list(session.scalars(shared_query))
        entities = {e.entity_id for e in events} | {e.entity_id for e in shared}
        labels = version_labels(session, entities)
        records = [_record(e, labels) for e in events]
        records += [_record(e, labels, origin="shared") for e in shared]
    # Two chains, one view: newest first by time.
    records.sort(key=lambda r: r.occurred_at, reverse=True)
    return records[:limit]
