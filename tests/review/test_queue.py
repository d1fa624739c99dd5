"""Queue queries on a constructed set: every filter, search, sort, first_page, rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, delete, select
from typing_extensions import override

from redline.progress import Cancelled, CancelToken
from redline.quality.overlap import set_overlap
from redline.review import queue
from redline.review.pairwise import Preference, record_preference
from redline.review.service import ReviewService
from redline.review.types import QueueFilter, QueueSort, ReviewInput, Verdict
from redline.store.local import open_read_only
from redline.store.models import Review, Sample
from redline.store.search import ensure_search_index, search_backlog

MakeSamples = Callable[..., list[uuid.UUID]]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ME = "ann@example.com"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


ROWS: list[dict[str, Any]] = [
    # 0
    {
        "model": "a", "language": "en", "prompt_name": "support", "prompt_version": "v1",
        "variant": "A", "score": 0.1, "captured_at": at(5), "signal_copied": True,
        "signal_thumbs": -1, "input_text": "the refund policy", "output": "no refunds",
    },
    # 1
    {
        "model": "b", "language": "fr", "prompt_name": "support", "prompt_version": "v2",
        "variant": "B", "score": 0.9, "captured_at": at(1), "signal_edited": True,
        "signal_thumbs": 1, "input_text": "bonjour, un café", "output": "réponse",
    },
    # 2
    {
        "model": "a", "language": "fr", "prompt_name": "summarise", "prompt_version": "v1",
        "variant": None, "score": None, "captured_at": at(3), "signal_follow_up": True,
        "input_text": "résumé please", "output": "a short summary",
    },
    # 3
    {
        "model": "b", "language": "en", "prompt_name": "support", "prompt_version": "v1",
        "variant": "A", "score": 0.5, "captured_at": at(2), "signal_copied": False,
        "input_text": "invoice missing", "output": "we will send the invoice",
    },
    # 4
    {
        "model": "a", "language": "de", "prompt_name": "support", "prompt_version": "v2",
        "variant": "B", "score": 0.7, "captured_at": None, "signal_thumbs": -1,
        "input_text": "Rechnung fehlt", "output": "ok",
    },
]  # fmt: skip
# 5 is in a second batch.
ROW_5: dict[str, Any] = {
    "model": "c", "language": "en", "score": 0.3, "captured_at": at(4),
    "input_text": "hello", "output": "hi there",
}  # fmt: skip


class World:
    """The constructed store: six samples, reviews by ann (me) and bob."""

    def __init__(self, engine: Engine, make_samples: MakeSamples) -> None:
        self.engine = engine
        self.ids = make_samples(ROWS)
        self.ids += make_samples([ROW_5])
        # Search finds what is indexed; the window indexes on its writer after imports.
        ensure_search_index(engine)
        by_id = queue.rowids_of(engine, self.ids)
        self.rowids = [by_id[i] for i in self.ids]
        self.second_batch = (
            ReviewService(engine, reviewer=ME, device="d").sample_detail(self.ids[5]).batch_id
        )
        ann = ReviewService(engine, reviewer=ME, device="d")
        bob = ReviewService(engine, reviewer="bob@example.com", device="d")
        ann.submit(ReviewInput(self.ids[0], verdict=Verdict.GOOD, flagged=True))
        ann.submit(ReviewInput(self.ids[1], verdict=Verdict.BAD))
        ann.submit(
            ReviewInput(self.ids[3], verdict=Verdict.UNSURE, correction="send the refund form")
        )
        bob.submit(ReviewInput(self.ids[2], verdict=Verdict.BAD, correction="résumé corrigé"))
        bob.submit(ReviewInput(self.ids[5], verdict=Verdict.GOOD, flagged=True))
        self.ann = ann
        self.bob = bob

    def positions(self, rowids: np.ndarray[Any, Any]) -> list[int]:
        """Map rowids back to the sample numbers of ROWS (+ 5)."""
        return [self.rowids.index(int(r)) for r in rowids]

    def select(self, sort: QueueSort | None = None, **filter: Any) -> list[int]:
        f = QueueFilter(**({"status": "all"} | filter))
        s = sort or QueueSort()
        result = self.positions(queue.snapshot(self.engine, f, s, ME))
        # first_page is always the snapshot's head, whatever the limit.
        for limit in (1, 2, 100):
            head = self.positions(queue.first_page(self.engine, f, s, ME, limit=limit))
            assert head == result[:limit], (filter, sort, limit)
        return result


@pytest.fixture
def world(engine: Engine, make_samples: MakeSamples) -> World:
    return World(engine, make_samples)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, {0, 1, 2, 3, 4, 5}),
        ({"status": "unreviewed"}, {2, 4, 5}),
        ({"status": "reviewed_by_me"}, {0, 1, 3}),
        ({"status": "flagged_bad"}, {0, 1}),
        ({"status": "has_correction"}, {3}),
        ({"prompt_version": "v1"}, {0, 2, 3}),
        ({"prompt_name": "support", "prompt_version": "v1"}, {0, 3}),
        ({"model": "a"}, {0, 2, 4}),
        ({"variant": "A"}, {0, 3}),
        ({"language": "fr"}, {1, 2}),
        ({"score_min": 0.5}, {1, 3, 4}),
        ({"score_max": 0.5}, {0, 3, 5}),
        ({"score_min": 0.3, "score_max": 0.7}, {3, 4, 5}),
        ({"signal": "copied"}, {0}),
        ({"signal": "edited"}, {1}),
        ({"signal": "follow_up"}, {2}),
        ({"signal": "thumbs_down"}, {0, 4}),
        ({"signal": "thumbs_up"}, {1}),
        ({"model": "a", "language": "fr", "status": "unreviewed"}, {2}),
        ({"model": "nope"}, set()),
    ],
)
def test_filters(world: World, filter: dict[str, Any], expected: set[int]) -> None:
    for sort in (QueueSort(), QueueSort("score", descending=True), QueueSort("model")):
        assert set(world.select(sort, **filter)) == expected


def test_batch_filter(world: World) -> None:
    assert world.select(batch_id=world.second_batch) == [5]
    assert world.select(batch_id=uuid.uuid4()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refund", {0, 3}),  # input of 0 ("refunds" by prefix), ann's correction on 3
        ("REFUND polic", {0}),
        ("cafe", {1}),  # accents folded
        ("corrig", {2}),  # bob's correction
        ("invoice", {3}),
        ("send", {3}),  # output of 3 and its correction: once
        ('refund OR "', set()),  # operators are words: both must occur
        ('NEAR( "x', set()),
        ("?!", {0, 1, 2, 3, 4, 5}),  # no word: no text filter
    ],
)
def test_search(world: World, text: str, expected: set[int]) -> None:
    assert set(world.select(text=text)) == expected


def test_search_with_filters(world: World) -> None:
    assert world.select(text="summary", language="fr") == [2]
    assert world.select(text="refund", status="unreviewed") == []
    assert world.select(text="refund", status="has_correction") == [3]


def test_corrections_follow_edits_and_undo(world: World) -> None:
    world.ann.submit(ReviewInput(world.ids[3], verdict=Verdict.BAD, correction="a new letter"))
    assert world.select(text="refund") == [0]
    assert world.select(text="letter") == [3]
    world.ann.undo()
    assert set(world.select(text="refund")) == {0, 3}
    world.ann.undo()  # ann's first review of 1 is the next on the stack; 3's first below
    world.ann.undo()
    assert world.ann.current_review(world.ids[3]) is None
    assert world.select(text="refund") == [0]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (QueueSort(), [4, 1, 3, 2, 5, 0]),  # NULL first
        (QueueSort(descending=True), [0, 5, 2, 3, 1, 4]),
        (QueueSort("score"), [2, 0, 5, 3, 4, 1]),
        (QueueSort("score", descending=True), [1, 4, 3, 5, 0, 2]),
        (QueueSort("model"), [4, 2, 0, 1, 3, 5]),  # ties in queue (captured_at) order
        (QueueSort("model", descending=True), [5, 3, 1, 0, 2, 4]),
        (QueueSort("language"), [4, 0, 3, 5, 1, 2]),
        (QueueSort("prompt_version"), [5, 2, 0, 3, 1, 4]),  # summarise < support
        (QueueSort("rowid"), [0, 1, 2, 3, 4, 5]),
    ],
)
def test_sort(world: World, sort: QueueSort, expected: list[int]) -> None:
    assert world.select(sort) == expected


def test_bad_sort_or_status(world: World) -> None:
    with pytest.raises(ValueError, match="cannot sort"):
        queue.snapshot(world.engine, QueueFilter(), QueueSort("input_text"), ME)
    with pytest.raises(ValueError, match="status"):
        queue.snapshot(world.engine, QueueFilter(status="mine"), QueueSort(), ME)  # type: ignore[arg-type]


def test_snapshot_is_int64(world: World) -> None:
    result = queue.snapshot(world.engine, QueueFilter(), QueueSort(), ME)
    assert result.dtype == np.int64
    assert queue.snapshot(world.engine, QueueFilter(model="none"), QueueSort(), ME).shape == (0,)


def test_load_rows(world: World, make_samples: MakeSamples) -> None:
    wanted = [world.rowids[i] for i in (3, 0, 2)] + [10_000]
    rows = queue.load_rows(world.engine, np.array(wanted), ME)
    assert [r.rowid for r in rows] == wanted[:3]  # in order, unknown rowid left out
    r3, r0, r2 = rows
    assert (r3.id, r3.status, r3.verdict, r3.has_correction, r3.flagged) == (
        world.ids[3], "reviewed", Verdict.UNSURE, True, False,
    )  # fmt: skip
    assert (r0.verdict, r0.flagged, r0.has_correction) == (Verdict.GOOD, True, False)
    # Bob reviewed 2; for ann it is still new.
    assert (r2.status, r2.verdict, r2.has_correction) == ("unreviewed", None, False)
    assert (r3.prompt_version, r3.model, r3.language, r3.score) == ("support v1", "b", "en", 0.5)
    assert r3.captured_at == at(2)
    assert r3.input_preview == "invoice missing"
    assert queue.load_rows(world.engine, [], ME) == []

    (long_id,) = make_samples([{"input_text": "word\n\t" * 100, "prompt_version": "v9"}])
    (row,) = queue.load_rows(world.engine, [queue.rowids_of(world.engine, [long_id])[long_id]], ME)
    assert len(row.input_preview) == queue.PREVIEW_CHARS
    assert row.input_preview.startswith("word word ") and row.input_preview.endswith("…")
    assert row.prompt_version == "v9"
    assert row.captured_at is not None and row.captured_at.tzinfo is not None


def test_a_pairwise_choice_alone_leaves_the_sample_unreviewed(world: World) -> None:
    """A pairwise choice compares two outputs; it is no verdict on the sample. So the
    sample stays in the reviewer's "unreviewed" queue, its status stays new, and the
    progress count does not move, until the reviewer gives it a verdict."""
    candidate, baseline = world.ids[4], world.ids[2]
    record_preference(world.engine, candidate, baseline, Preference.CANDIDATE, reviewer=ME,
                      device="d")  # fmt: skip
    assert set(world.select(status="unreviewed")) == {2, 4, 5}
    assert set(world.select(status="reviewed_by_me")) == {0, 1, 3}
    (row,) = queue.load_rows(world.engine, [world.rowids[4]], ME)
    assert (row.status, row.verdict, row.flagged, row.has_correction) == (
        "unreviewed", None, False, False)  # fmt: skip
    assert world.ann.progress() == (3, 6)

    # A verdict makes it reviewed; the choice stays part of the same review.
    world.ann.submit(ReviewInput(candidate, verdict=Verdict.GOOD))
    assert 4 not in world.select(status="unreviewed")
    assert 4 in world.select(status="reviewed_by_me")
    (row,) = queue.load_rows(world.engine, [world.rowids[4]], ME)
    assert (row.status, row.verdict) == ("reviewed", Verdict.GOOD)
    assert world.ann.progress() == (4, 6)
    with world.engine.connect() as conn:
        kept = conn.execute(
            select(Review.preference).where(Review.sample_id == candidate, Review.reviewer == ME)
        ).scalar_one()
    assert kept == "candidate"


def test_a_pairwise_choice_does_not_count_towards_overlap(world: World) -> None:
    """A batch asking for two reviewers per sample: bob's verdict and cleo's pairwise
    choice are one verdict review, so the sample stays in ann's queue."""
    first_batch = ReviewService(world.engine, reviewer=ME, device="d").sample_detail(
        world.ids[4]).batch_id  # fmt: skip
    set_overlap(world.engine, str(first_batch), 2)
    world.bob.submit(ReviewInput(world.ids[4], verdict=Verdict.GOOD))
    record_preference(world.engine, world.ids[4], world.ids[2], Preference.TIE,
                      reviewer="cleo", device="d")  # fmt: skip
    assert 4 in world.select(status="unreviewed")
    ReviewService(world.engine, reviewer="dan", device="d").submit(
        ReviewInput(world.ids[4], verdict=Verdict.BAD))  # fmt: skip
    assert 4 not in world.select(status="unreviewed")


class Recorder(CancelToken):
    def __init__(self, cancel_after: int | None = None) -> None:
        super().__init__()
        self.updates: list[tuple[int, int]] = []
        self.cancel_after = cancel_after

    @override
    def update(self, done: int, total: int, text: str = "") -> None:
        super().update(done, total, text)
        self.updates.append((done, total))
        if self.cancel_after is not None and done >= self.cancel_after:
            self.cancel()


def test_ensure_search_index_is_incremental(engine: Engine, make_samples: MakeSamples) -> None:
    make_samples([{"input_text": f"alpha {i}"} for i in range(7)])
    assert search_backlog(engine) == 7
    progress = Recorder()
    assert ensure_search_index(engine, progress, chunk=3) == 7
    assert progress.updates == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert ensure_search_index(engine) == 0
    assert search_backlog(engine) == 0

    # Newly imported samples: the queue's reads search only what is indexed (they never
    # write); indexing on the writer makes them findable.
    make_samples([{"input_text": "beta only here"}])
    beta = QueueFilter(status="all", text="beta")
    assert len(queue.first_page(engine, beta, QueueSort(), ME)) == 0
    assert len(queue.snapshot(engine, beta, QueueSort(), ME)) == 0
    assert search_backlog(engine) == 1
    assert ensure_search_index(engine) == 1
    assert len(queue.snapshot(engine, beta, QueueSort(), ME)) == 1


def test_a_prefix_finds_words_indexed_after_an_earlier_search(
    engine: Engine, make_samples: MakeSamples
) -> None:
    # The search's first rows spell a prefix out as the indexed words it starts: words
    # indexed later must be found too, and the other words still have to match.
    make_samples([{"input_text": "zebra crossing"}, {"input_text": "zebra"}])
    ensure_search_index(engine)
    for text, count in (("zeb", 2), ("crossing zeb", 1), ("zebu", 0), ("Zebr", 2)):
        f = QueueFilter(status="all", text=text)
        assert len(queue.first_page(engine, f, QueueSort(), ME)) == count, text
    make_samples([{"input_text": "a zebu crossing"}, {"output": "zebus"}])
    ensure_search_index(engine)
    for text, count in (("zeb", 4), ("crossing zeb", 2), ("zebu", 2), ("zebus", 1)):
        f = QueueFilter(status="all", text=text)
        head = queue.first_page(engine, f, QueueSort(), ME)
        assert list(head) == list(queue.snapshot(engine, f, QueueSort(), ME)), text
        assert len(head) == count, text


@pytest.mark.parametrize("chunk", [250, 2])
def test_a_short_prefix_finds_its_first_rows_among_the_queues_rows(
    engine: Engine, make_samples: MakeSamples, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # "ka" starts more indexed words than the first page could spell out: the queue's
    # first rows are tested themselves (in chunks, with the index's tokenizer), and
    # must be exactly the snapshot's head; a word rare among them goes to the index.
    monkeypatch.setattr(queue, "_PROBE_CHUNK", chunk)
    many = " ".join(f"ka{i}" for i in range(queue.MAX_PREFIX_TERMS + 1))
    ids = make_samples(
        [
            {"input_text": many, "captured_at": at(1), "score": 0.2},
            {"input_text": "nothing", "output": "Kárate lesson", "captured_at": at(2)},
            {"input_text": "no match", "captured_at": at(3), "score": 0.9},
            {"input_text": "kayak trip", "captured_at": at(4), "score": 0.5},
            {"input_text": "plain", "captured_at": at(5), "score": 0.1},
        ]
    )
    ensure_search_index(engine)
    ReviewService(engine, reviewer=ME, device="d").submit(
        ReviewInput(ids[4], verdict=Verdict.BAD, correction="kale salad")
    )
    make_samples([{"input_text": "kangaroo", "captured_at": at(0)}])  # not indexed yet
    found = {}
    for text in ("ka", "k", "Ka", "trip ka", "kay", "kar", "zz"):
        for sort in (QueueSort(), QueueSort("score", descending=True)):
            f = QueueFilter(status="all", text=text)
            full = list(queue.snapshot(engine, f, sort, ME))
            for limit in (1, 2, 100):
                head = list(queue.first_page(engine, f, sort, ME, limit=limit))
                assert head == full[:limit], (text, sort, limit)
            found[text] = len(full)
    assert found == {"ka": 4, "k": 4, "Ka": 4, "trip ka": 1, "kay": 1, "kar": 1, "zz": 0}


def test_ensure_search_index_cancel_keeps_committed_chunks(
    engine: Engine, make_samples: MakeSamples
) -> None:
    make_samples([{"input_text": f"gamma {i}"} for i in range(10)])
    with pytest.raises(Cancelled):
        ensure_search_index(engine, Recorder(cancel_after=4), chunk=4)
    assert search_backlog(engine) == 6
    gamma = QueueFilter(status="all", text="gamma")
    assert len(queue.first_page(engine, gamma, QueueSort(), ME)) == 4
    assert ensure_search_index(engine, chunk=4) == 6
    assert len(queue.first_page(engine, gamma, QueueSort(), ME)) == 10


def test_read_only_engine_searches_what_is_indexed(
    engine: Engine, store_path: Path, make_samples: MakeSamples
) -> None:
    make_samples([{"input_text": "delta one"}])
    ensure_search_index(engine)
    make_samples([{"input_text": "delta two"}])
    reader = open_read_only(store_path)
    try:
        delta = QueueFilter(status="all", text="delta")
        assert len(queue.snapshot(reader, delta, QueueSort(), ME)) == 1
        assert len(queue.first_page(reader, delta, QueueSort(), ME)) == 1
        assert search_backlog(reader) == 1
    finally:
        reader.dispose()


def test_deleted_samples_leave_the_index_and_reused_rowids_are_indexed(
    engine: Engine, make_samples: MakeSamples
) -> None:
    ids = make_samples([{"input_text": "epsilon"}, {"input_text": "zeta"}])
    ensure_search_index(engine)
    with engine.begin() as conn:
        conn.execute(delete(Sample).where(Sample.id == ids[1]))
    (new,) = make_samples([{"input_text": "eta"}])
    with engine.connect() as conn:
        rowids = conn.execute(select(Sample.id)).scalars().all()
    assert len(rowids) == 2
    # "eta" may have the deleted sample's rowid: it must still get indexed.
    assert search_backlog(engine) == 1
    everything = QueueFilter(status="all")
    assert len(queue.snapshot(engine, everything, QueueSort(), ME)) == 2
    ensure_search_index(engine)
    assert len(queue.snapshot(engine, QueueFilter(status="all", text="zeta"), QueueSort(), ME)) == 0
    eta = queue.snapshot(engine, QueueFilter(status="all", text="eta"), QueueSort(), ME)
    assert list(eta) == [queue.rowids_of(engine, [new])[new]]


def test_queue_index_matches_the_migration_and_needs_no_sort(world: World) -> None:
    """The default order is a plain scan of ix_sample_queue: no sort step, no table reads."""
    with world.engine.connect() as conn:
        columns = [row[2] for row in conn.exec_driver_sql("PRAGMA index_info('ix_sample_queue')")]
    assert tuple(columns) == queue.QUEUE_INDEX_COLUMNS
    for filter in (
        QueueFilter(),
        QueueFilter(language="fr", model="a", signal="copied", score_min=0.2),
        QueueFilter(status="all", batch_id=world.second_batch, variant="A"),
    ):
        for descending in (False, True):
            sql, params = queue._queue_sql(filter, QueueSort(descending=descending), ME)
            with world.engine.connect() as conn:
                plan = " | ".join(
                    row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
                )
            assert "SCAN s USING COVERING INDEX ix_sample_queue" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "filter",
    [{}, {"language": "fr"}, {"status": "unreviewed"}, {"model": "a"}, {"score_min": 0.4}],
)
def test_model_sorted_head_is_the_snapshot_head(
    world: World, filter: dict[str, Any], descending: bool
) -> None:
    # first_page reads model by model (no sort of the store); select() checks that it
    # returns exactly the snapshot's head.
    world.select(QueueSort("model", descending=descending), **filter)


def test_cjk_words_are_found_inside_a_run_of_characters(
    engine: Engine, make_samples: MakeSamples
) -> None:
    ids = make_samples(
        [
            {"input_text": "我想申请退款发票", "output": "好的"},
            {"input_text": "請求書の再発行をお願いします", "output": "refund sent"},
            {"input_text": "hello", "output": "world"},
        ]
    )
    ensure_search_index(engine)
    ReviewService(engine, reviewer=ME, device="d").submit(
        ReviewInput(ids[2], verdict=Verdict.BAD, correction="退款已经处理")
    )
    rowids = queue.rowids_of(engine, ids)

    def found(text: str) -> set[int]:
        f = QueueFilter(status="all", text=text)
        result = queue.snapshot(engine, f, QueueSort(), ME)
        assert list(queue.first_page(engine, f, QueueSort(), ME)) == list(result)
        return {ids.index(i) for i, r in rowids.items() for x in result if x == r}

    assert found("发票") == {0}  # inside the run: unicode61 alone would miss it
    assert found("退款") == {0, 2}  # an input, and a correction
    assert found("再発行") == {1}
    assert found("refund 再発行") == {1}  # FTS word and CJK word together
    assert found("refund 发票") == set()


def test_a_cancelled_snapshot_stops_its_query(world: World) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        queue.snapshot(world.engine, QueueFilter(status="all"), QueueSort("model"), ME, token)
    assert len(queue.snapshot(world.engine, QueueFilter(status="all"), QueueSort(), ME)) == 6
