"""Migration 0007: a 0006 store that tried the demo upgrades with its demo rows marked
`is_demo` (by the fingerprint sync used before) and nothing else marked, on SQLite and
PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, select

from redline.store.base import uuid7
from redline.store.migrate import alembic_config, current_revision, head_revision
from redline.store.models import Batch, Experiment, Policy, Prompt, PromptVersion
from redline.store.session import session_scope
from redline.sync.demo_rows import demo_condition
from redline.sync.local import model_table

MARKED = ("batch", "prompt", "policy", "experiment")
SUPPORT = "Answers customer support questions in chat and drafts email replies."
SUMMARIES = "Summarizes tickets, meeting notes, reviews and incidents for support leads."
SQL = "Turns analysts' questions into read-only SQLite queries."
EXPERIMENT = "support-assistant v3: empathetic opening (A/B)"


def _migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, target)


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def _batch(source: str) -> Batch:
    return Batch(
        id=uuid7(), source=source, file_name="f.jsonl", file_sha256="0" * 64,
        format="jsonl", shape="flat",
    )  # fmt: skip


def test_a_0006_store_upgrades_with_its_demo_rows_marked(db_engine: Engine) -> None:
    with session_scope(db_engine) as session:
        session.add_all([_batch("demo-production"), _batch("support-bot")])
        prompts = [
            Prompt(id=uuid7(), name="support-assistant", owner="ana", purpose=SUPPORT),
            # Renamed by a name clash, now and by earlier versions.
            Prompt(id=uuid7(), name="summarizer.demo", owner="ben", purpose=SUMMARIES),
            Prompt(id=uuid7(), name="sql-helper (demo)", owner="ben", purpose=SQL, seq=5),
            # The user's own prompt of a demo name: another purpose.
            Prompt(id=uuid7(), name="sql-helper", owner="ben", purpose="my own"),
        ]
        session.add_all(prompts)
        session.flush()
        session.add(PromptVersion(id=uuid7(), prompt_id=prompts[0].id, version="v1"))
        session.add_all(
            [
                Policy(id=uuid7(), name="auto-send", threshold=0.8, created_by="carol (lead)"),
                Policy(id=uuid7(), name="auto-send (demo)", threshold=0.8, created_by="dan"),
                Experiment(id=uuid7(), name=EXPERIMENT, created_by="ana"),
                Experiment(id=uuid7(), name="my own test", created_by="ana"),
            ]
        )
    _migrate(db_engine, "0006", down=True)
    assert current_revision(db_engine) == "0006"
    assert all("is_demo" not in _columns(db_engine, table) for table in MARKED)

    _migrate(db_engine, "head")
    assert current_revision(db_engine) == head_revision()
    with session_scope(db_engine) as session:
        marked = {
            model.__tablename__: {
                str(name) for name, demo in session.execute(select(label, model.is_demo)) if demo
            }
            for model, label in (
                (Batch, Batch.source),
                (Prompt, Prompt.name),
                (Policy, Policy.name),
                (Experiment, Experiment.name),
            )
        }
        new = _batch("later")
        session.add(new)
        session.flush()
        assert new.is_demo is False
    assert marked == {
        "batch": {"demo-production"},
        "prompt": {"support-assistant", "summarizer.demo"},
        "policy": {"auto-send"},
        "experiment": {EXPERIMENT},
    }
    # Sync's rule reads the markers: the demo prompt's version is demo data through it.
    version = model_table(PromptVersion)
    with db_engine.connect() as conn:
        demo_versions = conn.execute(select(version.c.version).where(demo_condition(version)))
        assert list(demo_versions.scalars()) == ["v1"]
