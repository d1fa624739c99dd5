"""The weekly report renders and shows the services' numbers; the CLI commands."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from tests.quality.helpers import T0, add_batch, add_review, add_samples, planted_store

from redline.cli import main
from redline.errors import RedlineError
from redline.progress import Cancelled, CancelToken
from redline.quality.data import TimeRange
from redline.quality.disagreements import disagreement
from redline.quality.overview import quality_overview
from redline.quality.report import build_weekly_report, render_html, write_weekly_report
from redline.settings import Settings, save_settings
from redline.store.base import uuid7
from redline.store.models import Policy, ThresholdProposal

SINCE = T0 + timedelta(days=1)
UNTIL = T0 + timedelta(days=2)


def _proposal(engine: Engine) -> None:
    policy_id = uuid7()
    with engine.begin() as conn:
        conn.execute(insert(Policy), [{"id": policy_id, "name": "auto-send", "threshold": 0.7}])
        conn.execute(
            insert(ThresholdProposal),
            [
                {
                    "id": uuid7(),
                    "policy_id": policy_id,
                    "old_value": 0.7,
                    "new_value": 0.78,
                    "proposer": "ana",
                    "rationale": "German answers <fail> too often",
                }
            ],
        )


def test_the_report_shows_the_services_numbers(engine: Engine, tmp_path: Path) -> None:
    planted_store(engine)
    _proposal(engine)
    out = tmp_path / "week.html"
    report = write_weekly_report(engine, out, since=SINCE, until=UNTIL)
    text = out.read_text(encoding="utf-8")
    overview = quality_overview(engine, TimeRange(SINCE, UNTIL))
    assert repr(report.overview) == repr(overview)  # NaN != NaN, but prints the same
    a = overview.agreement
    assert html.escape(a.percent.percent()) in text
    assert html.escape(a.pairs[0].kappa.text()) in text
    top = overview.patterns[0]
    assert html.escape(top.label) in text and html.escape(top.share.percent()) in text
    (support,) = report.satisfaction
    assert support.label == "support v1" and support.judged == 400
    assert html.escape(support.satisfaction.percent()) in text
    assert "German answers &lt;fail&gt; too often" in text  # escaped, listed as open
    assert text.count("data:image/png;base64,") == 3
    assert [r.reviewer for r in report.throughput] == ["ana", "ben"]
    assert report.throughput[0].reviews == 400
    # Nothing was reviewed the week before: every satisfaction is new.
    assert report.previous.judged == 0
    assert any(c.difference == "new" for c in report.changes)


def test_a_report_of_an_empty_range_still_renders(engine: Engine) -> None:
    report = build_weekly_report(engine, since=SINCE, until=UNTIL)
    text = render_html(report)
    assert "None." in text and "<h1>Review report" in text
    with pytest.raises(RedlineError, match="range is empty"):
        build_weekly_report(engine, since=UNTIL, until=SINCE)


def test_writing_the_report_can_be_cancelled_and_leaves_no_file(
    engine: Engine, tmp_path: Path
) -> None:
    planted_store(engine, n=30)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_weekly_report(engine, tmp_path / "r.html", since=SINCE, until=UNTIL, progress=token)
    assert list(tmp_path.iterdir()) == [] or not (tmp_path / "r.html").exists()
    with pytest.raises(RedlineError, match="folder does not exist"):
        write_weekly_report(engine, tmp_path / "no" / "r.html", since=SINCE)


def test_cli_commands(
    engine: Engine, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted_store(engine)
    store = ["--store", str(store_path)]
    period = ["--since", SINCE.isoformat(), "--until", UNTIL.isoformat()]
    assert main(["agreement", *store, *period, "--json"]) == 0
    agreement = json.loads(capsys.readouterr().out)
    expected = quality_overview(engine, TimeRange(SINCE, UNTIL)).agreement
    assert agreement["items"] == expected.items
    assert agreement["fleiss_kappa"] == pytest.approx(expected.fleiss)
    assert agreement["pairs"][0]["cohen_kappa"] == pytest.approx(expected.pairs[0].kappa.value)

    assert main(["patterns", *store, "--top", "3"]) == 0
    printed = capsys.readouterr().out
    assert "language = de" in printed and "thumbs_down" in printed

    out = tmp_path / "report.html"
    assert main(["report", *store, *period, str(out)]) == 0
    assert "written to" in capsys.readouterr().out and out.exists()

    assert main(["overlap", *store]) == 0
    batch = capsys.readouterr().out.splitlines()[1].split()[0]
    assert main(["overlap", *store, batch, "2"]) == 0
    assert "2 reviewer(s) per sample" in capsys.readouterr().out
    assert main(["overlap", *store, batch]) == 2
    assert "both BATCH and K" in capsys.readouterr().err

    assert main(["disagreements", *store]) == 0
    assert "ana: " in capsys.readouterr().out


def test_cli_patterns_of_one_dimension(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted_store(engine)
    store = ["--store", str(store_path)]
    assert main(["patterns", *store, "--dimension", "language", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["patterns"]
    assert shown and {p["dimension"] for p in shown} == {"language"}
    assert main(["patterns", *store, "--dimension", "colour"]) == 2
    assert "no dimension 'colour' (dimensions: language, prompt version" in capsys.readouterr().err


def test_cli_adjudication_is_a_leads(
    engine: Engine, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = add_batch(engine)
    (disputed,) = add_samples(engine, batch, [{}])
    add_review(engine, disputed, "ana", "good")
    add_review(engine, disputed, "ben", "bad")
    store = ["--store", str(store_path)]
    prefix = disputed.hex[:10]

    save_settings(Settings(reviewer="cy", role="reviewer"))
    assert main(["adjudicate", *store, prefix, "bad"]) == 2
    err = capsys.readouterr().err
    assert "only leads may adjudicate a disagreement (your role is 'reviewer')" in err
    assert "ask a lead to settle it" in err
    assert disagreement(engine, disputed).adjudication is None

    save_settings(Settings(reviewer="lea", role="lead"))
    assert main(["adjudicate", *store, "ffff", "bad"]) == 2
    assert "no disputed sample has an id starting with 'ffff'" in capsys.readouterr().err
    assert (
        main(["adjudicate", *store, prefix, "bad", "--correction", "Better.", "--note", "x"]) == 0
    )
    assert f"sample {disputed.hex[:12]}: final verdict bad by lea (ana: good, ben: bad)" in (
        capsys.readouterr().out
    )
    final = disagreement(engine, disputed).adjudication
    assert final is not None and (final.reviewer, final.correction) == ("lea", "Better.")


def test_a_prompt_version_all_good_or_all_bad_is_plotted(engine: Engine, tmp_path: Path) -> None:
    """Issue #19 item 12: 0 % and 100 % satisfaction crashed the plot (an interval's end
    a rounding error past its value)."""
    batch = add_batch(engine)
    good = add_samples(engine, batch, [{"prompt_version": "v1"}] * 5)
    bad = add_samples(
        engine,
        batch,
        [
            {"prompt_version": "v2", "external_id": f"b{i}", "content_hash": f"{i + 50:032x}"}
            for i in range(5)
        ],
    )
    for sample in good:
        add_review(engine, sample, "ana", "good")
    for sample in bad:
        add_review(engine, sample, "ana", "bad")
    out = tmp_path / "week.html"
    report = write_weekly_report(engine, out, since=T0, until=T0 + timedelta(days=3))
    assert sorted(q.satisfaction.value for q in report.satisfaction) == [0.0, 1.0]
    assert "satisfaction per prompt version" in out.read_text(encoding="utf-8")
