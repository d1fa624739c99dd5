"""Which local rows are demo data (`redline demo`), so sync never pushes them.

A store used to try Redline and then connected to a team database must not pollute it.
The demo marks what it makes (`is_demo` on batches, prompts, policies and experiments,
migration 0007); prompt versions and threshold proposals are demo data through their
prompt or policy, and reviews through their sample's batch (see redline.sync.service).
A catalog row counts as demo data only while the server never had it (`seq` is NULL).
The marker stays when sync renames a demo row ("<name>.demo", see redline.sync.names).
(Once a store has synced, the demo refuses to run in it: see redline.demo.)
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, false, select

from redline.store import models
from redline.sync.local import model_table

BATCH = model_table(models.Batch)
PROMPT = model_table(models.Prompt)
VERSION = model_table(models.PromptVersion)
POLICY = model_table(models.Policy)
PROPOSAL = model_table(models.ThresholdProposal)
EXPERIMENT = model_table(models.Experiment)


def demo_batch() -> ColumnElement[bool]:
    """True for the demo's batches (their samples, and reviews of those, stay local)."""
    return BATCH.c.is_demo.is_(True)


def _marked(table: Table) -> ColumnElement[bool]:
    return and_(table.c.seq.is_(None), table.c.is_demo.is_(True))


def demo_condition(table: Table) -> ColumnElement[bool]:
    """True for the demo's rows of `table` (false() for tables the demo has none in)."""
    if table is BATCH:
        return demo_batch()
    if table in (PROMPT, POLICY, EXPERIMENT):
        return _marked(table)
    if table is VERSION:
        demo_prompts = select(PROMPT.c.id).where(_marked(PROMPT))
        return and_(VERSION.c.seq.is_(None), VERSION.c.prompt_id.in_(demo_prompts))
    if table is PROPOSAL:
        demo_policies = select(POLICY.c.id).where(_marked(POLICY))
        return and_(PROPOSAL.c.seq.is_(None), PROPOSAL.c.policy_id.in_(demo_policies))
    return false()
