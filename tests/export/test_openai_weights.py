"""OpenAI chat export: production's earlier assistant turns are not trained on unless approved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.export.helpers import LONG_CORRECTION, add_batch, add_review, add_sample

from redline.cli import main
from redline.commands.common import EXIT_OK
from redline.export.chat_format import validate_chat_record
from redline.export.service import run_export
from redline.export.types import ExportOptions

TURNS = [
    {"role": "user", "content": "My invoice is wrong."},
    {"role": "assistant", "content": "Which invoice do you mean?"},
    {"role": "user", "content": "March. It charges me twice."},
    {"role": "assistant", "content": "Let me check the March invoice."},
    {"role": "user", "content": "Any news?"},
]


def read_jsonl(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def chats(engine: Engine) -> None:
    """A multi-turn chat judged bad, one judged good (both corrected), one single turn."""
    batch = add_batch(engine)
    bad = add_sample(engine, batch, n=1, input_messages=TURNS, input_text="(chat 1)")
    add_review(engine, bad, verdict="bad", correction=LONG_CORRECTION + " (bad)")
    good_turns = [{**t, "content": f"{t['content']} (2)"} for t in TURNS]
    good = add_sample(engine, batch, n=2, input_messages=good_turns, input_text="(chat 2)")
    add_review(engine, good, verdict="good", correction=LONG_CORRECTION + " (polished)")
    single = add_sample(engine, batch, n=3)
    add_review(engine, single, correction=LONG_CORRECTION + " (single)")


def test_earlier_turns_get_weight_0_unless_the_verdict_approved_the_conversation(
    engine: Engine, chats: None, tmp_path: Path
) -> None:
    import datasets

    result = run_export(engine, ExportOptions(), tmp_path / "ft.jsonl")
    assert result.written == 3
    records = {r["messages"][-1]["content"]: r for r in read_jsonl(tmp_path / "ft.jsonl")}
    bad = records[LONG_CORRECTION + " (bad)"]["messages"]
    assert [m.get("weight") for m in bad if m["role"] == "assistant"] == [0, 0, None]
    assert "weight" not in bad[-1]  # the correction: trained on (OpenAI's default, 1)
    assert all("weight" not in m for m in bad if m["role"] != "assistant")
    good = records[LONG_CORRECTION + " (polished)"]["messages"]
    assert all("weight" not in m for m in good)
    single = records[LONG_CORRECTION + " (single)"]["messages"]
    assert all("weight" not in m for m in single)
    # OpenAI's format checks (reproduced in chat_format) accept every record.
    assert all(validate_chat_record(r) == [] for r in records.values())

    assert (result.weight_zero_turns, result.weight_zero_records) == (2, 1)
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    weights = manifest["training_weights"]
    assert (weights["weight_0_turns"], weights["records_with_weight_0_turns"]) == (2, 1)
    assert "unless the resolved verdict is good" in weights["earlier_assistant_turns"]

    # `datasets` reads the messages (with and without a weight) as they were written.
    loaded = datasets.load_dataset(
        "json", data_files=str(tmp_path / "ft.jsonl"), cache_dir=str(tmp_path / "hf")
    )["train"]
    weights_seen = [m.get("weight") for row in loaded["messages"] for m in row]
    assert weights_seen.count(0) == 2 and 1 not in weights_seen


def test_other_formats_carry_no_weight(engine: Engine, chats: None, tmp_path: Path) -> None:
    result = run_export(engine, ExportOptions(format="dpo"), tmp_path / "pairs.jsonl")
    assert result.weight_zero_turns == 0
    assert "weight" not in (tmp_path / "pairs.jsonl").read_text(encoding="utf-8")
    manifest = json.loads((tmp_path / "pairs.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert "training_weights" not in manifest


def test_cli_reports_the_turns_not_trained_on(
    engine: Engine,
    chats: None,
    store_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--store", str(store_path), "export", str(tmp_path / "ft.jsonl")]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "not trained on         2 earlier assistant turns in 1 records" in printed
