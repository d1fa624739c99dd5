"""Empty results: no empty split file, and a 0-record export is an error with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.export.helpers import add_batch, add_review, add_sample, corrected_samples

from redline.cli import main
from redline.commands.common import EXIT_ERROR, EXIT_OK
from redline.errors import RedlineError
from redline.export.service import run_export
from redline.export.types import ExportFilters, ExportFormat, ExportOptions


def test_an_empty_validation_split_is_not_written_and_datasets_loads_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    import datasets

    corrected_samples(engine, 3)
    # A share so small that none of the three inputs' hashes falls in it.
    result = run_export(engine, ExportOptions(validation_ratio=0.0001), tmp_path / "ft.jsonl")
    assert (result.train, result.validation) == (3, 0)
    assert result.empty_splits == ("validation",)
    assert [f.split for f in result.files] == ["train"]
    assert not (tmp_path / "ft.validation.jsonl").exists()
    assert not list(tmp_path.glob(".*.part"))  # the staged file is gone too
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["empty_splits_not_written"] == ["validation"]
    assert [f["name"] for f in manifest["files"]] == ["ft.train.jsonl"]

    loaded = datasets.load_dataset(
        "json",
        data_files={"train": str(tmp_path / "ft.train.jsonl")},
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert loaded["train"].num_rows == 3


def test_an_export_of_no_record_is_an_error_that_says_why(engine: Engine, tmp_path: Path) -> None:
    batch = add_batch(engine)
    add_review(engine, add_sample(engine, batch, n=1), correction=None)
    add_review(engine, add_sample(engine, batch, n=2), correction="too short")
    with pytest.raises(RedlineError) as caught:
        run_export(engine, ExportOptions(), tmp_path / "ft.jsonl")
    assert caught.value.what == (
        "nothing to export: none of the 2 reviewed samples read can be written "
        "(no correction 1, correction shorter than 20 characters 1)"
    )
    assert "--allow-empty" in (caught.value.hint or "")
    assert not list(tmp_path.glob("ft*")) and not list(tmp_path.glob(".ft*"))

    unmatched = ExportOptions(filters=ExportFilters(models=("no-such-model",)))
    with pytest.raises(RedlineError, match="no reviewed sample matches the filters"):
        run_export(engine, unmatched, tmp_path / "ft.jsonl")


@pytest.mark.parametrize("fmt", ["openai", "csv", "parquet"])
def test_allow_empty_writes_an_empty_file_the_consumer_reads(
    engine: Engine, tmp_path: Path, fmt: ExportFormat
) -> None:
    import pandas as pd

    out = tmp_path / f"empty.{'jsonl' if fmt == 'openai' else fmt}"
    result = run_export(engine, ExportOptions(format=fmt, allow_empty=True), out)
    assert result.written == 0 and [f.rows for f in result.files] == [0]
    if fmt == "csv":
        frame = pd.read_csv(out)
        assert len(frame) == 0 and frame.columns[0] == "sample_id"
    elif fmt == "parquet":
        frame = pd.read_parquet(out)
        assert len(frame) == 0 and "correction" in frame.columns
    else:
        assert out.read_bytes() == b""
    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["allow_empty"] is True


def test_cli_exits_non_zero_on_an_empty_export_unless_allowed(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_review(engine, add_sample(engine, add_batch(engine), n=1), correction=None)
    out = tmp_path / "ft.jsonl"
    assert main(["--store", str(store_path), "export", str(out)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "nothing to export: none of the 1 reviewed samples read can be written" in err
    assert "no correction 1" in err
    assert not out.exists()

    assert main(["--store", str(store_path), "export", "--allow-empty", str(out)]) == EXIT_OK
    assert "openai: wrote 0 records" in capsys.readouterr().out
    assert out.read_bytes() == b""


def test_cli_says_which_split_was_left_out(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrected_samples(engine, 3)
    out = tmp_path / "ft.jsonl"
    args = ["--store", str(store_path), "export", "--validation", "0.0001", str(out)]
    assert main(args) == EXIT_OK
    printed = capsys.readouterr().out
    assert "the validation split has no record: its file was not written" in printed
