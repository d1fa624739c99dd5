"""Push and pull against the real server, with local stores as reviewers' machines."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import Engine, func, select, text
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records

from redline.demo import create_demo
from redline.review import queue
from redline.review.types import QueueFilter, QueueSort, Verdict
from redline.store.models import Batch, Review, ReviewHistory, Sample
from redline.sync.service import sync_status


def _server_count(shared_db: SharedDb, table: str, where: str = "true") -> int:
    with shared_db.admin.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one())


def _reviews(machine: Machine) -> set[tuple[str, str, str | None, bool]]:
    with machine.store.connect() as conn:
        rows = conn.execute(
            select(Sample.external_id, Review.reviewer, Review.verdict, Review.deleted).join(
                Sample, Sample.id == Review.sample_id
            )
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def test_two_reviewers_converge(shared_db: SharedDb, make_machine: MakeMachine) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(30))
    ids = ana.sample_ids()
    for sample_id in ids[:10]:
        ana.review(sample_id, Verdict.GOOD)
    assert sync_status(ana.store, ana.profile).pending == {"batch": 1, "sample": 30}

    report = ana.sync()
    assert report.pushed == {"batch": 1, "sample": 30, "review": 10}
    assert sync_status(ana.store, ana.profile).pending == {}

    ben.sync()
    assert ben.count(Sample) == 30 and ben.count(Batch) == 1
    # Pulled samples are in ben's queue and found by search.
    snapshot = queue.snapshot(ben.store, QueueFilter(text="invoices"), QueueSort(), ben.user)
    assert len(snapshot) == 30
    unreviewed = queue.snapshot(ben.store, QueueFilter(status="unreviewed"), QueueSort(), ben.user)
    assert len(unreviewed) == 30
    for sample_id in ben.sample_ids()[5:15]:
        ben.review(sample_id, Verdict.BAD)
    ben.sync()
    ana.sync()

    assert _reviews(ana) == _reviews(ben)
    assert len(_reviews(ana)) == 20
    assert _server_count(shared_db, "review") == 20
    assert _server_count(shared_db, "sample") == 30
    # Nothing left to push, and a second sync moves nothing.
    again = ana.sync()
    assert again.total_pushed == 0 and again.total_pulled == 0


def test_an_undone_review_syncs_as_a_tombstone(make_machine: MakeMachine) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(3))
    first = ana.sample_ids()[0]
    service = ana.reviews()
    from redline.review.types import ReviewInput

    service.submit(ReviewInput(first, verdict=Verdict.GOOD))
    ana.sync()
    ben.sync()
    assert (first.hex and len(_reviews(ben))) == 1
    service.undo()
    ana.sync()
    ben.sync()
    # Ben sees the withdrawal: the review is a tombstone, so the sample is unreviewed.
    assert _reviews(ben) == {("r00000", ana.user, "good", True)}
    with ben.store.connect() as conn:
        reviewed = conn.execute(
            select(func.count()).select_from(Review).where(Review.deleted.is_(False))
        ).scalar_one()
    assert reviewed == 0


def test_the_same_reviewer_on_two_machines_keeps_the_losing_revision(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    laptop = make_machine("ana")
    desktop = make_machine("ana", login=(laptop.profile, laptop.password))
    laptop.import_records(records(2))
    laptop.sync()
    desktop.sync()
    sample = laptop.sample_ids()[0]
    laptop.review(sample, Verdict.GOOD, note="from the laptop")
    desktop.review(sample, Verdict.BAD, note="from the desktop")  # later: wins the tie
    laptop.sync()
    desktop.sync()
    laptop.sync()

    for machine in (laptop, desktop):
        assert _reviews(machine) == {("r00000", laptop.user, "bad", False)}
    # The laptop's revision is not lost: it is in history, on the server and both machines.
    for machine in (laptop, desktop):
        with machine.store.connect() as conn:
            notes = set(conn.execute(select(ReviewHistory.note, ReviewHistory.reason)).all())
        assert ("from the laptop", "conflict") in notes
    assert _server_count(shared_db, "review") == 1


def test_demo_data_is_not_pushed(shared_db: SharedDb, make_machine: MakeMachine) -> None:
    ana = make_machine("ana")
    create_demo(ana.store, count=200, seed=1, work_dir=ana.path.parent / "demo")
    ana.import_records(records(4))
    ana.sync()
    assert _server_count(shared_db, "sample") == 4
    assert _server_count(shared_db, "review") == 0
    assert _server_count(shared_db, "batch", "source = 'demo-production'") == 0


def test_eight_machines_sync_concurrently_and_converge(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    machines = [make_machine(f"r{i}") for i in range(8)]
    machines[0].import_records(records(40))
    machines[0].sync()
    for machine in machines[1:]:
        machine.sync()
    for i, machine in enumerate(machines):
        for sample_id in machine.sample_ids()[i * 3 : i * 3 + 12]:
            machine.review(sample_id, Verdict.GOOD if i % 2 else Verdict.BAD)
    errors: list[BaseException] = []

    def run(machine: Machine) -> None:
        try:
            machine.sync()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in machines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for machine in machines:
        machine.sync()
    assert _server_count(shared_db, "review") == 8 * 12
    expected = _reviews(machines[0])
    assert len(expected) == 8 * 12
    for machine in machines[1:]:
        assert _reviews(machine) == expected
        assert machine.count(Sample) == 40


def test_samples_imported_on_two_machines_become_one(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(5))
    ben.import_records(records(5))  # the same file: same source and external ids
    ben.review(ben.sample_ids()[0], Verdict.BAD)
    ana.sync()
    ben.sync()
    ana.sync()
    assert _server_count(shared_db, "sample") == 5
    assert ana.sample_ids() == ben.sample_ids()
    assert _reviews(ana) == {("r00000", ben.user, "bad", False)}
    # Each record belongs to the batch that reached the server first, on every store:
    # filtering ben's queue by ana's import shows the five samples there too.
    ana_batch = _batches(ana)
    assert _batches(ben) == ana_batch and len(set(ana_batch.values())) == 1
    (batch_id,) = set(ana_batch.values())
    assert isinstance(batch_id, uuid.UUID)
    batch_filter = QueueFilter(status="all", batch_id=batch_id)
    assert len(queue.snapshot(ben.store, batch_filter, QueueSort(), ben.user)) == 5


def _batches(machine: Machine) -> dict[str, object]:
    with machine.store.connect() as conn:
        return dict(conn.execute(select(Sample.external_id, Sample.batch_id)).all())


def _store_unchanged(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Review)).scalar_one())
