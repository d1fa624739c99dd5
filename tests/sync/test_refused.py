"""A reviewer whose local store holds work only a lead may share (an adjudication made
with `role: lead` in the local settings) syncs: the server's row-level security refuses
that row, and only that row. What the user sees: the sync finishes, says in plain words
what was refused and why (the server's reason at the end), the rest of the push goes
through, and the refused work stays in the local store, never silently dropped, counted
as refused (status bar, `redline sync status`) rather than pending. The next syncs do
not send it again (nor retry its chunk row by row) until she changes it; changed, it is
sent again: refused again, or taken once the team made her a lead.

A threshold decision a reviewer made on her own proposal is refused the same way, and
the server's rows replace it: the proposal (still proposed) and the policy whose
threshold the approval had moved, as the server decides proposals."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from pytestqt.qtbot import QtBot
from sqlalchemy import event, select, text
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records, shared_proposal

from redline import cli
from redline.commands.common import EXIT_OK
from redline.policies.service import (
    decide_proposal,
    list_policies,
    list_proposals,
)
from redline.profiles import put_profile
from redline.quality.disagreements import Adjudication, adjudicate
from redline.review.types import Verdict
from redline.roles import NotAllowed, Role
from redline.settings import Settings, save_settings
from redline.store.models import Policy, Review
from redline.sync.credentials import SESSION_PASSWORDS
from redline.sync.server import add_user
from redline.sync.service import pending_counts, sync_status
from redline.ui.changes import ChangeHub
from redline.ui.sync.status import SyncWidget
from redline.ui.tasks import TaskRunner


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _adjudicating_reviewer(make_machine: MakeMachine) -> tuple[Machine, Machine, uuid.UUID]:
    """ana imports and reviews; cleo (a reviewer on the server, "lead" in her local
    settings) reviews two samples and adjudicates a third. Returns (ana, cleo, the
    adjudicated sample)."""
    ana, cleo = make_machine("ana"), make_machine("cleo")
    ana.import_records(records(6))
    ids = ana.sample_ids()
    ana.review(ids[0], Verdict.GOOD)
    ana.sync()
    cleo.sync()
    cleo.review(ids[1], Verdict.GOOD)
    cleo.review(ids[2], Verdict.BAD)
    adjudicate(
        cleo.store,
        Adjudication(sample_id=ids[0], verdict=Verdict.BAD, note="final: it is wrong"),
        lead=cleo.user,
        role=Role.LEAD,  # what her local settings say; the server knows better
        device=cleo.device,
    )
    return ana, cleo, ids[0]


def _server_reviews(shared_db: SharedDb, reviewer: str) -> list[tuple[str, bool]]:
    with shared_db.admin.connect() as conn:
        return [
            (str(sample_id), bool(adjudicated))
            for sample_id, adjudicated in conn.execute(
                text(
                    "SELECT sample_id, adjudicated FROM review WHERE reviewer = :r "
                    "ORDER BY sample_id"
                ),
                {"r": reviewer},
            )
        ]


def _adjudication(machine: Machine, sample_id: uuid.UUID) -> Review:
    with machine.store.connect() as conn:
        row = conn.execute(
            select(Review).where(Review.sample_id == sample_id, Review.reviewer == machine.user)
        ).one()
    return row  # type: ignore[return-value]


@contextlib.contextmanager
def _review_inserts(machine: Machine) -> Iterator[list[str]]:
    """The statements of `machine`'s syncs that write reviews on the server."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO REVIEW "):
            seen.append(statement)

    event.listen(machine.shared, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(machine.shared, "before_cursor_execute", record)


REFUSED_ADJUDICATION = (
    "your adjudication of sample r00000 was refused by the shared database: "
    "only leads may adjudicate"
)


def test_a_refused_adjudication_is_named_kept_and_not_sent_again_until_changed(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, cleo, disputed = _adjudicating_reviewer(make_machine)
    report = cleo.sync()

    # The one refused row is named for people, with the server's reason at the end.
    (refused,) = report.refused
    assert refused.startswith(REFUSED_ADJUDICATION + " (")
    assert "row-level security" in refused
    # The rest of the push went through.
    assert report.pushed.get("review") == 2
    assert len(_server_reviews(shared_db, cleo.user)) == 2
    assert all(not adjudicated for _, adjudicated in _server_reviews(shared_db, cleo.user))
    # Her adjudication is kept, counted as refused (not pending: sending it again
    # unchanged would only be refused again).
    adjudication = _adjudication(cleo, disputed)
    assert adjudication.adjudicated and adjudication.dirty
    assert adjudication.note == "final: it is wrong"
    status = sync_status(cleo.store, cleo.profile)
    assert (status.pending, status.refused) == ({}, (REFUSED_ADJUDICATION,))

    # The next syncs do not send it: new work in its chunk goes in one statement (no
    # row-by-row retry), and a sync with nothing new writes no review at all.
    ids = ana.sample_ids()
    cleo.review(ids[3], Verdict.UNSURE)
    assert pending_counts(cleo.store, cleo.profile) == {"review": 1}
    with _review_inserts(cleo) as inserts:
        again = cleo.sync()
        assert (again.refused, again.pushed.get("review")) == ([], 1)
        assert len(inserts) == 1 and "redline_push_review" in inserts[0]
        inserts.clear()
        assert cleo.sync().refused == []
        assert inserts == []
    assert len(_server_reviews(shared_db, cleo.user)) == 3
    status = sync_status(cleo.store, cleo.profile)
    assert (status.pending, status.refused) == ({}, (REFUSED_ADJUDICATION,))
    # Others never see it; ana's own review of that sample is untouched.
    ana.sync()
    assert ana.count(Review) == 4

    # Changed, it is sent again: refused again while she is a reviewer on the server...
    _adjudicate(cleo, disputed, "final: still wrong")
    # (the previous revision goes to history, as any edit's does)
    assert pending_counts(cleo.store, cleo.profile) == {"review": 1, "review_history": 1}
    (refused,) = cleo.sync().refused
    assert refused.startswith(REFUSED_ADJUDICATION)
    assert sync_status(cleo.store, cleo.profile).refused == (REFUSED_ADJUDICATION,)
    # ...and taken once the team made her a lead.
    add_user(shared_db.admin, cleo.user, "lead", cleo.password, reset_password=True)
    _adjudicate(cleo, disputed, "final: wrong, as a lead")
    assert cleo.sync().refused == []
    assert (disputed.hex, True) in [
        (uuid.UUID(s).hex, a) for s, a in _server_reviews(shared_db, cleo.user)
    ]
    status = sync_status(cleo.store, cleo.profile)
    assert (status.pending, status.refused) == ({}, ())
    assert not _adjudication(cleo, disputed).dirty


def _adjudicate(machine: Machine, sample_id: uuid.UUID, note: str) -> None:
    adjudicate(
        machine.store,
        Adjudication(sample_id=sample_id, verdict=Verdict.BAD, note=note),
        lead=machine.user,
        role=Role.LEAD,
        device=machine.device,
    )


@pytest.mark.usefixtures("no_keyring")
def test_the_command_line_says_what_the_server_refused(
    make_machine: MakeMachine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, cleo, _ = _adjudicating_reviewer(make_machine)
    settings = Settings(reviewer=cleo.user, role="lead", device=cleo.device)
    put_profile(settings, cleo.profile)
    save_settings(settings)
    store = ["--store", str(cleo.path)]

    def sync() -> tuple[str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(cleo.password + "\n"))
        assert cli.main(["sync", "--password-stdin", *store]) == EXIT_OK
        out = capsys.readouterr()
        assert cleo.password not in out.out + out.err
        return out.out, out.err

    capsys.readouterr()
    out, err = sync()
    assert "pushed 2" in out
    assert f"refused: {REFUSED_ADJUDICATION} (" in err
    assert "row-level security" in err
    # The next sync sends nothing, and says what is still kept here.
    out, err = sync()
    assert "pushed 0" in out
    assert "1 change the shared database refused is kept here" in err
    assert cli.main(["sync", "status", *store]) == EXIT_OK
    out = capsys.readouterr().out
    assert "pending: 0" in out
    assert f"refused: 1\n  {REFUSED_ADJUDICATION}\n" in out


@pytest.mark.usefixtures("no_keyring")
def test_the_status_bar_says_what_the_server_refused(
    qtbot: QtBot, make_machine: MakeMachine
) -> None:
    _, cleo, _ = _adjudicating_reviewer(make_machine)
    settings = Settings(reviewer=cleo.user, role="lead", device=cleo.device)
    put_profile(settings, cleo.profile)
    SESSION_PASSWORDS.put(cleo.profile, cleo.password)
    runner, hub = TaskRunner(), ChangeHub()
    try:
        widget = SyncWidget(engine=cleo.store, settings=settings, runner=runner, hub=hub)
        qtbot.addWidget(widget)
        qtbot.waitUntil(lambda: "3 pending" in widget.label.text())
        task = widget.sync_now()
        assert task is not None
        with qtbot.waitSignal(task.signals.finished, timeout=30_000):
            pass
        qtbot.waitUntil(lambda: "0 pending · 1 refused" in widget.label.text())
        assert REFUSED_ADJUDICATION in widget.label.toolTip()
        assert "row-level security" in widget.label.toolTip()  # the server's words
        # Started again (a new session), the status bar still says it, without syncing.
        later = SyncWidget(engine=cleo.store, settings=settings, runner=runner, hub=hub)
        qtbot.addWidget(later)
        qtbot.waitUntil(lambda: "0 pending · 1 refused" in later.label.text())
        assert REFUSED_ADJUDICATION in later.label.toolTip()
    finally:
        runner.shutdown()
        SESSION_PASSWORDS.forget(cleo.profile)


def _reviewer_decides(make_machine: MakeMachine) -> tuple[Machine, uuid.UUID]:
    """cleo (a reviewer) proposes a threshold for lena's policy, shares the proposal,
    then approves it herself (her local settings say "lead", which the studio and
    `decide_proposal` believe), not synced yet."""
    lena, cleo = make_machine("lena", "lead"), make_machine("cleo")
    proposal = shared_proposal(lena, cleo, rationale="more volume")
    # With her true role, the store itself refuses the decision.
    with pytest.raises(NotAllowed, match="only leads may decide"):
        decide_proposal(
            cleo.store, proposal.id, approve=True, decider=cleo.user, role=Role.REVIEWER
        )
    decide_proposal(cleo.store, proposal.id, approve=True, decider=cleo.user, role=Role.LEAD)
    (moved,) = list_policies(cleo.store)
    assert moved.threshold == 0.7
    return cleo, proposal.id


def _decided_by_a_reviewer(make_machine: MakeMachine) -> tuple[Machine, uuid.UUID, list[str]]:
    """`_reviewer_decides`, then her sync's refusals."""
    cleo, proposal_id = _reviewer_decides(make_machine)
    return cleo, proposal_id, cleo.sync().refused


REFUSED_DECISION = (
    "your decision (approved) on the proposal to move the threshold of policy 'auto-send' "
    "0.8 → 0.7 was refused by the shared database and undone here (the shared version "
    "was restored): only leads may decide threshold proposals ("
)


def test_a_reviewers_decision_on_her_proposal_is_refused_by_name_and_undone(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    cleo, proposal_id, refused = _decided_by_a_reviewer(make_machine)
    (line,) = refused
    assert line.startswith(REFUSED_DECISION)
    assert "row-level security" in line
    # The server decides proposals: its row (still proposed) replaces the local decision,
    # so the refusal is reported once and the next sync has nothing to retry.
    with shared_db.admin.connect() as conn:
        assert conn.execute(text("SELECT status FROM threshold_proposal")).scalar_one() == (
            "proposed"
        )
    (local,) = list_proposals(cleo.store)
    assert (local.id, local.status, local.decider) == (proposal_id, "proposed", None)
    assert cleo.sync().refused == []
    status = sync_status(cleo.store, cleo.profile)
    assert (status.pending, status.refused) == ({}, ())


def test_a_refused_decision_leaves_the_local_policy_as_the_team_has_it(
    make_machine: MakeMachine,
) -> None:
    cleo, _, _ = _decided_by_a_reviewer(make_machine)
    # The approval had moved the local threshold (0.8 -> 0.7); the refusal restores the
    # team's policy too, clean, so nothing here acts on 0.7.
    (policy,) = list_policies(cleo.store)
    assert policy.threshold == 0.8
    with cleo.store.connect() as conn:
        assert conn.execute(select(Policy.dirty)).scalar_one() is False
    cleo.sync()
    (policy,) = list_policies(cleo.store)
    assert policy.threshold == 0.8


@pytest.mark.usefixtures("no_keyring")
def test_the_status_bar_says_a_refused_decision_was_undone(
    qtbot: QtBot, make_machine: MakeMachine
) -> None:
    cleo, _ = _reviewer_decides(make_machine)
    settings = Settings(reviewer=cleo.user, role="lead", device=cleo.device)
    put_profile(settings, cleo.profile)
    SESSION_PASSWORDS.put(cleo.profile, cleo.password)
    runner, hub = TaskRunner(), ChangeHub()
    try:
        widget = SyncWidget(engine=cleo.store, settings=settings, runner=runner, hub=hub)
        qtbot.addWidget(widget)
        task = widget.sync_now()
        assert task is not None
        with qtbot.waitSignal(task.signals.finished, timeout=30_000):
            pass
        qtbot.waitUntil(lambda: "0 pending · 1 refused" in widget.label.text())
        assert widget.label.toolTip().startswith(REFUSED_DECISION)
    finally:
        runner.shutdown()
        SESSION_PASSWORDS.forget(cleo.profile)
