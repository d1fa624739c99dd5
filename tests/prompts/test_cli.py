"""`redline prompts ...` and `redline experiment` as a user sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from tests.prompts.helpers import add_arm, add_experiment, catalog, deployed

from redline.cli import main
from redline.prompts.catalog import DraftSpec, create_draft
from redline.settings import Settings, save_settings


def as_user(name: str, role: str = "reviewer") -> None:
    save_settings(Settings(reviewer=name, role=role))


def run(store: Path, *args: str) -> int:
    return main([*args, "--store", str(store)])


def test_lifecycle_from_the_command_line(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed(engine, catalog(engine, author="ana"))
    version_file = tmp_path / "v2.json"
    assert run(store_path, "prompts", "export", "support", "v1", "-o", str(version_file)) == 0
    data = json.loads(version_file.read_text(encoding="utf-8"))
    data["template"] += " Be brief."
    data["version"] = "v2"
    version_file.write_text(json.dumps(data), encoding="utf-8")

    as_user("ana")
    assert run(store_path, "prompts", "new", "support", str(version_file)) == 0
    assert "draft support v2 created" in capsys.readouterr().out
    assert run(store_path, "prompts", "submit", "support", "v2", "--reason", "shorter") == 0
    assert capsys.readouterr().out == "support v2: draft → in_review\n"
    assert run(store_path, "prompts", "approve", "support", "v2") == 2
    assert "only leads may approve" in capsys.readouterr().err

    as_user("carol", "lead")
    assert run(store_path, "prompts", "approve", "support", "v2") == 0
    assert run(store_path, "prompts", "deploy", "support", "v2") == 0
    assert run(store_path, "prompts", "rollback", "support", "--reason", "too short") == 0
    out = capsys.readouterr().out
    assert "support: rolled back from v2 to v1 (now deployed)" in out

    assert run(store_path, "prompts", "list") == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["support", "v1", "2"]
    assert run(store_path, "prompts", "diff", "support", "v1", "v2") == 0
    assert "{+ Be brief.+}" in capsys.readouterr().out
    assert run(store_path, "prompts", "audit", "support", "--by", "carol") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[3:5] == ["carol", "rollback"]
    assert all(" carol " in line for line in lines[1:])


def test_audit_verify_detects_an_edited_event(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed(engine, catalog(engine))
    assert run(store_path, "prompts", "audit", "--verify") == 0
    assert capsys.readouterr().out == "audit trail intact: 5 events, every hash matches\n"
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET reason = 'nothing to see' WHERE position = 4"))
    assert run(store_path, "prompts", "audit", "--verify") == 2
    assert "audit trail BROKEN at event 4" in capsys.readouterr().err


def test_show_a_version_with_its_quality(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog(engine)
    add_arm(engine, prompt="support", version="v1", variant=None, good=8, bad=2, unreviewed=3)
    assert run(store_path, "prompts", "show", "support", "v1", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["quality"]["satisfaction"]["value"] == pytest.approx(0.8)
    assert (shown["quality"]["samples"], shown["quality"]["judged"]) == (13, 10)
    assert run(store_path, "prompts", "show", "support", "v9") == 2
    assert "support has no version 'v9'" in capsys.readouterr().err


def test_experiment_report_and_json(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_arm(engine, prompt="support", version="v3", variant="A", good=120, bad=100)
    add_arm(engine, prompt="support", version="v3", variant="B", good=170, bad=50)
    add_experiment(engine, name="opening", min_samples=200)
    assert run(store_path, "experiment") == 0
    assert "opening" in capsys.readouterr().out
    assert run(store_path, "experiment", "open") == 0
    out = capsys.readouterr().out
    assert "verdict: B is better than A by 22.7 points" in out
    assert "sample ratio: 220 / 220 against 50 % / 50 % planned: ok" in out
    assert run(store_path, "experiment", "opening", "--json", "--min-samples", "500") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "too_few_samples"
    assert [a["judged"] for a in data["arms"]] == [220, 220]
    assert run(store_path, "experiment", "opening", "--assign", "sess-1") == 0
    assert capsys.readouterr().out.strip() in {"A", "B"}
    assert run(store_path, "experiment", "nope") == 2
    assert "no experiment matches 'nope'" in capsys.readouterr().err


def test_create_an_experiment_from_the_command_line(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = catalog(engine)
    create_draft(engine, "support", DraftSpec("Answer {question}."), actor="ana")
    add_arm(engine, prompt="support", version="v1", variant=None, good=30, bad=10)
    add_arm(engine, prompt="support", version="v2", variant=None, good=35, bad=5)
    as_user("ana")
    create = ["experiment", "create", "shorter", "--prompt", "support"]
    assert run(store_path, *create, "--control", "v1", "--treatment", "v2", "--split", "0.7",
               "--min-samples", "20") == 0  # fmt: skip
    assert capsys.readouterr().out == (
        "experiment shorter created: support v1 (control, 70 %) vs v2, "
        "at least 20 judged samples per arm\n"
    )
    assert run(store_path, "experiment", "shorter", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["judged"] for a in data["arms"]] == [40, 40]
    assert data["sample_ratio"]["planned"] == pytest.approx([0.7, 0.3])

    refusals = [
        (["--control", "v1", "--treatment", "v9"], "support has no version 'v9'"),
        (["--control", "v1", "--treatment", "v2", "--split", "1"], "between 0 and 1"),
        (["--control", "v1", "--treatment", "v2", "--split", "0"], "between 0 and 1"),
        (["--control", "v1", "--treatment", "v2", "--min-samples", "0"], "at least 1"),
        (["--control", "v1", "--treatment", "v1"], "the same arm"),
        (["--control", "v1"], "needs --treatment"),
        (["--control", "v1", "--treatment", "v2"], "exists already"),
    ]
    for extra, message in refusals:
        assert run(store_path, *create, *extra) == 2, extra
        assert message in capsys.readouterr().err
    assert run(store_path, "experiment", "shorter", "--prompt", "support") == 2
    assert "only goes with `redline experiment create" in capsys.readouterr().err
    assert run(store_path, "prompts", "audit", "--by", "ana") == 0
    assert "create" in capsys.readouterr().out
    assert v1.version == "v1"
