"""The demo store: deterministic, idempotent, imported through the real import path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typing_extensions import override

from redline.demo import DEMO_SOURCE, create_demo, demo_file_path
from redline.errors import RedlineError
from redline.progress import Cancelled, CancelToken
from redline.store.local import open_local_store
from redline.store.models import (
    Batch,
    Experiment,
    Policy,
    Prompt,
    PromptVersion,
    Review,
    Sample,
    SyncState,
)
from redline.store.queries import store_stats
from redline.store.session import session_scope


def _records(path: Path) -> list[object]:
    """The file's records without their timestamps (which move with the day)."""
    out: list[object] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            out.append(line)
            continue
        record.pop("timestamp")
        out.append(record)
    return out


def test_same_seed_gives_the_same_store(engine: Engine, tmp_path: Path) -> None:
    summary = create_demo(engine, count=300, seed=3, work_dir=tmp_path / "a")
    other = open_local_store(tmp_path / "other.sqlite")
    try:
        create_demo(other, count=300, seed=3, work_dir=tmp_path / "b")
        assert store_stats(other) == store_stats(engine)
        assert _records(tmp_path / "a" / summary.file.name) == _records(
            tmp_path / "b" / summary.file.name
        )
    finally:
        other.dispose()

    stats = store_stats(engine)
    assert stats.samples == summary.samples == summary.imported == 300
    assert summary.bad_rows == 2  # a truncated line and an HTML error page, like real logs
    assert 0.15 * 300 < stats.reviewed < 0.35 * 300
    assert {row.key[0] for row in stats.by_prompt} == {
        "support-assistant",
        "summarizer",
        "sql-helper",
    }


def test_another_seed_gives_other_records(engine: Engine, tmp_path: Path) -> None:
    create_demo(engine, count=200, seed=1, work_dir=tmp_path)
    first = store_stats(engine)
    create_demo(engine, count=200, seed=2, work_dir=tmp_path)

    assert store_stats(engine).samples == 400
    assert first.samples == 200


def test_running_the_demo_twice_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    first = create_demo(engine, count=300, seed=7, work_dir=tmp_path)
    before = store_stats(engine)
    again = create_demo(engine, count=300, seed=7, work_dir=tmp_path)

    assert not first.already_present
    assert again.already_present
    assert (again.imported, again.reviews_added, again.catalog_added) == (0, 0, 0)
    assert again.samples == first.samples and again.reviews == first.reviews
    assert store_stats(engine) == before
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 1
        assert session.scalar(select(func.count()).select_from(PromptVersion)) == 7


def test_demo_without_its_file_is_not_imported_again(engine: Engine, tmp_path: Path) -> None:
    """Another day or another work dir: the regenerated file differs, nothing doubles."""
    summary = create_demo(engine, count=150, seed=7, work_dir=tmp_path / "first")
    summary.file.unlink()
    again = create_demo(engine, count=150, seed=7, work_dir=tmp_path / "second")

    assert again.already_present
    assert not demo_file_path(tmp_path / "second", count=150, seed=7).exists()
    assert store_stats(engine).batches == 1


def test_catalog_experiment_and_policy(engine: Engine, tmp_path: Path) -> None:
    create_demo(engine, count=200, work_dir=tmp_path)

    with session_scope(engine) as session:
        versions = {
            (name, version): status
            for name, version, status in session.execute(
                select(Prompt.name, PromptVersion.version, PromptVersion.status).join(
                    Prompt, Prompt.id == PromptVersion.prompt_id
                )
            )
        }
        used = {
            (name, version)
            for name, version in session.execute(
                select(Sample.prompt_name, Sample.prompt_version).distinct()
            )
        }
        experiment = session.scalars(select(Experiment)).one()
        policy = session.scalars(select(Policy)).one()
        v3 = session.scalars(
            select(PromptVersion).where(PromptVersion.id == experiment.control_version_id)
        ).one()
        templates = session.scalars(select(PromptVersion.template)).all()

    assert used <= set(versions), "every sampled prompt version is in the catalog"
    assert {"approved", "deployed", "draft"} <= set(versions.values())
    assert versions[("support-assistant", "v3")] == "deployed"
    assert (experiment.prompt_name, experiment.control_variant, experiment.treatment_variant) == (
        "support-assistant",
        "A",
        "B",
    )
    assert v3.version == "v3"
    assert (policy.name, policy.threshold, policy.direction, policy.segment_field) == (
        "auto-send",
        0.7,
        "ge",
        "language",
    )
    assert all("{" in template for template in templates)


def test_reviews_come_from_the_teammates_and_favour_the_treatment(
    engine: Engine, tmp_path: Path
) -> None:
    create_demo(engine, count=1500, work_dir=tmp_path)

    with session_scope(engine) as session:
        reviewers = set(session.scalars(select(Review.reviewer).distinct()))
        by_variant = {
            (variant, verdict): n
            for variant, verdict, n in session.execute(
                select(Sample.variant, Review.verdict, func.count())
                .join(Sample, Sample.id == Review.sample_id)
                .where(Sample.variant.is_not(None))
                .group_by(Sample.variant, Review.verdict)
            )
        }
        categories = {c for cs in session.scalars(select(Review.categories)) for c in cs}
        corrections = session.scalar(
            select(func.count()).select_from(Review).where(Review.correction.is_not(None))
        )
        both = session.scalar(
            select(func.count()).select_from(
                select(Review.sample_id)
                .group_by(Review.sample_id)
                .having(func.count() == 2)
                .subquery()
            )
        )

    def good_share(variant: str) -> float:
        total = sum(n for (v, _), n in by_variant.items() if v == variant)
        return by_variant[(variant, "good")] / total

    assert reviewers == {"ana", "ben"}
    assert good_share("B") > good_share("A") + 0.05
    assert categories <= {
        "hallucination",
        "wrong language",
        "wrong format",
        "refusal",
        "unsafe",
        "incomplete",
        "off-topic",
        "tone",
    }
    assert {"hallucination", "wrong language", "refusal"} <= categories
    assert corrections and corrections > 0
    assert both and both > 0, "some samples have two reviews, for agreement analytics"


class _CancelWhileImporting(CancelToken):
    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        if text.startswith("checking the file"):
            self.cancel()


def test_cancelled_demo_completes_when_run_again(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(Cancelled):
        create_demo(engine, count=200, work_dir=tmp_path, progress=_CancelWhileImporting())
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Review)) == 0

    summary = create_demo(engine, count=200, work_dir=tmp_path)

    assert summary.samples == 200 and summary.reviews > 0
    with session_scope(engine) as session:
        sources = set(session.scalars(select(Sample.source).distinct()))
    assert sources == {DEMO_SOURCE}


def test_demo_refuses_a_store_that_syncs_with_a_team_database(
    engine: Engine, tmp_path: Path
) -> None:
    # The team's own "support-assistant", pulled from the shared database (it has a seq).
    with session_scope(engine) as session:
        session.add(Prompt(name="support-assistant", owner="lead", purpose="the real one", seq=5))
    with pytest.raises(RedlineError) as refused:
        create_demo(engine, count=50, seed=1, work_dir=tmp_path)
    assert "prompt rows from a team database" in str(refused.value)
    assert "a store of its own" in refused.value.hint
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PromptVersion)) == 0
        assert session.scalar(select(func.count()).select_from(Sample)) == 0


def test_demo_refuses_a_store_with_a_pull_cursor(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        session.add(SyncState(profile="team", table_name="prompt", cursor=0))
    with pytest.raises(RedlineError, match="profile 'team'"):
        create_demo(engine, count=50, seed=1, work_dir=tmp_path)
