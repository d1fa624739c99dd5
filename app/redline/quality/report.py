"""The weekly review report: one self-contained HTML file (plots embedded as PNG) for a
time range, compared with the range of the same length just before it.

Sections: top failure patterns, satisfaction per prompt version with intervals,
reviewer agreement, open threshold proposals, reviewer throughput, drifted policies and
what changed since the previous range. Every number comes from the same services as
the Quality workspace and the CLI (`quality_overview`, `analytics.quality`), so the
report and the screen never disagree.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from sqlalchemy import Engine, select

from redline import __version__, clock
from redline.analytics.quality import VersionQuality, version_quality
from redline.analytics.stats import Rate, difference_interval, proportions_compared, rate
from redline.errors import RedlineError
from redline.progress import NO_PROGRESS, Progress, check
from redline.quality.agreement_tables import pairs_table
from redline.quality.data import TimeRange, prompt_label
from redline.quality.disagreements import disagreements
from redline.quality.overview import QualityData, QualityOverview, load_quality_data, overview_of
from redline.store.models import Policy, ProposalStatus, ThresholdProposal
from redline.store.session import session_scope

__all__ = [
    "Change",
    "OpenProposal",
    "ReviewerThroughput",
    "WeeklyReport",
    "build_weekly_report",
    "render_html",
    "write_weekly_report",
]

TOP_PATTERNS = 10


@dataclass(frozen=True, slots=True)
class OpenProposal:
    policy: str
    segment: str | None
    old_value: float
    new_value: float
    proposer: str
    proposed_at: datetime
    rationale: str


@dataclass(frozen=True, slots=True)
class ReviewerThroughput:
    """One reviewer's reviews submitted in the range (adjudications counted apart)."""

    reviewer: str
    reviews: int
    adjudications: int
    median_seconds: float
    per_day: tuple[tuple[str, int], ...]  # ("2026-11-20", 41), oldest first


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that moved since the previous range, in words, with its evidence."""

    what: str
    before: str
    now: str
    difference: str
    p_value: float


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the report shows; `render_html` only formats it."""

    period: TimeRange
    previous_period: TimeRange
    generated_at: datetime
    overview: QualityOverview
    previous: QualityOverview
    satisfaction: tuple[VersionQuality, ...]
    previous_satisfaction: tuple[VersionQuality, ...]
    proposals: tuple[OpenProposal, ...]
    throughput: tuple[ReviewerThroughput, ...]
    open_disagreements: int
    changes: tuple[Change, ...]
    # None: the drift service is not available in this build (see `_drifted_policies`).
    drifted_policies: tuple[str, ...] | None = field(default=None)


def build_weekly_report(
    engine: Engine,
    *,
    since: datetime,
    until: datetime | None = None,
    progress: Progress = NO_PROGRESS,
) -> WeeklyReport:
    """The numbers of the report for [since, until) (until defaults to now)."""
    until = until or clock.now()
    if until <= since:
        raise RedlineError(
            f"the report's range is empty: {since:%Y-%m-%d %H:%M} is not before "
            f"{until:%Y-%m-%d %H:%M}",
            hint="give --since an earlier date than --until",
        )
    period = TimeRange(since, until)
    previous_period = TimeRange(since - (until - since), since)
    progress.update(0, 6, "reading this period's reviews")
    data = load_quality_data(engine, period)
    check(progress)
    progress.update(1, 6, "reading the previous period's reviews")
    previous_data = load_quality_data(engine, previous_period)
    check(progress)
    progress.update(2, 6, "measuring agreement and patterns")
    overview = overview_of(data)
    previous = overview_of(previous_data)
    check(progress)
    progress.update(3, 6, "satisfaction per prompt version")
    satisfaction = _satisfaction(data)
    previous_satisfaction = _satisfaction(previous_data)
    check(progress)
    progress.update(4, 6, "proposals, throughput, drift")
    report = WeeklyReport(
        period=period,
        previous_period=previous_period,
        generated_at=clock.now(),
        overview=overview,
        previous=previous,
        satisfaction=satisfaction,
        previous_satisfaction=previous_satisfaction,
        proposals=_open_proposals(engine),
        throughput=_throughput(data.reviews, period),
        open_disagreements=len(disagreements(engine)),
        changes=_changes(overview, previous, satisfaction, previous_satisfaction),
        drifted_policies=_drifted_policies(engine, period),
    )
    progress.update(5, 6, "report ready")
    return report


def _satisfaction(data: QualityData) -> tuple[VersionQuality, ...]:
    samples = data.samples
    if samples.empty:
        return ()
    labels = pd.Series(
        [
            prompt_label(n, v) or "(no prompt)"
            for n, v in zip(samples["prompt_name"], samples["prompt_version"], strict=True)
        ],
        index=samples.index,
    )
    result = []
    for label in sorted(set(labels)):
        group = samples[labels == label]
        reviews = data.reviews[data.reviews["sample_id"].isin(group["sample_id"])]
        result.append(version_quality(label, group, reviews))
    return tuple(q for q in result if q.judged > 0)


def _open_proposals(engine: Engine) -> tuple[OpenProposal, ...]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(ThresholdProposal, Policy.name)
            .join(Policy, Policy.id == ThresholdProposal.policy_id)
            .where(ThresholdProposal.status == ProposalStatus.PROPOSED.value)
            .order_by(ThresholdProposal.created_at)
        ).all()
        return tuple(
            OpenProposal(
                policy=name,
                segment=p.segment,
                old_value=p.old_value,
                new_value=p.new_value,
                proposer=p.proposer,
                proposed_at=p.created_at,
                rationale=p.rationale,
            )
            for p, name in rows
        )


def _throughput(reviews: pd.DataFrame, period: TimeRange) -> tuple[ReviewerThroughput, ...]:
    if reviews.empty:
        return ()
    inside = reviews
    if period.since is not None:
        inside = inside[inside["updated_at"] >= period.since]
    if period.until is not None:
        inside = inside[inside["updated_at"] < period.until]
    result = []
    for reviewer, group in inside.groupby("reviewer"):
        plain = group[~group["adjudicated"]]
        days = plain["updated_at"].map(lambda t: t.strftime("%Y-%m-%d"))
        per_day = tuple((str(d), int(n)) for d, n in days.value_counts().sort_index().items())
        seconds = plain["time_spent_ms"].median() / 1000 if len(plain) else math.nan
        result.append(
            ReviewerThroughput(
                reviewer=str(reviewer),
                reviews=len(plain),
                adjudications=int(group["adjudicated"].sum()),
                median_seconds=float(seconds),
                per_day=per_day,
            )
        )
    return tuple(sorted(result, key=lambda r: (-r.reviews, r.reviewer)))


def _drifted_policies(engine: Engine, period: TimeRange) -> tuple[str, ...] | None:
    """HOOK (drift): the policies whose score distribution drifted in the range, from
    `redline.drift.service.policy_drifts` (built by the drift work). None when that
    service is not part of this build; the report then says drift was not checked."""
    try:
        from redline.drift.service import policy_drifts
    except ImportError:
        return None
    findings = policy_drifts(engine, since=period.since, until=period.until)
    return tuple(f.message for f in findings)


def _bad_share(overview: QualityOverview) -> Rate:
    return rate(overview.bad, overview.judged)


def _changes(
    now: QualityOverview,
    before: QualityOverview,
    satisfaction: Sequence[VersionQuality],
    previous_satisfaction: Sequence[VersionQuality],
) -> tuple[Change, ...]:
    changes = [
        Change(
            "reviews submitted",
            f"{before.reviews:,}",
            f"{now.reviews:,}",
            f"{now.reviews - before.reviews:+,}",
            math.nan,
        )
    ]
    changes.append(
        _rate_change("share of reviewed samples judged bad", _bad_share(before), _bad_share(now))
    )
    earlier = {q.label: q for q in previous_satisfaction}
    for quality in satisfaction:
        if quality.label in earlier:
            changes.append(
                _rate_change(
                    f"satisfaction, {quality.label}",
                    earlier[quality.label].satisfaction,
                    quality.satisfaction,
                )
            )
        else:
            changes.append(
                Change(
                    f"satisfaction, {quality.label}",
                    "not reviewed",
                    quality.satisfaction.percent(),
                    "new",
                    math.nan,
                )
            )
    agreement_now, agreement_before = now.agreement.fleiss, before.agreement.fleiss
    changes.append(
        Change(
            "Fleiss' kappa (verdicts)",
            _num(agreement_before),
            _num(agreement_now),
            _num(agreement_now - agreement_before, signed=True),
            math.nan,
        )
    )
    before_top = {p.label for p in before.patterns[:5]}
    for pattern in now.patterns[:5]:
        if pattern.label not in before_top:
            changes.append(
                Change(
                    f"new among the top patterns: {pattern.label}",
                    "",
                    pattern.sentence(),
                    f"lift {pattern.lift:.1f}",
                    pattern.p_value,
                )
            )
    return tuple(changes)


def _rate_change(what: str, before: Rate, now: Rate) -> Change:
    if not (before.defined and now.defined):
        return Change(what, before.percent(), now.percent(), "n/a", math.nan)
    low, high = difference_interval(before, now)
    test = proportions_compared(
        round(before.successes), round(before.n), round(now.successes), round(now.n)
    )
    difference = (
        f"{100 * (now.value - before.value):+.1f} points ({100 * low:+.1f} to {100 * high:+.1f})"
    )
    return Change(what, before.percent(), now.percent(), difference, test.p_value)


def _num(value: float, *, signed: bool = False) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _p(value: float) -> str:
    if math.isnan(value):
        return ""
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


# --------------------------------------------------------------------------- plots


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _satisfaction_plot(versions: Sequence[VersionQuality]) -> str | None:
    shown = [q for q in versions if q.satisfaction.defined]
    if not shown:
        return None
    figure = Figure(figsize=(7, 0.45 * len(shown) + 1.2))
    axes = figure.add_subplot()
    values = [100 * q.satisfaction.value for q in shown]
    # At 0 % or 100 % the interval's end equals the value up to rounding, and a
    # difference of -1e-15 made matplotlib refuse the whole report.
    lows = [max(0.0, v - 100 * q.satisfaction.low) for v, q in zip(values, shown, strict=True)]
    highs = [max(0.0, 100 * q.satisfaction.high - v) for v, q in zip(values, shown, strict=True)]
    rows = list(range(len(shown)))
    axes.errorbar(values, rows, xerr=[lows, highs], fmt="o", capsize=4, color="#2f6fb3")
    axes.set_yticks(rows, [f"{q.label} (n={q.judged})" for q in shown])
    axes.set_xlim(0, 100)
    axes.set_xlabel("satisfaction: samples judged good (%), 95 % interval")
    axes.invert_yaxis()
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def _patterns_plot(overview: QualityOverview) -> str | None:
    top = overview.patterns[:TOP_PATTERNS]
    if not top:
        return None
    figure = Figure(figsize=(7, 0.4 * len(top) + 1.2))
    axes = figure.add_subplot()
    rows = list(range(len(top)))
    axes.barh(
        [r - 0.2 for r in rows], [100 * p.share.value for p in top], 0.4, label="of bad reviews"
    )
    axes.barh(
        [r + 0.2 for r in rows], [100 * p.base.value for p in top], 0.4, label="of reviewed samples"
    )
    axes.set_yticks(rows, [p.label for p in top])
    axes.invert_yaxis()
    axes.set_xlabel("share (%)")
    axes.legend(loc="lower right")
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def _throughput_plot(throughput: Sequence[ReviewerThroughput]) -> str | None:
    days = sorted({d for r in throughput for d, _ in r.per_day})
    if not days:
        return None
    figure = Figure(figsize=(7, 2.8))
    axes = figure.add_subplot()
    bottom = [0] * len(days)
    for reviewer in throughput:
        counts = dict(reviewer.per_day)
        heights = [counts.get(d, 0) for d in days]
        axes.bar(days, heights, bottom=bottom, label=reviewer.reviewer)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylabel("reviews")
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(loc="upper left")
    return _png(figure)


# --------------------------------------------------------------------------- HTML


_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .25em .7em; }
th { text-align: left; border-bottom: 1px solid #bbb; } td.n { text-align: right; }
tr:nth-child(even) td { background: #f6f7f9; } .muted { color: #777; }
img { max-width: 100%; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()
) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: str | None, alt: str) -> str:
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{png}"></p>' if png else ""


def render_html(report: WeeklyReport) -> str:
    """The report as one HTML document (plots embedded)."""
    o = report.overview
    a = o.agreement
    pairs = pairs_table(a)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Redline review report {_e(report.period.label())}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Review report: {_e(report.period.label())}</h1>",
        f'<p class="muted">Samples reviewed in the range, compared with '
        f"{_e(report.previous_period.label())}. Generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC by Redline {_e(__version__)}.</p>",
        f"<p>{o.reviews:,} reviews of {o.judged:,} samples with a final verdict; "
        f"{o.bad:,} judged bad ({_e(rate(o.bad, o.judged).percent())}). "
        f"{report.open_disagreements:,} disagreements wait for a lead.</p>",
        "<h2>Top failure patterns</h2>",
        '<p class="muted">Among the samples judged bad: the share with each value, against '
        "its share of all reviewed samples; ranked by the difference.</p>",
        _table(
            ["pattern", "of bad reviews", "of reviewed", "lift", "bad rate", "p"],
            [
                (
                    p.label,
                    p.share.percent(),
                    f"{100 * p.base.value:.1f} %",
                    f"{p.lift:.2f} ({p.lift_low:.2f}–{p.lift_high:.2f})",
                    p.bad_rate.percent(),
                    _p(p.p_value),
                )
                for p in o.patterns[:TOP_PATTERNS]
            ],
        ),
        _image(_patterns_plot(o), "top failure patterns"),
        "<h2>Satisfaction per prompt version</h2>",
        _table(
            ["prompt version", "satisfaction", "judged", "mean rating"],
            [
                (
                    q.label,
                    q.satisfaction.percent(),
                    f"{q.judged:,}",
                    "n/a" if not q.mean_rating.defined else f"{q.mean_rating.value:.2f}",
                )
                for q in report.satisfaction
            ],
            numeric=(2, 3),
        ),
        _image(_satisfaction_plot(report.satisfaction), "satisfaction per prompt version"),
        "<h2>Agreement between reviewers</h2>",
        f"<p>{a.items:,} samples reviewed by two or more people. All agreed on "
        f"{_e(a.percent.percent())}. Fleiss' kappa {_e(_num(a.fleiss))}, Krippendorff's alpha "
        f"{_e(_num(a.alpha))} (verdicts, nominal), {_e(_num(a.alpha_rating))} "
        f"(ratings, ordinal). Production score against the final verdict: AUC "
        f"{_e(a.score_auc.text())}.</p>",
        _table(pairs.header, pairs.rows, numeric=pairs.numeric),
        "<h2>Open threshold proposals</h2>",
        _table(
            ["policy", "segment", "from", "to", "proposed by", "on", "rationale"],
            [
                (
                    p.policy,
                    p.segment or "all",
                    f"{p.old_value:g}",
                    f"{p.new_value:g}",
                    p.proposer,
                    f"{p.proposed_at:%Y-%m-%d}",
                    p.rationale,
                )
                for p in report.proposals
            ],
        ),
        "<h2>Reviewer throughput</h2>",
        _table(
            ["reviewer", "reviews", "adjudications", "median time per review"],
            [
                (
                    r.reviewer,
                    f"{r.reviews:,}",
                    f"{r.adjudications:,}",
                    "n/a" if math.isnan(r.median_seconds) else f"{r.median_seconds:.0f} s",
                )
                for r in report.throughput
            ],
            numeric=(1, 2, 3),
        ),
        _image(_throughput_plot(report.throughput), "reviews per day"),
        "<h2>Drift</h2>",
        _drift_html(report.drifted_policies),
        "<h2>What changed since the previous period</h2>",
        _table(
            ["what", "before", "now", "difference", "p"],
            [(c.what, c.before, c.now, c.difference, _p(c.p_value)) for c in report.changes],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def _drift_html(drifted: tuple[str, ...] | None) -> str:
    if drifted is None:
        return '<p class="muted">Drift was not checked: this build has no drift service.</p>'
    if not drifted:
        return "<p>No policy's score distribution drifted in this period.</p>"
    return "<ul>" + "".join(f"<li>{_e(m)}</li>" for m in drifted) + "</ul>"


def write_weekly_report(
    engine: Engine,
    out: Path,
    *,
    since: datetime,
    until: datetime | None = None,
    progress: Progress = NO_PROGRESS,
) -> WeeklyReport:
    """Build the report and write it to `out` (atomically: all or nothing)."""
    if out.is_dir():
        raise RedlineError("this is a directory, not a file", where=str(out))
    if not out.parent.exists():
        raise RedlineError("the folder does not exist", where=str(out.parent))
    report = build_weekly_report(engine, since=since, until=until, progress=progress)
    check(progress)
    text = render_html(report)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".report-", suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # mkstemp makes the file private; a report is meant to be shared.
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    progress.update(6, 6, f"report written to {out}")
    return report


def default_since(now: datetime | None = None) -> datetime:
    """Seven days before `now` (the report's default range)."""
    return (now or clock.now()) - timedelta(days=7)
