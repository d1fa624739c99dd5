"""Sampling while importing: exact or expected sizes, and honest inclusion probabilities."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import flat_record, samples, write_jsonl

from redline.errors import RedlineError
from redline.ingest.service import import_file
from redline.ingest.types import SamplingRule

LANGUAGES = ["en"] * 6 + ["de"] * 3 + ["ja"]


@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    """1,000 records: scores spread over [0, 1), 60 % en / 30 % de / 10 % ja, 10 % thumbs down."""
    records = [
        flat_record(
            i,
            score=((i * 7919) % 1000) / 1000,
            language=LANGUAGES[i % 10],
            thumbs="down" if i % 10 == 3 else None,
        )
        for i in range(1000)
    ]
    return write_jsonl(tmp_path / "traffic.jsonl", records)


def test_random_n_takes_exactly_n_with_probability_n_over_total(
    engine: Engine, traffic: Path
) -> None:
    report = import_file(traffic, engine=engine, sampling=SamplingRule.parse("random:100"))
    assert (report.imported, report.not_sampled, report.records_read) == (100, 900, 1000)
    assert {s.inclusion_prob for s in samples(engine)} == {0.1}


def test_random_sampling_is_deterministic_by_seed(
    tmp_path: Path, traffic: Path, store_path: Path
) -> None:
    from redline.store.local import open_local_store

    def chosen(seed: int, name: str) -> set[str]:
        engine = open_local_store(tmp_path / f"{name}.sqlite")
        import_file(traffic, engine=engine, sampling=SamplingRule.parse("random:50", seed=seed))
        ids = {s.external_id for s in samples(engine)}
        engine.dispose()
        return ids

    assert chosen(1, "a") == chosen(1, "b")
    assert chosen(1, "c") != chosen(2, "d")


def test_stratified_takes_up_to_n_per_value(engine: Engine, traffic: Path) -> None:
    import_file(traffic, engine=engine, sampling=SamplingRule.parse("stratified:language:80"))
    kept = samples(engine)
    assert Counter(s.language for s in kept) == {"en": 80, "de": 80, "ja": 80}
    probabilities = {s.language: s.inclusion_prob for s in kept}
    assert probabilities == {
        "en": pytest.approx(80 / 600),
        "de": pytest.approx(80 / 300),
        "ja": pytest.approx(80 / 100),
    }


def test_low_score_weighting_favours_low_scores_and_reweights_to_the_population(
    engine: Engine, traffic: Path
) -> None:
    report = import_file(traffic, engine=engine, sampling=SamplingRule.parse("low-score:200"))
    kept = samples(engine)
    assert 150 <= report.imported <= 250  # Poisson sampling: 200 expected
    low = [s for s in kept if (s.score or 0) < 0.3]
    high = [s for s in kept if (s.score or 0) > 0.7]
    assert len(low) > 2 * len(high)
    assert all(s.inclusion_prob > h.inclusion_prob for s in low for h in high)
    # Horvitz-Thompson: the sum of 1/p estimates the population size.
    estimate = sum(1 / s.inclusion_prob for s in kept)
    assert estimate == pytest.approx(1000, rel=0.2)


def test_score_band_and_negative_signal_weighting(
    engine: Engine, traffic: Path, tmp_path: Path
) -> None:
    import_file(traffic, engine=engine, sampling=SamplingRule.parse("band:0.4-0.6:150"))
    kept = samples(engine)
    inside = [s for s in kept if 0.4 <= (s.score or 0) <= 0.6]
    assert len(inside) > len(kept) / 2  # the band is 20 % of traffic

    from redline.store.local import open_local_store

    other = open_local_store(tmp_path / "neg.sqlite")
    import_file(traffic, engine=other, sampling=SamplingRule.parse("negative:100"))
    negative = [s for s in samples(other) if s.signal_thumbs == -1]
    assert len(negative) > len(samples(other)) / 2  # thumbs down are 10 % of traffic
    other.dispose()


@pytest.mark.parametrize(
    "text",
    ["random", "random:0", "random:x", "stratified:10", "band:0.6-0.4:10", "band:a-b:1", "top:5"],
)
def test_bad_sampling_rules_say_what_is_accepted(text: str) -> None:
    with pytest.raises(RedlineError, match="sampling rule") as error:
        SamplingRule.parse(text)
    assert "stratified:FIELD:N" in str(error.value)


def test_rules_describe_themselves_in_the_form_they_parse_from() -> None:
    for text in [
        "all",
        "random:5",
        "stratified:language:3",
        "low-score:9",
        "band:0.2-0.4:7",
        "negative:4",
    ]:
        assert SamplingRule.parse(text).describe() == text
