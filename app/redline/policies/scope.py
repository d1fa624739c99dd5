"""Which prompts' traffic a policy decides on: one answer for the studio, the threshold
command and drift.

A policy names its prompts (`Policy.prompt_names`) or, when it names none, runs on the
prompts whose samples record its action as their production decision (the demo's
auto-send: the support assistant, whose samples say `auto_send` or `human_review`).
When no sample records the action either, the scope is empty: every sample.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select

from redline.store.models import Sample

__all__ = ["prompts_in_scope"]


def prompts_in_scope(
    engine: Engine, action: str, prompt_names: Sequence[str] = ()
) -> tuple[str, ...]:
    """The prompt names in scope, sorted; empty means every prompt."""
    named = sorted({name.strip() for name in prompt_names if name.strip()})
    if named:
        return tuple(named)
    query = (
        select(Sample.prompt_name)
        .where(Sample.decision == action, Sample.prompt_name.is_not(None))
        .distinct()
    )
    with engine.connect() as conn:
        return tuple(sorted(name for name in conn.scalars(query) if name))
