"""The audit chain verifies, and detects an edited, removed or inserted event."""

from __future__ import annotations

from sqlalchemy import Engine, delete, text, update
from tests.prompts.helpers import catalog, deployed

from redline.store.audit import append_event, event_hash, event_payload, verify_chain
from redline.store.models import AuditEvent
from redline.store.session import session_scope


def _trail(engine: Engine) -> None:
    deployed(engine, catalog(engine))  # five events


def test_an_untouched_chain_verifies(db_engine: Engine) -> None:
    _trail(db_engine)
    report = verify_chain(db_engine)
    assert report.intact and report.events == 5


def test_an_empty_trail_verifies(engine: Engine) -> None:
    assert verify_chain(engine).intact


def test_an_edited_event_is_detected(db_engine: Engine) -> None:
    _trail(db_engine)
    with db_engine.begin() as conn:
        # What someone with database access would do: rewrite who approved it.
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE position = 4"))
    report = verify_chain(db_engine)
    assert (report.broken_at, report.intact) == (4, False)
    assert "edited" in report.problem


def test_an_edited_status_inside_the_json_is_detected(engine: Engine) -> None:
    _trail(engine)
    with session_scope(engine) as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.position == 3).values(after={"status": "rejected"})
        )
    assert verify_chain(engine).broken_at == 3


def test_a_removed_event_is_detected(engine: Engine) -> None:
    _trail(engine)
    with session_scope(engine) as session:
        session.execute(delete(AuditEvent).where(AuditEvent.position == 2))
    report = verify_chain(engine)
    assert report.broken_at == 3 and "missing" in report.problem


def test_a_rehashed_event_still_breaks_the_link_to_the_next(engine: Engine) -> None:
    _trail(engine)
    with session_scope(engine) as session:
        event = session.query(AuditEvent).filter_by(position=2).one()
        event.reason = "forged"
        # A careful forger recomputes this event's hash ...
        event.hash = event_hash(
            event.prev_hash,
            event_payload(
                position=event.position, actor=event.actor, action=event.action,
                entity_type=event.entity_type, entity_id=event.entity_id,
                before=event.before, after=event.after, reason=event.reason,
                occurred_at=event.occurred_at,
            ),
        )  # fmt: skip
    # ... but the next event still points at the old one.
    report = verify_chain(engine)
    assert report.broken_at == 3 and "link" in report.problem


def test_events_chain_in_position_order(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = append_event(session, actor="a", action="x", entity_type="t", entity_id="1",
                             before=None, after={"k": "é"})  # fmt: skip
        second = append_event(session, actor="a", action="y", entity_type="t", entity_id="1",
                              before=None, after=None)  # fmt: skip
        assert (first.position, first.prev_hash) == (1, "")
        assert (second.position, second.prev_hash) == (2, first.hash)
    assert verify_chain(engine).intact
