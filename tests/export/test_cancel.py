"""A cancelled or failed export leaves nothing under a target name (and no temp file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.export.helpers import corrected_samples
from typing_extensions import override

from redline.errors import RedlineError
from redline.export.service import run_export
from redline.export.types import ExportFormat, ExportOptions
from redline.progress import Cancelled, CancelToken


class CancelAfter(CancelToken):
    """Cancels once the export reported `done` samples (mid-stream, files open)."""

    def __init__(self, done: int) -> None:
        super().__init__()
        self.after = done
        self.reports: list[int] = []

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        self.reports.append(done)
        if done >= self.after:
            self.cancel()


class FailAfter(CancelToken):
    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        if done >= 200:
            raise OSError(28, "No space left on device")


@pytest.fixture
def reviewed(engine: Engine) -> None:
    corrected_samples(engine, 450)


@pytest.mark.parametrize("fmt", ["openai", "parquet"])
def test_cancel_mid_export_leaves_no_file(
    engine: Engine, reviewed: None, tmp_path: Path, fmt: ExportFormat
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    progress = CancelAfter(200)
    with pytest.raises(Cancelled):
        run_export(
            engine, ExportOptions(format=fmt, validation_ratio=0.1), out / "ft", progress=progress
        )
    assert progress.reports[-1] == 200  # stopped in the middle, not at the end
    assert list(out.iterdir()) == []


def test_a_failure_mid_export_leaves_no_file(
    engine: Engine, reviewed: None, tmp_path: Path
) -> None:
    with pytest.raises(OSError, match="No space left"):
        run_export(engine, ExportOptions(), tmp_path / "ft.jsonl", progress=FailAfter())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "runtime", "store.sqlite"]


def test_an_existing_file_is_kept_unless_overwriting(
    engine: Engine, reviewed: None, tmp_path: Path
) -> None:
    target = tmp_path / "ft.jsonl"
    target.write_text("yesterday's export\n", encoding="utf-8")
    with pytest.raises(RedlineError, match="exists already") as caught:
        run_export(engine, ExportOptions(), target)
    assert caught.value.where == str(target)
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert not (tmp_path / "ft.jsonl.manifest.json").exists()

    result = run_export(engine, ExportOptions(overwrite=True), target)
    assert len(target.read_text(encoding="utf-8").splitlines()) == result.written == 450
