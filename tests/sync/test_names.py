"""Name clashes: a store that tried the demo (or named a prompt offline) joins a team
database that already uses those names. The shared rows keep the names, the local rows
are renamed, nothing is lost, and the demo never reaches the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text, update
from tests.sync.conftest import Machine, MakeMachine, SharedDb

from redline.cli import main
from redline.demo import EXPERIMENT_NAME, POLICY_NAME, create_demo
from redline.prompts.catalog import PROMPT_NAME, DraftSpec, create_draft, create_prompt
from redline.prompts.guidelines import load_guidelines
from redline.store.base import uuid7
from redline.store.models import Experiment, Policy, Prompt, PromptVersion
from redline.store.session import session_scope
from redline.sync.demo_rows import demo_condition
from redline.sync.local import model_table
from redline.sync.names import resolve_clashes
from redline.sync.service import pending_counts


def _server_names(shared_db: SharedDb, table: str) -> set[str]:
    with shared_db.admin.connect() as conn:
        return set(conn.execute(text(f"SELECT name FROM {table}")).scalars())


def _local(
    machine: Machine, model: type[Prompt] | type[Policy] | type[Experiment]
) -> dict[str, Any]:
    with machine.store.connect() as conn:
        return {r.name: r for r in conn.execute(select(model.__table__)).all()}


def _team_catalog(lead: Machine) -> None:
    """What the team database already has: the demo's names, used for real work."""
    create_prompt(lead.store, "support-assistant", actor=lead.user, purpose="the real one")
    create_prompt(lead.store, "triage", actor=lead.user, purpose="routes tickets")
    with session_scope(lead.store) as session:
        session.add(Policy(id=uuid7(), name=POLICY_NAME, threshold=0.9, created_by=lead.user))
        session.add(Experiment(id=uuid7(), name=EXPERIMENT_NAME, created_by=lead.user))
    report = lead.sync()
    assert report.pushed.get("prompt") == 2 and report.pushed.get("policy") == 1


def test_a_demo_store_joins_a_team_database_with_the_same_names(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    _team_catalog(make_machine("lead", "lead"))
    # A second lead tried the demo, and also wrote a prompt "triage" of their own offline.
    new = make_machine("newlead", "lead")
    create_demo(new.store, count=60, seed=3, work_dir=new.path.parent / "demo")
    create_prompt(new.store, "triage", actor=new.user, purpose="my own triage")
    demo_prompt_id = _local(new, Prompt)["support-assistant"].id

    report = new.sync()

    prompts = _local(new, Prompt)
    # The shared rows keep their names; the demo's are renamed ".demo", ours ".local".
    assert prompts["support-assistant"].purpose == "the real one"
    assert prompts["support-assistant.demo"].id == demo_prompt_id
    assert prompts["triage"].purpose == "routes tickets"
    mine = prompts["triage.local"]
    assert mine.purpose.startswith("my own triage\n\nRenamed from “triage” when syncing")
    assert {"summarizer", "sql-helper"} <= set(prompts)  # no clash: untouched
    policies = _local(new, Policy)
    assert policies[POLICY_NAME].created_by != "carol (lead)"
    assert policies[f"{POLICY_NAME}.demo"].threshold == 0.7
    assert f"{EXPERIMENT_NAME}.demo" in _local(new, Experiment)
    assert len(report.renamed) == 4
    assert any("“triage” renamed “triage.local”" in line for line in report.renamed)
    # The demo still works locally: its versions hang on the renamed demo prompt.
    with new.store.connect() as conn:
        versions = conn.execute(
            select(PromptVersion.version).where(PromptVersion.prompt_id == demo_prompt_id)
        ).all()
    assert len(versions) >= 3

    # Our own prompt reached the server under its new name; no demo row did.
    assert _server_names(shared_db, "prompt") == {"support-assistant", "triage", "triage.local"}
    assert _server_names(shared_db, "policy") == {POLICY_NAME}
    assert _server_names(shared_db, "experiment") == {EXPERIMENT_NAME}
    assert pending_counts(new.store, new.profile, is_lead=True) == {}
    again = new.sync()
    assert again.renamed == [] and again.total_pushed == 0


def test_two_drafts_with_the_same_label_both_survive(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = make_machine("ana")
    ben = make_machine("ben", login=(ana.profile, ana.password))  # ana's second machine
    create_prompt(ana.store, "triage", actor=ana.user)
    ana.sync()
    ben.sync()
    create_draft(ana.store, "triage", DraftSpec("Route {ticket}"), actor=ana.user, version="v1")
    create_draft(ben.store, "triage", DraftSpec("Sort {ticket}"), actor=ana.user, version="v1")
    ana.sync()
    report = ben.sync()
    assert report.renamed == [
        "prompt version “v1” renamed “v1.local” (the shared database has another “v1”)"
    ]
    ana.sync()
    for machine in (ana, ben):
        with machine.store.connect() as conn:
            rows = set(conn.execute(select(PromptVersion.version, PromptVersion.template)))
        assert rows == {("v1", "Route {ticket}"), ("v1.local", "Sort {ticket}")}


def test_renamed_names_follow_the_catalog_rule(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What sync renames can still be looked up, shown and given guidelines (SQLite)."""
    create_demo(engine, count=20, seed=3, work_dir=tmp_path / "demo")
    create_prompt(engine, "triage", actor="ana", purpose="my own triage")
    prompt = model_table(Prompt)
    team = [{"id": uuid7(), "name": name} for name in ("support-assistant", "triage")]
    with engine.begin() as conn:
        renamed = resolve_clashes(conn, prompt, team)
        # A second clash on the renamed name numbers the next one.
        conn.execute(insert(prompt).values(id=uuid7(), name="triage", owner="ana", revision=1))
        renamed += resolve_clashes(conn, prompt, [team[1]])
    assert [line.split("renamed ")[1].split(" (")[0] for line in renamed] == [
        "“support-assistant.demo”",
        "“triage.local”",
        "“triage.local-2”",
    ]
    names = set(_local_names(engine))
    assert {"support-assistant.demo", "triage.local", "triage.local-2"} <= names
    assert all(PROMPT_NAME.fullmatch(name) for name in names)

    assert main(["prompts", "show", "support-assistant.demo", "--store", str(store_path)]) == 0
    assert "v3" in capsys.readouterr().out
    assert load_guidelines(engine, "triage.local", "default").editable
    # The demo rows are still demo rows, under the new suffix and the one earlier
    # versions gave; the user's own renamed prompt is not.
    with engine.begin() as conn:
        conn.execute(
            update(prompt)
            .where(prompt.c.name == "support-assistant.demo")
            .values(name="support-assistant (demo)")
        )
        demo = set(conn.execute(select(prompt.c.name).where(demo_condition(prompt))).scalars())
    assert demo == {"support-assistant (demo)", "summarizer", "sql-helper"}


def _local_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(Prompt.name)).scalars())
