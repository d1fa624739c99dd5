"""Migration 0006: a 0005 store with reviews upgrades, keeps them, and takes pairwise
choices (checked values only), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.exc import IntegrityError
from tests.export.helpers import add_batch, add_review, add_sample

from redline.review.pairwise import Preference, record_preference
from redline.store.migrate import alembic_config, current_revision, head_revision
from redline.store.models import Review

NEW_COLUMNS = {"compared_sample_id", "preference", "preference_ms"}


def _migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, target)


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_a_0005_store_with_reviews_upgrades_and_takes_choices(db_engine: Engine) -> None:
    batch = add_batch(db_engine)
    old, new = add_sample(db_engine, batch, n=1), add_sample(db_engine, batch, n=2)
    add_review(db_engine, old, verdict="bad", note="kept through the upgrade")
    _migrate(db_engine, "0005", down=True)
    assert current_revision(db_engine) == "0005"
    assert not NEW_COLUMNS & _columns(db_engine, "review")
    assert not NEW_COLUMNS & _columns(db_engine, "review_history")

    _migrate(db_engine, "head")
    assert current_revision(db_engine) == head_revision()
    assert _columns(db_engine, "review") >= NEW_COLUMNS
    assert _columns(db_engine, "review_history") >= NEW_COLUMNS
    with db_engine.connect() as conn:
        kept = conn.execute(select(Review.verdict, Review.note, Review.preference)).one()
    assert tuple(kept) == ("bad", "kept through the upgrade", None)

    record_preference(db_engine, new, old, Preference.BOTH_BAD, reviewer="ana", device="d")
    with db_engine.connect() as conn:
        chosen = conn.execute(
            select(Review.preference, Review.compared_sample_id).where(Review.sample_id == new)
        ).one()
    assert tuple(chosen) == ("both_bad", old)
    # The database itself refuses a preference that is not one of the four.
    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        conn.execute(update(Review).where(Review.sample_id == new).values(preference="A"))
