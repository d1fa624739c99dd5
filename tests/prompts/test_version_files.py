"""Prompt versions as YAML or JSON files (by extension), from the command line and as
the prompts page uses them: exact round trips, and a bad file named with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from tests.prompts.helpers import catalog

from redline.cli import main
from redline.errors import RedlineError
from redline.prompts.catalog import DraftSpec, create_draft, find_version
from redline.prompts.files import read_version_file, write_version_file
from redline.settings import Settings, save_settings

TRICKY = DraftSpec(
    template="Answer {question} for {customer}.\n  Indented line\nTrailing space \n\tTab\n"
    "Ünïcode 日本語: \"quotes\" and 'apostrophes' # not a comment\n\n",
    variables=["question", "customer"],
    parameters={"temperature": 0.2, "stop": ["\n\n"], "nested": {"yes": True, "off": None}},
    tools=[{"name": "lookup", "args": ["order_id"]}, "on"],
    change_note="multi-line: yes\nsecond line",
)


def run(store: Path, *args: str) -> int:
    return main([*args, "--store", str(store)])


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_a_version_round_trips_through_its_file(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    catalog(engine)
    draft = create_draft(engine, "support", TRICKY, actor="ana", version="v9")
    path = tmp_path / f"support-v9{suffix}"
    write_version_file(draft, path)
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":
        assert json.loads(text)["template"] == TRICKY.template
    else:
        assert yaml.safe_load(text)["template"] == TRICKY.template
        assert "Answer {question} for {customer}." in text  # readable, not one JSON string
    spec, label = read_version_file(path)
    assert label == "v9"
    assert spec == TRICKY


def test_a_yaml_file_written_by_hand_becomes_a_draft(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog(engine)
    save_settings(Settings(reviewer="ana"))
    path = tmp_path / "v2.yaml"
    path.write_text(
        "version: v2\n"
        "change_note: shorter\n"
        "variables: [question]\n"
        "parameters:\n  temperature: 0.1\n"
        "template: |\n  Answer briefly: {question}\n  Thank the customer.\n",
        encoding="utf-8",
    )
    assert run(store_path, "prompts", "new", "support", str(path)) == 0
    assert "draft support v2 created" in capsys.readouterr().out
    v2 = find_version(engine, "support", "v2")
    assert v2.template == "Answer briefly: {question}\nThank the customer.\n"
    assert v2.parameters == {"temperature": 0.1}

    out = tmp_path / "exported.yml"
    assert run(store_path, "prompts", "export", "support", "v2", "-o", str(out)) == 0
    assert capsys.readouterr().out == f"support v2 written to {out} (YAML)\n"
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["template"] == v2.template
    assert run(store_path, "prompts", "export", "support", "v2", "--format", "yaml") == 0
    assert yaml.safe_load(capsys.readouterr().out)["version"] == "v2"
    assert run(store_path, "prompts", "export", "support", "v2") == 0
    assert json.loads(capsys.readouterr().out)["version"] == "v2"


def test_bad_yaml_is_refused_with_its_file_and_line(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: v3\ntemplate: |\n  fine\nparameters: {temperature: 0.2\n")
    with pytest.raises(RedlineError) as caught:
        read_version_file(path)
    assert "not valid YAML" in str(caught.value)
    assert f"{path}, line 5" in str(caught.value.where)
    save_settings(Settings(reviewer="ana"))
    assert run(store_path, "prompts", "new", "support", str(path)) != 0
    err = capsys.readouterr().err
    assert "not valid YAML" in err and "line 5" in err

    listed = tmp_path / "list.yaml"
    listed.write_text("- just\n- a list\n")
    with pytest.raises(RedlineError, match="one YAML object"):
        read_version_file(listed)
    # YAML tags that would build objects are refused by the safe loader.
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text("template: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(RedlineError, match="not valid YAML"):
        read_version_file(unsafe)


def test_json_files_keep_working_and_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"template": "x",\n "tools": [}\n')
    with pytest.raises(RedlineError) as caught:
        read_version_file(path)
    assert "line 2" in str(caught.value.where)
