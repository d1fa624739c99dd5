"""Guidelines per prompt: the shipped default until the team writes their own, stored on
the prompt (a synced row: revision bump, dirty) and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from redline.errors import RedlineError
from redline.prompts.guidelines import load_guidelines, save_guidelines
from redline.store.models import AuditEvent, Prompt
from redline.store.session import session_scope

DEFAULT = "# Review guidelines\n\nBe fair."


def test_default_until_the_prompt_has_its_own(engine: Engine) -> None:
    shown = load_guidelines(engine, "support", DEFAULT)
    assert (shown.text, shown.stored, shown.revision) == (DEFAULT, False, 0)
    assert shown.editable
    none = load_guidelines(engine, None, DEFAULT)
    assert none.text == DEFAULT and not none.editable


def test_saving_creates_the_prompt_then_bumps_its_revision(engine: Engine) -> None:
    first = save_guidelines(engine, "support", "Good: cites the KB.", author="ana")
    assert first.stored and first.revision == 1
    with session_scope(engine) as session:
        prompt = session.scalars(select(Prompt).where(Prompt.name == "support")).one()
        assert (prompt.guidelines, prompt.owner, prompt.dirty) == (
            "Good: cites the KB.",
            "ana",
            True,
        )
        prompt.dirty = False  # as if sync had pushed it

    second = save_guidelines(engine, "support", "Good: cites the KB, in the user's language.",
                             author="ben")  # fmt: skip
    assert second.revision == 2
    shown = load_guidelines(engine, "support", DEFAULT)
    assert (shown.text, shown.stored, shown.revision) == (second.text, True, 2)
    with session_scope(engine) as session:
        prompt = session.scalars(select(Prompt).where(Prompt.name == "support")).one()
        assert prompt.dirty  # sync pushes the edit
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == str(prompt.id))
        ).all()
    assert [(e.actor, e.action) for e in events] == [
        ("ana", "edit guidelines"),
        ("ben", "edit guidelines"),
    ]
    assert events[1].before == {"guidelines": "Good: cites the KB."}

    # Saving the same text again is no change: no revision, no audit event.
    assert save_guidelines(engine, "support", second.text, author="ben").revision == 2


def test_empty_guidelines_fall_back_to_the_default(engine: Engine) -> None:
    save_guidelines(engine, "support", "Own text", author="ana")
    save_guidelines(engine, "support", "  ", author="ana")
    assert load_guidelines(engine, "support", DEFAULT).text == DEFAULT


@pytest.mark.parametrize("name", [None, "", "../etc", "two words"])
def test_refuses_prompts_that_cannot_hold_guidelines(engine: Engine, name: str | None) -> None:
    with pytest.raises(RedlineError):
        save_guidelines(engine, name, "text", author="ana")


def test_needs_an_author(engine: Engine) -> None:
    with pytest.raises(RedlineError, match="reviewer"):
        save_guidelines(engine, "support", "text", author=" ")
