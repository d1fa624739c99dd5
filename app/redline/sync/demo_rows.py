"""Which local rows are demo data (`redline demo`), so sync never pushes them.

A store used to try Redline and then connected to a team database must not pollute it.
Batches and reviews of the demo are told by their source and device (see
redline.sync.service). The demo's catalog (its three prompts and their versions, the A/B
experiment, the `auto-send` policy, and any proposal made against that policy) carries
no marker column, so it is recognised by its fingerprint: never on a server (`seq` is
NULL), and the demo's own names (also with the ".demo" a name clash gives them, see
redline.sync.names, or the " (demo)" earlier versions gave) together with the demo's
owners and texts. A user's own prompt that happens to share a demo name has another
purpose or owner, so it is not mistaken for demo data. (Once a store has synced, the
demo refuses to run in it: see redline.demo.)
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, false, or_, select

from redline.demo import EXPERIMENT_NAME, POLICY_NAME, PROMPTS
from redline.store import models
from redline.sync.local import model_table

DEMO_SUFFIX = ".demo"
# What Redline before the catalog-safe suffixes called renamed demo rows.
LEGACY_DEMO_SUFFIX = " (demo)"
# The demo's lead: a name no login can have (logins are lower-case letters, digits, _).
DEMO_LEAD = "carol (lead)"
DEMO_EXPERIMENT_OWNER = "ana"

PROMPT = model_table(models.Prompt)
VERSION = model_table(models.PromptVersion)
POLICY = model_table(models.Policy)
PROPOSAL = model_table(models.ThresholdProposal)
EXPERIMENT = model_table(models.Experiment)


def _names(name: str) -> list[str]:
    return [name, name + DEMO_SUFFIX, name + LEGACY_DEMO_SUFFIX]


def _demo_prompt() -> ColumnElement[bool]:
    return and_(
        PROMPT.c.seq.is_(None),
        or_(
            *(
                and_(
                    PROMPT.c.name.in_(_names(spec["name"])),
                    PROMPT.c.owner == spec["owner"],
                    PROMPT.c.purpose == spec["purpose"],
                )
                for spec in PROMPTS
            )
        ),
    )


def _demo_policy() -> ColumnElement[bool]:
    return and_(
        POLICY.c.seq.is_(None),
        POLICY.c.name.in_(_names(POLICY_NAME)),
        POLICY.c.created_by == DEMO_LEAD,
    )


def demo_condition(table: Table) -> ColumnElement[bool]:
    """True for the demo's rows of `table` (false() for tables the demo has none in)."""
    if table is PROMPT:
        return _demo_prompt()
    if table is VERSION:
        demo_prompts = select(PROMPT.c.id).where(_demo_prompt())
        return and_(VERSION.c.seq.is_(None), VERSION.c.prompt_id.in_(demo_prompts))
    if table is POLICY:
        return _demo_policy()
    if table is PROPOSAL:
        demo_policies = select(POLICY.c.id).where(_demo_policy())
        return and_(PROPOSAL.c.seq.is_(None), PROPOSAL.c.policy_id.in_(demo_policies))
    if table is EXPERIMENT:
        return and_(
            EXPERIMENT.c.seq.is_(None),
            EXPERIMENT.c.name.in_(_names(EXPERIMENT_NAME)),
            EXPERIMENT.c.created_by == DEMO_EXPERIMENT_OWNER,
        )
    return false()
