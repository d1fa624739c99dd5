"""pairwise preference on reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 22:00:00

A pairwise review (redline.review.pairwise) is the review of a candidate sample that
also names the baseline sample it was compared with (same input) and which output the
reviewer preferred. Three nullable columns on `review` and on `review_history` (which
keeps every revision, so also earlier choices): `compared_sample_id`, `preference`
('candidate', 'baseline', 'tie', 'both_bad') and `preference_ms` (time on the pair).
They are model columns, so push and pull carry them like the others, and the server's
row-level security on `review` already lets a reviewer write only their own.

Plain ADD COLUMNs: no copy of the table on SQLite. The CHECK on `review.preference`
is a column constraint there (SQLite adds no table constraint without rebuilding the
table, which would also drop the search triggers) and a named table constraint on
PostgreSQL; both are named ck_review_preference.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Spelled out, as a migration must not change with the models.
PREFERENCE_CHECK = "preference IN ('candidate', 'baseline', 'tie', 'both_bad')"


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("compared_sample_id", sa.Uuid(), nullable=True),
        sa.Column("preference", sa.String(length=12), nullable=True),
        sa.Column("preference_ms", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column in _columns():
        if column.name == "preference" and not postgresql:
            op.execute(
                "ALTER TABLE review ADD COLUMN preference VARCHAR(12) "
                f"CONSTRAINT ck_review_preference CHECK ({PREFERENCE_CHECK})"
            )
        else:
            op.add_column("review", column)
    if postgresql:
        op.create_check_constraint("ck_review_preference", "review", PREFERENCE_CHECK)
    for column in _columns():
        op.add_column("review_history", column)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_review_preference", "review", type_="check")
    # SQLite >= 3.35 drops a column in place, its column CHECK with it.
    for table in ("review_history", "review"):
        for name in ("preference_ms", "preference", "compared_sample_id"):
            op.drop_column(table, name)
