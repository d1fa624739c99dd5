"""review queue index and full-text search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:30:00

- `ix_sample_queue` replaces `ix_sample_captured_at`: it leads with captured_at (so
  time-range queries work as before) and carries every small column the queue filters
  on, so any queue filter in the default order is an index-only scan that never reads
  the wide sample rows (system prompt, input, output). Same number of indexes as
  before, so the import pays nothing extra.
- SQLite only: FTS5 tables over sample input/output and review corrections. Samples
  are indexed in chunks by `redline.store.search.ensure_search_index` (no trigger on
  insert: it would multiply import time); corrections by triggers on review. On
  PostgreSQL this part is a no-op.

FTS keys are the implicit SQLite rowids of sample and review. A later batch migration
that recreates either table may renumber them: it must end with
`INSERT INTO sample_fts(sample_fts) VALUES ('rebuild')` (and the same for review_fts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import redline.store.base  # noqa: F401  (kept for the style of generated revisions)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Columns of ix_sample_queue: the default sort first, then what the queue filters on.
QUEUE_INDEX_COLUMNS = [
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
]

# tokenize: unicode61 folds case and (remove_diacritics 2) accents for every script it
# knows; it does not segment Chinese/Japanese text (trigram would, at ~3x the size).
SQLITE_FTS_UP = [
    """
    CREATE VIRTUAL TABLE sample_fts USING fts5(
        input_text, output,
        content='sample', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    # The highest sample rowid already in sample_fts: everything at or below it is
    # indexed, everything above is not (rowids only grow while rows are appended).
    """
    CREATE TABLE sample_fts_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_rowid INTEGER NOT NULL
    )
    """,
    "INSERT INTO sample_fts_state (id, last_rowid) VALUES (1, 0)",
    # Samples are immutable, but a deleted (or rewritten) one must leave the index, and
    # deleting the newest rows must lower last_rowid so their reused rowids get indexed.
    """
    CREATE TRIGGER sample_fts_ad AFTER DELETE ON sample
    WHEN old.rowid <= (SELECT last_rowid FROM sample_fts_state WHERE id = 1)
    BEGIN
        INSERT INTO sample_fts (sample_fts, rowid, input_text, output)
        VALUES ('delete', old.rowid, old.input_text, old.output);
        UPDATE sample_fts_state SET last_rowid = (SELECT coalesce(max(rowid), 0) FROM sample)
        WHERE id = 1 AND last_rowid > (SELECT coalesce(max(rowid), 0) FROM sample);
    END
    """,
    """
    CREATE TRIGGER sample_fts_au AFTER UPDATE OF input_text, output ON sample
    WHEN old.rowid <= (SELECT last_rowid FROM sample_fts_state WHERE id = 1)
        AND (old.input_text IS NOT new.input_text OR old.output IS NOT new.output)
    BEGIN
        INSERT INTO sample_fts (sample_fts, rowid, input_text, output)
        VALUES ('delete', old.rowid, old.input_text, old.output);
        INSERT INTO sample_fts (rowid, input_text, output)
        VALUES (new.rowid, new.input_text, new.output);
    END
    """,
    """
    CREATE VIRTUAL TABLE review_fts USING fts5(
        correction,
        content='review', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    "INSERT INTO review_fts (rowid, correction) "
    "SELECT rowid, correction FROM review WHERE correction IS NOT NULL",
    # Reviews are few and written one at a time: keep their index exact with triggers.
    """
    CREATE TRIGGER review_fts_ai AFTER INSERT ON review
    WHEN new.correction IS NOT NULL
    BEGIN
        INSERT INTO review_fts (rowid, correction) VALUES (new.rowid, new.correction);
    END
    """,
    """
    CREATE TRIGGER review_fts_ad AFTER DELETE ON review
    WHEN old.correction IS NOT NULL
    BEGIN
        INSERT INTO review_fts (review_fts, rowid, correction)
        VALUES ('delete', old.rowid, old.correction);
    END
    """,
    """
    CREATE TRIGGER review_fts_au AFTER UPDATE OF correction ON review
    WHEN old.correction IS NOT new.correction
    BEGIN
        INSERT INTO review_fts (review_fts, rowid, correction)
        SELECT 'delete', old.rowid, old.correction WHERE old.correction IS NOT NULL;
        INSERT INTO review_fts (rowid, correction)
        SELECT new.rowid, new.correction WHERE new.correction IS NOT NULL;
    END
    """,
]

SQLITE_FTS_DOWN = [
    "DROP TRIGGER IF EXISTS review_fts_au",
    "DROP TRIGGER IF EXISTS review_fts_ad",
    "DROP TRIGGER IF EXISTS review_fts_ai",
    "DROP TABLE IF EXISTS review_fts",
    "DROP TRIGGER IF EXISTS sample_fts_au",
    "DROP TRIGGER IF EXISTS sample_fts_ad",
    "DROP TABLE IF EXISTS sample_fts_state",
    "DROP TABLE IF EXISTS sample_fts",
]


def upgrade() -> None:
    # Plain CREATE/DROP INDEX, not batch mode: on SQLite batch mode would copy the whole
    # sample table (and renumber its rowids) for an index change.
    op.drop_index("ix_sample_captured_at", table_name="sample")
    op.create_index("ix_sample_queue", "sample", QUEUE_INDEX_COLUMNS, unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_UP:
            op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_DOWN:
            op.execute(sa.text(statement))
    op.drop_index("ix_sample_queue", table_name="sample")
    op.create_index("ix_sample_captured_at", "sample", ["captured_at"], unique=False)
