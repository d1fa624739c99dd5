"""demo rows carry a marker

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 02:00:00

`redline demo` fills a store with a batch, a catalog (three prompts and their
versions), an A/B experiment and a policy. Sync must never push them unless asked
(`--include-demo`), and used to recognise them by the demo's names, owners and texts.
From here on they carry `is_demo` (batch, prompt, policy, experiment; false for
everything else), set by the demo when it makes them. Prompt versions and threshold
proposals are demo data through their prompt or policy.

The upgrade marks the demo rows an existing store already holds, by the fingerprint
sync used until now, spelled out here as a migration must not change with the demo:
batches of the demo's source; prompts, the policy and the experiment that the server
never had (`seq` is NULL) under the demo's names (also with the ".demo" suffix a name
clash gives them, or the " (demo)" earlier versions gave) and with the demo's owners
(and purposes). On the shared database only pushed demo batches can match.

The markers are model columns, so push and pull carry them like the others; `redline
shared init` re-applies the server's GRANTs, whose INSERT column lists then include
them (redline.sync.server reads the columns of the migrated schema). Plain ADD COLUMNs:
no copy of a table on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("batch", "prompt", "policy", "experiment")

DEMO_SOURCE = "demo-production"
# (name, owner, purpose) of the demo's prompts.
DEMO_PROMPTS = (
    (
        "support-assistant",
        "ana",
        "Answers customer support questions in chat and drafts email replies.",
    ),
    (
        "summarizer",
        "ben",
        "Summarizes tickets, meeting notes, reviews and incidents for support leads.",
    ),
    ("sql-helper", "ben", "Turns analysts' questions into read-only SQLite queries."),
)
DEMO_POLICY = ("auto-send", "carol (lead)")
DEMO_EXPERIMENT = ("support-assistant v3: empathetic opening (A/B)", "ana")


def _names(name: str) -> list[str]:
    return [name, name + ".demo", name + " (demo)"]


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, sa.column("is_demo", sa.Boolean()), *(sa.column(c) for c in columns))


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    batch = _table("batch", "source")
    op.execute(batch.update().where(batch.c.source == DEMO_SOURCE).values(is_demo=sa.true()))
    prompt = _table("prompt", "seq", "name", "owner", "purpose")
    op.execute(
        prompt.update()
        .where(
            prompt.c.seq.is_(None),
            sa.or_(
                *(
                    sa.and_(
                        prompt.c.name.in_(_names(name)),
                        prompt.c.owner == owner,
                        prompt.c.purpose == purpose,
                    )
                    for name, owner, purpose in DEMO_PROMPTS
                )
            ),
        )
        .values(is_demo=sa.true())
    )
    for table, (name, owner) in (("policy", DEMO_POLICY), ("experiment", DEMO_EXPERIMENT)):
        rows = _table(table, "seq", "name", "created_by")
        op.execute(
            rows.update()
            .where(rows.c.seq.is_(None), rows.c.name.in_(_names(name)), rows.c.created_by == owner)
            .values(is_demo=sa.true())
        )


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (no batch copy of the table).
    for table in reversed(TABLES):
        op.drop_column(table, "is_demo")
