"""A demo store with one planted shift, for the drift service, CLI and GUI tests.

The demo's last three weeks are steady (every prompt version that serves then serves
the whole time), so the week before last is a clean reference for the last week. The
shift: the last week's summarizer v2 scores fall to 70 % of their value (a scorer
update gone wrong), nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from tests.clock import SetClock

from redline.demo import create_demo
from redline.store.models import Sample

DEMO_COUNT = 3000
PLANTED_PROMPT = ("summarizer", "v2")


@dataclass(frozen=True)
class PlantedDemo:
    anchor: datetime  # the demo's "now" (start of today, UTC)
    since: datetime  # the watched week starts here
    reference_start: datetime  # the reference is [reference_start, since)
    shifted: int  # samples whose score was lowered


def planted_drift_demo(engine: Engine, work_dir: Path, clock: SetClock) -> PlantedDemo:
    """The demo with its shift; `clock` (the test's, held still) is the demo's "now", so the
    demo, the planted week and the drift service agree on "today" even across midnight."""
    create_demo(engine, count=DEMO_COUNT, seed=7, work_dir=work_dir)
    anchor = clock.at.replace(hour=0, minute=0, second=0, microsecond=0)
    since = anchor - timedelta(days=7)
    name, version = PLANTED_PROMPT
    with engine.begin() as conn:
        result = conn.execute(
            update(Sample)
            .where(
                Sample.prompt_name == name,
                Sample.prompt_version == version,
                Sample.captured_at >= since,
            )
            .values(score=Sample.score * 0.7)
        )
    return PlantedDemo(anchor, since, since - timedelta(days=7), result.rowcount)
