"""The drift service and `redline drift` on the demo store with one planted shift."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from tests.analytics.drift_demo import PlantedDemo, planted_drift_demo
from tests.clock import SetClock

from redline.cli import main
from redline.drift.service import (
    ReferenceSpec,
    compute_drift,
    parse_since,
    policy_drift,
    policy_drifts,
)
from redline.errors import RedlineError
from redline.progress import Cancelled, CancelToken
from redline.store.models import Sample


@pytest.fixture
def planted(engine: Engine, tmp_path: Path, clock: SetClock) -> PlantedDemo:
    return planted_drift_demo(engine, tmp_path / "demo", clock)


def _last_week(engine: Engine, planted: PlantedDemo, **kwargs: object):  # type: ignore[no-untyped-def]
    return compute_drift(
        engine,
        since=planted.since,
        until=planted.anchor,
        by="week",
        reference=ReferenceSpec.between(planted.reference_start, planted.since),
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_planted_shift_is_the_one_flag(engine: Engine, planted: PlantedDemo) -> None:
    assert planted.shifted > 50
    report = _last_week(engine, planted)
    flagged = report.flagged()
    assert [(f.quantity, f.slice) for f in flagged] == [("score", "prompt summarizer v2")]
    assert flagged[0].level == "alert"
    assert len(flagged[0].sample_ids) == planted.shifted
    measured = {f.quantity for f in report.findings}
    assert {
        "score",
        "mix:language",
        "mix:model",
        "mix:prompt",
        "mix:segment.plan",
        "input_chars",
        "output_chars",
        "latency_ms",
        "tokens_in",
        "tokens_out",
        "signal:signal_copied",
        "signal:signal_edited",
        "signal:signal_follow_up",
        "signal:thumbs_down",
        "satisfaction",
    } <= measured


def test_days_and_batches_cut_other_windows(engine: Engine, planted: PlantedDemo) -> None:
    by_day = compute_drift(
        engine,
        since=planted.since,
        until=planted.anchor,
        by="day",
        reference=ReferenceSpec.between(planted.reference_start, planted.since),
    )
    assert len(by_day.windows) == 7
    assert by_day.windows[0].label.endswith(str(planted.since.date()))
    by_batch = compute_drift(
        engine,
        since=planted.anchor - timedelta(days=1),
        by="batch",
        reference=ReferenceSpec.between(planted.reference_start, planted.since),
    )
    assert len(by_batch.windows) == 1  # the demo is one import


def test_reading_can_be_cancelled(engine: Engine, planted: PlantedDemo) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        _last_week(engine, planted, progress=token)


def test_policy_drift_for_the_studio_and_the_weekly_report(
    engine: Engine, planted: PlantedDemo
) -> None:
    # The planted shift is in the summarizer, which auto-send does not decide on.
    reference = ReferenceSpec.between(planted.reference_start, planted.since)
    assert (
        policy_drift(
            engine, "auto-send", since=planted.since, until=planted.anchor, reference=reference
        )
        is None
    )
    # Now the support assistant's scorer drifts too: the policy warns.
    with engine.begin() as conn:
        conn.execute(
            update(Sample)
            .where(Sample.prompt_name == "support-assistant", Sample.captured_at >= planted.since)
            .values(score=Sample.score * 0.8)
        )
    finding = policy_drift(
        engine, "auto-send", since=planted.since, until=planted.anchor, reference=reference
    )
    assert finding is not None
    assert (finding.quantity, finding.level) == ("policy-score", "alert")
    assert finding.slice.startswith("policy auto-send")
    assert "review the threshold" in finding.message
    found = policy_drifts(engine, since=planted.since, until=planted.anchor, reference=reference)
    assert [f.slice for f in found] == [finding.slice]
    with pytest.raises(RedlineError, match="no policy"):
        policy_drift(engine, "nope")


def test_parse_since() -> None:
    now = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    assert parse_since("2w", now=now) == datetime(2026, 11, 6, tzinfo=UTC)
    assert parse_since("3d", now=now) == datetime(2026, 11, 17, tzinfo=UTC)
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(RedlineError, match="not a date"):
        parse_since("last tuesday")


def test_cli_table_and_json(
    engine: Engine, planted: PlantedDemo, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    since = planted.since.date().isoformat()
    until = planted.anchor.date().isoformat()
    last_reference_day = (planted.since - timedelta(days=1)).date().isoformat()
    reference = f"{planted.reference_start.date()}..{last_reference_day}"
    args = ["drift", "--store", str(store_path), "--since", since, "--until", until]
    assert main([*args, "--reference", reference]) == 0
    out = capsys.readouterr().out
    assert "prompt summarizer v2" in out
    assert "--sample band:0.00-" in out
    assert main([*args, "--reference", reference, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(f["quantity"], f["slice"]) for f in data["flagged"]] == [
        ("score", "prompt summarizer v2")
    ]
    assert data["suggestions"][0]["rule"].startswith("band:0.00-")
    assert main([*args, "--reference", "2026-13-01..2026-13-05"]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main([*args, "--level", "psi_alert=nope"]) == 2
