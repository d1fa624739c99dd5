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
function over the JSON text it wrote (`shared_event_hash`; its hashes since server
objects v3 cover the reason and are upper-case hex, older ones are lower-case and do
not, see redline.sync.server). The views show both, the
shared ones marked "S" + their server position; `verify_chain` checks the local chain,
then the copy (links, positions, hashes), so a copy edited on this machine is caught too.
`redline shared verify-audit` checks the server's own chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session

from redline import clock
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.base import uuid7
from redline.store.models import AuditEvent, Prompt, PromptVersion, SharedAuditEvent
from redline.store.session import session_scope

__all__ = [
    "AuditRecord",
    "ChainReport",
    "append_event",
    "audit_events",
    "event_hash",
    "event_payload",
    "hash_covers_reason",
    "link_shared",
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
    # A local event the shared database recorded too (see `link_shared`): its position
    # in the shared chain.
    shared_position: int | None = None

    @property
    def ref(self) -> str:
        """How the views number it: "12" (local chain), "S12" (shared chain), or
        "12 = S4" for a local change the shared database recorded as well."""
        if self.origin == "shared":
            return f"S{self.position}"
        if self.shared_position is not None:
            return f"{self.position} = S{self.shared_position}"
        return str(self.position)


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
    when = (occurred_at or clock.now()).astimezone(UTC)
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
    reason: str | None = None,
) -> str:
    """The shared database's event hash over the JSON text the server wrote (jsonb's own
    text form): with a `reason`, `redline_audit_hash_with_reason` of redline.sync.server
    (upper-case hex); without (None), `redline_audit_hash`, which events written before
    server objects v3 carry (lower-case hex)."""
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
    if reason is None:
        return hashlib.sha256(_SHARED_SEPARATOR.join(parts).encode()).hexdigest()
    parts.append(reason)
    return hashlib.sha256(_SHARED_SEPARATOR.join(parts).encode()).hexdigest().upper()


def hash_covers_reason(stored_hash: str) -> bool:
    """Whether a shared event's hash covers its reason (upper-case hex, server v3 on)."""
    return stored_hash != stored_hash.lower()


def _json_matches(value: dict[str, Any] | None, text: str | None) -> bool:
    return (value is None and text is None) or (text is not None and json.loads(text) == value)


def _verify_shared_copy(session: Session, counted: int) -> ChainReport:
    """The pulled copy of the shared chain: every event from 1 on, linked, unaltered."""
    prev_hash = ""
    expected = 1
    count = counted
    reason_hashed = False  # a v3 event was seen: every later one must be one too
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
            reason=event.reason if reason_hashed or hash_covers_reason(event.hash) else None,
        )
        reason_hashed = reason_hashed or hash_covers_reason(event.hash)
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
        local_records = [_record(e, labels) for e in events]
        shared_records = [_record(e, labels, origin="shared") for e in shared]
    records = link_shared(local_records, shared_records)
    # Two chains, one view: newest first by time.
    records.sort(key=lambda r: r.occurred_at, reverse=True)
    return records[:limit]


# How much earlier than its local event a shared event may look (the server's clock
# against this machine's); the server records a change when it is pushed, so later.
_CLOCK_SKEW = timedelta(minutes=5)


def _status_key(record: AuditRecord) -> tuple[str, str, str] | None:
    status = (record.after or {}).get("status")
    return None if status is None else (record.entity_id, record.actor, str(status))


def link_shared(local: Sequence[AuditRecord], shared: Sequence[AuditRecord]) -> list[AuditRecord]:
    """Both chains, a change recorded in both shown once.

    A change made here and pushed is in the local chain (when it was made) and in the
    shared one (the server's trigger, when it was pushed). They are the same change when
    the entity, the person and the resulting status agree and the shared event is not
    earlier than the local one: paired in time order, one to one. The local record
    then carries the shared position (its ref reads "12 = S4") and the shared record
    is left out. Everything else is shown as it is; both chains stay verified apart.
    """
    waiting: dict[tuple[str, str, str], list[int]] = {}
    for index, record in sorted(enumerate(local), key=lambda item: item[1].occurred_at):
        key = _status_key(record)
        if key is not None:
            waiting.setdefault(key, []).append(index)
    linked: dict[int, int] = {}
    unlinked: list[AuditRecord] = []
    for event in sorted(shared, key=lambda r: r.occurred_at):
        key = _status_key(event)
        candidates = waiting.get(key, []) if key is not None else []
        if candidates and local[candidates[0]].occurred_at <= event.occurred_at + _CLOCK_SKEW:
            linked[candidates.pop(0)] = event.position
        else:
            unlinked.append(event)
    merged = [
        replace(record, shared_position=linked[i]) if i in linked else record
        for i, record in enumerate(local)
    ]
    return merged + unlinked
