"""a local copy of the shared audit trail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00

Sync pulls the shared database's audit events (written there by triggers) so the prompt
catalog's audit view shows them offline. They go to their own table, not to
`audit_event`: the server numbers its own chain, so its positions would collide with
the local chain's, and its hashes are the server's, over the JSON text it wrote (kept in
before_text / after_text so the copy can be verified). The table exists on a shared
database too (one schema for both), where it stays empty and no login may touch it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from redline.store.base import UtcDateTime

# Spelled out (not the models' alias), as a migration must not change with the models.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("before_text", sa.Text(), nullable=True),
        sa.Column("after_text", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_audit_event")),
        sa.UniqueConstraint("position", name=op.f("uq_shared_audit_event_position")),
    )
    op.create_index(
        op.f("ix_shared_audit_event_entity_id"), "shared_audit_event", ["entity_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_audit_event_entity_id"), table_name="shared_audit_event")
    op.drop_table("shared_audit_event")
