"""Review guidelines per prompt: stored on the prompt (a synced row), edited by the team.

The text lives in `Prompt.guidelines`, so it syncs to everyone like the rest of the
catalog. A prompt without guidelines of its own (or a sample whose prompt is not in the
catalog yet) shows the default that ships with Redline, which the caller passes in (the
shipped files are the UI's resources). Saving bumps the prompt's revision and marks it
dirty so sync pushes it, and records the change in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from redline import clock
from redline.errors import RedlineError
from redline.prompts.catalog import PROMPT_NAME
from redline.store.audit import append_event
from redline.store.base import uuid7
from redline.store.models import Prompt
from redline.store.session import session_scope

__all__ = ["Guidelines", "load_guidelines", "save_guidelines"]

# What a prompt name must look like to get a catalog entry: the catalog's own rule.
_NAME = PROMPT_NAME


@dataclass(frozen=True, slots=True)
class Guidelines:
    """The guidelines shown for one prompt.

    Attributes:
        prompt_name: the prompt (None: samples without a prompt name).
        text: markdown.
        stored: the text is the prompt's own (False: the shipped default).
        revision: the prompt row's revision (0 when the prompt is not in the catalog).
    """

    prompt_name: str | None
    text: str
    stored: bool
    revision: int

    @property
    def editable(self) -> bool:
        return self.prompt_name is not None and _NAME.fullmatch(self.prompt_name) is not None


def load_guidelines(engine: Engine, prompt_name: str | None, default: str) -> Guidelines:
    """The prompt's own guidelines, or `default` when it has none."""
    if not prompt_name:
        return Guidelines(None, default, stored=False, revision=0)
    with session_scope(engine) as session:
        row = session.execute(
            select(Prompt.guidelines, Prompt.revision).where(Prompt.name == prompt_name)
        ).one_or_none()
    if row is None:
        return Guidelines(prompt_name, default, stored=False, revision=0)
    text, revision = row
    if not (text or "").strip():
        return Guidelines(prompt_name, default, stored=False, revision=int(revision))
    return Guidelines(prompt_name, text, stored=True, revision=int(revision))


def save_guidelines(
    engine: Engine, prompt_name: str | None, text: str, *, author: str
) -> Guidelines:
    """Store `text` as the prompt's guidelines (one committed transaction, audited).

    A prompt not in the catalog yet (samples name it, nobody catalogued it) is added
    with `author` as its owner, so its guidelines have a row to live and sync in.

    Raises:
        RedlineError: no prompt name, a name the catalog cannot hold, or no author.
    """
    if not author.strip():
        raise RedlineError("no reviewer name", hint="set your name in the settings")
    if not prompt_name:
        raise RedlineError(
            "these samples have no prompt name, so they share the default guidelines",
            hint="the default guidelines ship with Redline (resources/guidelines/default.md)",
        )
    if _NAME.fullmatch(prompt_name) is None:
        raise RedlineError(
            f"the prompt name {prompt_name!r} cannot hold guidelines",
            hint="prompt names are letters, digits, '.', '_' and '-'",
        )
    with session_scope(engine) as session:
        prompt = session.scalars(select(Prompt).where(Prompt.name == prompt_name)).one_or_none()
        before = None if prompt is None else {"guidelines": prompt.guidelines}
        if prompt is None:
            prompt = Prompt(id=uuid7(), name=prompt_name, owner=author, guidelines=text)
            session.add(prompt)
            session.flush()
        elif prompt.guidelines == text:
            return Guidelines(prompt_name, text, bool(text.strip()), prompt.revision)
        else:
            prompt.guidelines = text
            # A synced row: a higher revision wins on the server, dirty makes sync push it.
            prompt.revision += 1
            prompt.updated_at = clock.now()
            prompt.dirty = True
        append_event(
            session,
            actor=author,
            action="edit guidelines",
            entity_type="prompt",
            entity_id=str(prompt.id),
            before=before,
            after={"guidelines": text},
        )
        return Guidelines(prompt_name, text, stored=bool(text.strip()), revision=prompt.revision)
