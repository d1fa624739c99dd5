"""review tombstones for sync

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

Undoing a first submit used to delete the review row. A deleted row cannot be synced:
the shared database would keep the review and every other machine with it. From here on
the row stays, with `deleted` set (a tombstone) and a bumped revision, so the removal
travels like any other change. Queue, progress and statistics read a tombstone as "not
reviewed".

A plain ADD COLUMN (no batch mode): on SQLite batch mode would copy the review table and
renumber the rowids that review_fts is keyed on (see 0002).

The PostgreSQL-only objects of a shared database (change sequence, triggers, roles,
GRANTs, row-level security) are not here: they are applied, versioned and re-runnable,
by `redline shared init` (redline.sync.server), because roles are cluster-wide and need
a privilege that migrating a local store never has.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "review",
        sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_review_sample_live", "review", ["sample_id", "deleted"], unique=False)


def downgrade() -> None:
    # Tombstones would read as live reviews again: drop them first.
    op.execute(sa.text("DELETE FROM review WHERE deleted"))
    op.drop_index("ix_review_sample_live", table_name="review")
    with op.batch_alter_table("review") as batch_op:
        batch_op.drop_column("deleted")
    if op.get_bind().dialect.name == "sqlite":
        # Batch mode recreated the table: its rowids (the FTS keys) may have changed.
        op.execute(sa.text("INSERT INTO review_fts (review_fts) VALUES ('rebuild')"))
