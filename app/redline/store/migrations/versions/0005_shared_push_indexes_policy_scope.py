"""lighter shared sample table; a policy's own target verdict and prompt scope

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:00:00

1. The sample indexes that serve only the local review queue and the local statistics
   (ix_sample_queue, ix_sample_prompt and the single-column ix_sample_batch_id,
   ix_sample_score, ix_sample_language) are dropped on PostgreSQL: the shared database
   never queries by them (sync reads samples by id, by (source, external_id) and by
   `seq`), yet every pushed sample paid to maintain them. SQLite stores keep them. The
   models still declare them (one schema for both); the Alembic environment leaves them
   out of the comparison on PostgreSQL (see `redline.store.models.LOCAL_ONLY_INDEXES`).
2. `policy.target_verdict` ('good' or 'bad'; NULL = inferred from the action's name as
   before) and `policy.prompt_names` (JSON list; empty = inferred from the samples'
   recorded decisions as before). Plain ADD COLUMNs, so SQLite needs no batch copy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Spelled out (not the models' alias), as a migration must not change with the models.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# (name, columns) as 0001 made them.
LOCAL_ONLY_SAMPLE_INDEXES = (
    (
        "ix_sample_queue",
        [
            "captured_at",
            "language",
            "model",
            "prompt_name",
            "prompt_version",
            "variant",
            "score",
            "signal_thumbs",
            "signal_copied",
            "signal_edited",
            "signal_follow_up",
            "batch_id",
        ],
    ),
    ("ix_sample_prompt", ["prompt_name", "prompt_version"]),
    ("ix_sample_batch_id", ["batch_id"]),
    ("ix_sample_score", ["score"]),
    ("ix_sample_language", ["language"]),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        for name, _columns in LOCAL_ONLY_SAMPLE_INDEXES:
            op.drop_index(name, table_name="sample")
    op.add_column("policy", sa.Column("target_verdict", sa.String(length=10), nullable=True))
    op.add_column(
        "policy",
        sa.Column("prompt_names", JSON, nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (no batch copy of the table).
    op.drop_column("policy", "prompt_names")
    op.drop_column("policy", "target_verdict")
    if _postgresql():
        for name, columns in LOCAL_ONLY_SAMPLE_INDEXES:
            op.create_index(name, "sample", columns, unique=False)
