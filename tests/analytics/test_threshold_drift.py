"""`redline threshold` warns when the policy's score distribution drifted lately (the
drift service's finding), on the demo store with a planted shift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from tests.analytics.drift_demo import planted_drift_demo
from tests.clock import SetClock

from redline.cli import main
from redline.store.models import Sample


def test_threshold_output_carries_the_drift_warning(
    engine: Engine,
    store_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    clock: SetClock,
) -> None:
    planted = planted_drift_demo(engine, tmp_path / "demo", clock)
    store = ["--store", str(store_path)]
    # The planted shift is in the summarizer, which auto-send does not decide on.
    assert main(["threshold", "auto-send", "--json", *store]) == 0
    assert json.loads(capsys.readouterr().out)["drift"] is None
    # The support assistant's scorer drifts too: the numbers come with a warning.
    with engine.begin() as conn:
        conn.execute(
            update(Sample)
            .where(Sample.prompt_name == "support-assistant", Sample.captured_at >= planted.since)
            .values(score=Sample.score * 0.8)
        )
    assert main(["threshold", "auto-send", "--json", *store]) == 0
    drift = json.loads(capsys.readouterr().out)["drift"]
    assert "review the threshold" in drift
    assert main(["threshold", "auto-send", "--at", "0.8", *store]) == 0
    out = capsys.readouterr().out
    assert f"drift     ⚠ {drift}" in out.splitlines()
    assert main(["threshold", "auto-send", "--no-drift", *store]) == 0
    assert "drift" not in capsys.readouterr().out
