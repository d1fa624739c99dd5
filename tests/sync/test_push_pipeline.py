"""The push overlaps the local store's work with the server's (two chunks in flight) and
the server draws `seq` from a column default under a lock taken once per statement
(server objects v4). What a user relies on stays: a cancel or a refused row in the
middle of a push loses and doubles nothing, the server alone numbers the changes, an
older server is upgraded by `shared init`, and a review overwritten from another
device keeps every column in history (the pairwise choice of migration 0006 too)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records

from redline.errors import RedlineError
from redline.progress import Cancelled
from redline.review.pairwise import Preference, record_preference
from redline.review.types import Verdict
from redline.sync import service
from redline.sync.server import SEQ_TABLES, SERVER_OBJECTS_VERSION, server_objects_version
from redline.sync.shared import init_shared

PERMISSION_DENIED = "42501"


class CancelAfterChunks:
    """A progress whose user presses Cancel once `chunks` chunks of reviews were pushed."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.seen = 0

    def update(self, done: int, total: int, text: str = "") -> None:
        if text == "pushing review":
            self.seen += 1

    def cancelled(self) -> bool:
        return self.seen >= self.chunks


def _server_ids(shared_db: SharedDb, table: str) -> set[str]:
    with shared_db.admin.connect() as conn:
        return {r[0].hex for r in conn.execute(text(f"SELECT id FROM {table}"))}


def _local(machine: Machine, sql: str) -> set[str]:
    with machine.store.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql(sql)}


def _reviewed(make_machine: MakeMachine, n: int) -> Machine:
    ana = make_machine("ana")
    ana.import_records(records(n))
    ana.sync()
    for sample_id in ana.sample_ids():
        ana.review(sample_id, Verdict.GOOD)
    return ana


def test_a_cancelled_push_leaves_nothing_half_sent_and_the_next_sync_finishes(
    shared_db: SharedDb, make_machine: MakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PUSH_CHUNK", 2)
    ana = _reviewed(make_machine, 10)

    with pytest.raises(Cancelled):
        ana.sync(progress=CancelAfterChunks(2))

    clean = _local(ana, "SELECT id FROM review WHERE dirty = 0")
    # The chunk in flight when Cancel came was rolled back: the server holds exactly
    # the reviews marked clean here, and the rest waits for the next sync.
    assert len(clean) == 6
    assert _server_ids(shared_db, "review") == clean
    assert service.pending_counts(ana.store, ana.profile) == {"review": 4}
    ana.sync()
    assert len(_server_ids(shared_db, "review")) == 10
    assert service.pending_counts(ana.store, ana.profile) == {}


def test_a_refused_review_in_the_middle_of_a_push_is_named_and_the_rest_goes_through(
    shared_db: SharedDb, make_machine: MakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PUSH_CHUNK", 2)
    ana = _reviewed(make_machine, 9)
    # An adjudication (lead only) in the third of five chunks, the next one in flight.
    middle = sorted(_local(ana, "SELECT id FROM review"))[4]
    with ana.store.begin() as conn:
        conn.exec_driver_sql("UPDATE review SET adjudicated = 1 WHERE id = ?", (middle,))

    (external_id,) = _local(
        ana,
        "SELECT external_id FROM sample JOIN review ON review.sample_id = sample.id "
        f"WHERE review.id = '{middle}'",
    )
    for attempt in range(2):  # and again: not sent, nothing doubled
        report = ana.sync()
        if attempt == 0:
            (line,) = report.refused
            assert line.startswith(f"your adjudication of sample {external_id} was refused")
        else:
            assert report.refused == []
        assert _server_ids(shared_db, "review") == _local(
            ana, "SELECT id FROM review WHERE dirty = 0"
        )
        assert len(_server_ids(shared_db, "review")) == 8
        assert _local(ana, "SELECT id FROM review WHERE dirty = 1") == {middle}
        status = service.sync_status(ana.store, ana.profile)
        assert status.pending == {} and len(status.refused) == 1


def _reviewer_engine(shared_db: SharedDb, machine: Machine) -> Engine:
    return shared_db.raw_as(machine.profile, machine.password)


def test_only_the_server_numbers_changes(shared_db: SharedDb, make_machine: MakeMachine) -> None:
    ana = _reviewed(make_machine, 3)
    ana.sync()
    with shared_db.admin.connect() as conn:
        seqs = sorted(r[0] for r in conn.execute(text("SELECT seq FROM review")))
    assert len(seqs) == 3 and len(set(seqs)) == 3 and seqs[0] > 0
    sample = ana.sample_ids()[0]
    reviewer = _reviewer_engine(shared_db, ana)
    # Raw SQL over the reviewer's login: naming `seq` on INSERT is refused...
    with pytest.raises(DBAPIError) as caught, reviewer.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO review (id, created_at, updated_at, revision, dirty, seq, "
                "sample_id, reviewer, verdict, categories, note, flagged, time_spent_ms, "
                "device, adjudicated, deleted) VALUES (gen_random_uuid(), now(), now(), 1, "
                "false, 1, :s, current_user, 'bad', '[]', '', false, 0, 'x', false, false)"
            ),
            {"s": sample},
        )
    assert getattr(caught.value.orig, "sqlstate", "") == PERMISSION_DENIED
    # ... and an UPDATE that sets it gets the next number of the server's sequence.
    with reviewer.begin() as conn:
        conn.execute(
            text("UPDATE review SET seq = 1, note = 'edited' WHERE sample_id = :s"), {"s": sample}
        )
    with shared_db.admin.connect() as conn:
        edited = conn.execute(text("SELECT seq FROM review WHERE sample_id = :s"), {"s": sample})
        assert edited.scalar_one() > seqs[-1]


def _make_v3(admin: Engine) -> None:
    """Put the server objects back as v3 made them: a row trigger numbering inserts."""
    with admin.begin() as conn:
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION redline_set_seq() RETURNS trigger "
                "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$ "
                "BEGIN PERFORM pg_advisory_xact_lock(7245101); "
                "NEW.seq := nextval('redline_change_seq'); NEW.dirty := false; RETURN NEW; "
                "END $$"
            )
        )
        for table in SEQ_TABLES:
            if table == "audit_event":
                continue
            conn.execute(text(f"DROP TRIGGER redline_lock ON {table}"))
            conn.execute(text(f"DROP TRIGGER redline_seq ON {table}"))
            conn.execute(
                text(
                    f"CREATE TRIGGER redline_seq BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION redline_set_seq()"
                )
            )
            conn.execute(
                text(
                    f"ALTER TABLE {table} ALTER COLUMN seq DROP DEFAULT, "
                    "ALTER COLUMN dirty DROP DEFAULT"
                )
            )
        conn.execute(text("GRANT INSERT ON review TO redline_reviewer"))
        conn.execute(text("UPDATE redline_server SET value = '3' WHERE key = 'objects_version'"))


def test_shared_init_upgrades_a_v3_server_and_sync_goes_on(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = _reviewed(make_machine, 4)
    _make_v3(shared_db.admin)
    with pytest.raises(RedlineError, match="older schema"):
        ana.sync()

    init_shared(shared_db.admin, where=shared_db.name)

    with shared_db.admin.connect() as conn:
        assert server_objects_version(conn) == SERVER_OBJECTS_VERSION >= 4
        triggers = set(
            conn.execute(
                text(
                    "SELECT tgname, tgtype FROM pg_trigger "
                    "WHERE tgrelid = 'review'::regclass AND NOT tgisinternal"
                )
            ).all()
        )
    # pg_trigger.tgtype bits: 1 row-level, 2 before, 4 insert, 16 update.
    assert ("redline_seq", 1 | 2 | 16) in triggers  # numbers updated rows only
    assert ("redline_lock", 2 | 4 | 16) in triggers  # once per statement
    ana.sync()
    with shared_db.admin.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM review"))]
    assert len(seqs) == 4 and None not in seqs and len(set(seqs)) == 4


def test_an_overwritten_pairwise_choice_is_kept_in_the_server_history(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    laptop = make_machine("ana")
    desktop = make_machine("ana", login=(laptop.profile, laptop.password))
    laptop.import_records(records(2))
    laptop.sync()
    desktop.sync()
    baseline, candidate = laptop.sample_ids()
    for machine, choice in ((laptop, Preference.CANDIDATE), (desktop, Preference.TIE)):
        record_preference(
            machine.store, candidate, baseline, choice, reviewer=machine.user,
            device=machine.device, time_ms=1_200,
        )  # fmt: skip
    laptop.sync()
    desktop.sync()  # the later choice wins; the server keeps the laptop's in history

    with shared_db.admin.connect() as conn:
        kept = conn.execute(
            text(
                "SELECT preference, compared_sample_id, preference_ms, device, reason, seq "
                "FROM review_history"
            )
        ).one()
        current = conn.execute(text("SELECT preference FROM review")).scalar_one()
    assert current == "tie"
    assert tuple(kept[:5]) == ("candidate", baseline, 1_200, laptop.device, "conflict")
    assert kept.seq is not None


def test_an_offline_pairwise_choice_that_loses_is_kept_in_history(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    laptop = make_machine("ana")
    desktop = make_machine("ana", login=(laptop.profile, laptop.password))
    laptop.import_records(records(2))
    laptop.sync()
    desktop.sync()
    baseline, candidate = laptop.sample_ids()
    # Only the choice differs: the laptop's (offline, earlier) loses to the desktop's.
    for machine, choice in ((laptop, Preference.CANDIDATE), (desktop, Preference.TIE)):
        record_preference(
            machine.store, candidate, baseline, choice, reviewer=machine.user,
            device=machine.device, time_ms=900,
        )  # fmt: skip
    desktop.sync()
    report = laptop.sync()
    assert report.conflicts == 1
    laptop.sync()  # the kept revision goes to the server like any history row

    with laptop.store.connect() as conn:
        here = conn.execute(
            text("SELECT preference, compared_sample_id, reason FROM review_history")
        ).all()
    assert [(p, c, r) for p, c, r in here] == [("candidate", baseline.hex, "conflict")]
    with shared_db.admin.connect() as conn:
        there = conn.execute(text("SELECT preference, reason FROM review_history")).all()
        current = conn.execute(text("SELECT preference FROM review")).scalar_one()
    assert ("candidate", "conflict") in {tuple(r) for r in there}
    assert current == "tie"
