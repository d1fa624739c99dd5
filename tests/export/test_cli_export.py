"""`redline export` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.export.helpers import add_batch, add_review, add_sample, corrected_samples

from redline.cli import main
from redline.commands.common import EXIT_ERROR, EXIT_OK
from redline.settings import Settings, save_settings


def test_export_writes_files_and_reports_counts(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrected_samples(engine, 12)
    batch = add_batch(engine)
    add_review(engine, add_sample(engine, batch, n=99, input_text="mail me: a@b.example"))
    out = tmp_path / "ft.jsonl"
    code = main(["--store", str(store_path), "export", "--format", "dpo", "--validation", "0.25",
                 str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == EXIT_OK
    assert "dpo: wrote 13 records" in printed
    assert "masked                 email 1" in printed
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["written"] == 13
    assert (tmp_path / "ft.train.jsonl").exists() and (tmp_path / "ft.validation.jsonl").exists()

    # A second run refuses to replace the files, --force replaces them.
    assert main(["--store", str(store_path), "export", "--format", "dpo", "--validation", "0.25",
                 str(out)]) == EXIT_ERROR  # fmt: skip
    assert "exists already" in capsys.readouterr().err
    assert main(["--store", str(store_path), "export", "--format", "dpo", "--validation", "0.25",
                 "--force", str(out)]) == EXIT_OK  # fmt: skip


def test_filters_dry_run_and_preview(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = add_batch(engine)
    for n in range(3):
        sample = add_sample(engine, batch, n=n, language="de" if n else "en",
                            input_text=f"Ruf mich an: +49 30 123456{n}")  # fmt: skip
        add_review(engine, sample)
    args = ["--store", str(store_path), "export", "--format", "csv"]
    assert main([*args, "--language", "de", "--dry-run", str(tmp_path / "x.csv")]) == EXIT_OK
    assert "csv: would write 2 records" in capsys.readouterr().out
    assert not list(tmp_path.glob("x*"))

    assert main([*args, "--preview", "5", str(tmp_path / "x.csv")]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "redaction preview over 3 samples: phone 3" in printed
    assert "+ Ruf mich an: [PHONE]" in printed


def test_a_malformed_custom_pattern_in_settings_is_named(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrected_samples(engine, 2)
    save_settings(Settings(redaction_patterns={"ticket": "TCK-(\\d{6}"}))
    code = main(["--store", str(store_path), "export", str(tmp_path / "ft.jsonl")])
    assert code == EXIT_ERROR
    err = capsys.readouterr().err
    assert "custom redaction pattern 'ticket' is not a valid regular expression" in err
    assert "settings: redaction_patterns" in err
    assert not list(tmp_path.glob("ft*"))


def test_bad_arguments_are_usage_errors(store_path: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "ft.jsonl")
    assert main(["--store", str(store_path), "export", "--validation", "1.5", out]) == EXIT_ERROR
    assert main(["--store", str(store_path), "export", "--since", "March", out]) == EXIT_ERROR


def test_the_manifest_names_the_configured_shared_database(
    engine: Engine, store_path: Path, tmp_path: Path
) -> None:
    corrected_samples(engine, 2)
    profile = {"host": "db.example", "port": 5432, "database": "redline", "user": "ana"}
    save_settings(Settings(reviewer="ana", profiles={"team": profile}))
    out = tmp_path / "ft.jsonl"
    assert main(["--store", str(store_path), "export", str(out)]) == EXIT_OK
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["shared_profile"] == "team (ana@db.example:5432/redline)"
    assert manifest["source"]["store"] == str(store_path.resolve())

    save_settings(Settings(reviewer="ana"))
    assert main(["--store", str(store_path), "export", "--force", str(out)]) == EXIT_OK
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["shared_profile"] is None
