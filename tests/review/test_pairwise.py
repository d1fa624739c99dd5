"""Pairwise review as a reviewer and a lead see it: choices stored at once, changed,
undone, counted (win rate, sign test), and exported as DPO pairs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from scipy import stats as scipy_stats
from sqlalchemy import Engine, select
from tests.prompts.pairwise_helpers import make_pairs

from redline.errors import RedlineError
from redline.export.pairwise import export_preference_pairs
from redline.review.pairwise import (
    PairChoice,
    Preference,
    list_pairs,
    pair_vote,
    pairwise_results,
    pairwise_sets,
    record_preference,
    restore_choice,
    shown_first,
)
from redline.review.service import ReviewService
from redline.review.types import ReviewInput, Verdict
from redline.store.models import Review, ReviewHistory

Pairs = list[tuple[uuid.UUID, uuid.UUID]]


@pytest.fixture
def pairs(engine: Engine, tmp_path: Path) -> Pairs:
    return make_pairs(engine, tmp_path, 6)


def choose(engine: Engine, pair: tuple[uuid.UUID, uuid.UUID], preference: Preference | None,
           reviewer: str = "ana", time_ms: int = 0) -> PairChoice | None:  # fmt: skip
    baseline, candidate = pair
    return record_preference(
        engine, candidate, baseline, preference, reviewer=reviewer, device="laptop",
        time_ms=time_ms,
    )  # fmt: skip


def test_pairs_list_both_outputs_for_the_same_input(engine: Engine, pairs: Pairs) -> None:
    assert pairwise_sets(engine) == [("support", "v2")]
    items = list_pairs(engine, "support", "v2", reviewer="ana")
    assert len(items) == 6
    first = next(i for i in items if i.baseline_id == pairs[0][0])
    assert first.candidate_id == pairs[0][1]
    assert first.input_text.startswith("Question 0")
    assert first.baseline_output.startswith("v1 answer 0")
    assert first.candidate_output.startswith("v2 answer 0")
    assert (first.baseline_version, first.choice) == ("v1", None)
    # Blind: the side shown first varies between pairs but is stable for a reviewer. (Six
    # random ids all land on one side once in 32 runs, so the variation is checked on 64.)
    sides = {shown_first(uuid.UUID(int=n << 64), "ana") for n in range(64)}
    assert sides == {"candidate", "baseline"}
    assert {shown_first(uuid.UUID(int=n << 64), "ben") for n in range(64)} == sides
    assert all(shown_first(i.candidate_id, "ana") == shown_first(i.candidate_id, "ana")
               for i in items)  # fmt: skip


def test_a_choice_is_stored_at_once_changed_with_history_and_undone(
    engine: Engine, pairs: Pairs
) -> None:
    assert choose(engine, pairs[0], Preference.CANDIDATE, time_ms=4_000) is None
    with engine.connect() as conn:
        row = conn.execute(select(Review).where(Review.sample_id == pairs[0][1])).one()
    assert (row.preference, row.compared_sample_id, row.preference_ms) == (
        "candidate", pairs[0][0], 4_000)  # fmt: skip
    assert row.verdict is None and row.dirty and not row.deleted and row.revision == 1

    before = choose(engine, pairs[0], Preference.TIE, time_ms=1_000)
    assert before is not None and before.preference is Preference.CANDIDATE
    mine = list_pairs(engine, "support", "v2", reviewer="ana")
    choice = next(i.choice for i in mine if i.candidate_id == pairs[0][1])
    assert choice is not None and choice.preference is Preference.TIE
    assert choice.time_ms == 5_000
    with engine.connect() as conn:
        kept = conn.execute(select(ReviewHistory.preference, ReviewHistory.revision)).all()
    assert [tuple(k) for k in kept] == [("candidate", 1)]

    # Undo puts the earlier choice back; undoing the first choice withdraws the review.
    restore_choice(engine, pairs[0][1], pairs[0][0], before, reviewer="ana", device="laptop")
    assert pairwise_results(engine, "support", "v2").candidate == 1
    restore_choice(engine, pairs[0][1], pairs[0][0], None, reviewer="ana", device="laptop")
    with engine.connect() as conn:
        row = conn.execute(select(Review).where(Review.sample_id == pairs[0][1])).one()
    assert row.deleted and row.preference is None
    assert pairwise_results(engine, "support", "v2").choices == 0
    # Choosing again revives the same review row (one row per sample and reviewer).
    choose(engine, pairs[0], Preference.BASELINE)
    with engine.connect() as conn:
        rows = conn.execute(select(Review).where(Review.sample_id == pairs[0][1])).all()
    assert len(rows) == 1 and not rows[0].deleted and rows[0].preference == "baseline"


def test_a_choice_keeps_the_verdict_of_the_same_review(engine: Engine, pairs: Pairs) -> None:
    reviews = ReviewService(engine, reviewer="ana", device="laptop")
    reviews.submit(ReviewInput(pairs[1][1], verdict=Verdict.GOOD, note="clear"))
    choose(engine, pairs[1], Preference.CANDIDATE)
    choose(engine, pairs[1], None)  # withdrawn: the verdict review stays
    with engine.connect() as conn:
        row = conn.execute(select(Review).where(Review.sample_id == pairs[1][1])).one()
    assert (row.verdict, row.note, row.deleted, row.preference) == ("good", "clear", False, None)


def test_bad_pairs_are_refused(engine: Engine, pairs: Pairs) -> None:
    with pytest.raises(RedlineError, match="itself"):
        record_preference(engine, pairs[0][0], pairs[0][0], Preference.TIE, reviewer="ana",
                          device="x")  # fmt: skip
    with pytest.raises(RedlineError, match="no such pair"):
        record_preference(engine, uuid.uuid4(), pairs[0][0], Preference.TIE, reviewer="ana",
                          device="x")  # fmt: skip
    with pytest.raises(RedlineError, match="no reviewer"):
        record_preference(engine, pairs[0][1], pairs[0][0], Preference.TIE, reviewer="",
                          device="x")  # fmt: skip


def test_results_count_win_rate_and_sign_test_without_ties(engine: Engine, pairs: Pairs) -> None:
    choices = [Preference.CANDIDATE] * 4 + [Preference.BASELINE, Preference.TIE]
    for pair, preference in zip(pairs, choices, strict=True):
        choose(engine, pair, preference)
    result = pairwise_results(engine, "support", "v2")
    assert (result.pairs, result.judged_pairs, result.reviewers) == (6, 6, 1)
    assert result.win_rate.n == 5 and result.win_rate.value == pytest.approx(0.8)
    assert result.test.p_value == pytest.approx(scipy_stats.binomtest(4, 5, 0.5).pvalue)
    text = result.summary()
    assert "preferred in 4 of 5 decided pairs: 80.0 %" in text
    assert "1 tied, 0 both bad and 0 split pairs left out" in text
    only_ben = pairwise_results(engine, "support", "v2", reviewer="ben")
    assert (only_ben.choices, only_ben.win_rate.defined) == (0, False)


def test_each_pair_is_one_vote_however_many_reviewers_judged_it(
    engine: Engine, pairs: Pairs
) -> None:
    # Three reviewers prefer the candidate on pair 0; pair 1 is the baseline's for one
    # reviewer. Per choice that is 3 : 1; per pair (independent observations) 1 : 1.
    for reviewer in ("ana", "ben", "cleo"):
        choose(engine, pairs[0], Preference.CANDIDATE, reviewer=reviewer)
    choose(engine, pairs[1], Preference.BASELINE)
    # Pair 2: two of three agree on a tie, the majority holds. Pair 3: one candidate,
    # one baseline: split, left out. Pair 4: one candidate, one tie: split too.
    choose(engine, pairs[2], Preference.TIE)
    choose(engine, pairs[2], Preference.TIE, reviewer="ben")
    choose(engine, pairs[2], Preference.CANDIDATE, reviewer="cleo")
    choose(engine, pairs[3], Preference.CANDIDATE)
    choose(engine, pairs[3], Preference.BASELINE, reviewer="ben")
    choose(engine, pairs[4], Preference.CANDIDATE)
    choose(engine, pairs[4], Preference.TIE, reviewer="ben")
    result = pairwise_results(engine, "support", "v2")
    assert (result.pairs, result.judged_pairs, result.reviewers) == (6, 5, 3)
    assert (result.votes.candidate, result.votes.baseline, result.votes.ties,
            result.votes.both_bad, result.votes.split) == (1, 1, 1, 0, 2)  # fmt: skip
    assert result.win_rate.n == 2 and result.win_rate.value == pytest.approx(0.5)
    assert result.test.p_value == pytest.approx(scipy_stats.binomtest(1, 2, 0.5).pvalue)
    # The choices stay counted one per reviewer, as the secondary line.
    assert (result.candidate, result.baseline, result.ties, result.both_bad) == (6, 2, 3, 0)
    assert "preferred in 1 of 2 decided pairs" in result.summary()
    assert "1 tied, 0 both bad and 2 split pairs left out" in result.summary()
    assert "5 of 6 pairs judged by 3 reviewers, one vote per pair" in result.summary()
    assert result.choices_summary() == (
        "11 choices by reviewer: 6 v2, 2 baseline, 3 tie, 0 both bad")  # fmt: skip
    # One reviewer's view: their own choices, one per pair.
    only_ben = pairwise_results(engine, "support", "v2", reviewer="ben")
    assert (only_ben.votes.candidate, only_ben.votes.baseline, only_ben.votes.split) == (1, 1, 0)


def test_the_pair_vote_is_the_most_common_choice() -> None:
    c, b, t = Preference.CANDIDATE, Preference.BASELINE, Preference.TIE
    assert pair_vote([c]) is c
    assert pair_vote([c, c, b]) is c
    assert pair_vote([c, b]) is None and pair_vote([c, t]) is None
    assert pair_vote([c, b, t]) is None
    assert pair_vote([t, t, c, b]) is t  # most common, not more than half
    assert pair_vote([]) is None


def test_dpo_export_writes_chosen_and_rejected_and_counts_the_skipped(
    engine: Engine, pairs: Pairs, tmp_path: Path
) -> None:
    choose(engine, pairs[0], Preference.CANDIDATE)
    choose(engine, pairs[1], Preference.BASELINE)
    choose(engine, pairs[2], Preference.TIE)
    choose(engine, pairs[3], Preference.BOTH_BAD)
    # Two reviewers who disagree: no training pair from it.
    choose(engine, pairs[4], Preference.CANDIDATE)
    choose(engine, pairs[4], Preference.BASELINE, reviewer="ben")
    # Two who agree: one pair, not two.
    choose(engine, pairs[5], Preference.CANDIDATE)
    choose(engine, pairs[5], Preference.CANDIDATE, reviewer="ben")
    out = tmp_path / "prefs.jsonl"
    result = export_preference_pairs(engine, out, prompt_name="support", version="v2")
    assert (result.pairs, result.choices, result.written) == (6, 8, 3)
    assert result.skipped == {"tie": 1, "both bad": 1, "reviewers disagree": 1}
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3
    by_question = {r["prompt"][-1]["content"].split(":")[0]: r for r in records}
    assert set(by_question) == {"Question 0", "Question 1", "Question 5"}
    assert by_question["Question 0"]["chosen"][0]["content"].startswith("v2 answer 0")
    assert by_question["Question 0"]["rejected"][0]["content"].startswith("v1 answer 0")
    assert by_question["Question 1"]["chosen"][0]["content"].startswith("v1 answer 1")
    assert by_question["Question 1"]["rejected"][0] == {
        "role": "assistant", "content": "v2 answer 1: it ships today."}  # fmt: skip
    # PII masked in the prompt, counted in the manifest.
    assert "@example.com" not in out.read_text(encoding="utf-8")
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert manifest["format"] == "dpo-pairwise"
    assert manifest["counts"]["skipped"] == {"tie": 1, "both bad": 1, "reviewers disagree": 1}
    assert manifest["redaction"]["kinds"] == {"email": 3}
    assert manifest["files"][0]["rows"] == 3
    with pytest.raises(RedlineError, match="exists already"):
        export_preference_pairs(engine, out)


def test_a_verdict_after_a_choice_keeps_the_choice_in_the_revision_set_aside(
    engine: Engine, pairs: Pairs
) -> None:
    choose(engine, pairs[2], Preference.BASELINE, time_ms=2_500)
    reviews = ReviewService(engine, reviewer="ana", device="laptop")
    reviews.submit(ReviewInput(pairs[2][1], verdict=Verdict.BAD, note="worse than v3"))
    with engine.connect() as conn:
        kept = conn.execute(
            select(ReviewHistory).where(ReviewHistory.sample_id == pairs[2][1])
        ).all()
        current = conn.execute(select(Review).where(Review.sample_id == pairs[2][1])).one()
    # Every revision set aside says all the reviewer said then, the choice included.
    assert [(k.preference, k.preference_ms, k.compared_sample_id) for k in kept] == [
        ("baseline", 2_500, pairs[2][0])
    ]
    assert (current.verdict, current.preference) == ("bad", "baseline")
