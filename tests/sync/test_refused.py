"""A reviewer whose local store holds work only a lead may share (an adjudication made
with `role: lead` in the local settings) syncs: the server's row-level security refuses
that row, and only that row. What the user sees: the sync finishes, says which row was
refused and why, the rest of the push goes through, the refused work stays in the
local store (pending, never silently dropped), and the next sync neither hangs nor
doubles anything; it reports the refusal again, each time.

A threshold decision a reviewer made on her own proposal is refused the same way, and
the server's row (still proposed) replaces it, as the server decides proposals.

Two gaps are kept as strict xfails for the issue note: the status bar never shows a
refusal, and a refused decision leaves the local policy at the threshold it approved."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records

from redline import cli
from redline.policies.service import (
    PolicyDraft,
    create_policy,
    create_proposal,
    decide_proposal,
    list_policies,
    list_proposals,
)
from redline.prompts.rules import Role
from redline.quality.disagreements import Adjudication, adjudicate
from redline.review.types import Verdict
from redline.settings import Settings, save_settings
from redline.store.models import Review
from redline.sync.credentials import SESSION_PASSWORDS
from redline.sync.profiles import put_profile
from redline.sync.service import pending_counts
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


def test_a_refused_adjudication_is_named_the_rest_goes_through_and_it_stays_local(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, cleo, disputed = _adjudicating_reviewer(make_machine)
    report = cleo.sync()

    # The one refused row is named, with the server's reason.
    assert len(report.refused) == 1, report.refused
    refused = report.refused[0]
    adjudication = _adjudication(cleo, disputed)
    assert refused.startswith(f"review {adjudication.id}: ")
    assert "row-level security" in refused
    # The rest of the push went through.
    assert report.pushed.get("review") == 2
    assert len(_server_reviews(shared_db, cleo.user)) == 2
    assert all(not adjudicated for _, adjudicated in _server_reviews(shared_db, cleo.user))
    # Her adjudication is kept, still waiting to be shared (so the status bar counts it).
    assert adjudication.adjudicated and adjudication.dirty
    assert adjudication.note == "final: it is wrong"
    assert pending_counts(cleo.store, cleo.profile) == {"review": 1}

    # The next syncs finish, refuse the same row again (and only it), double nothing.
    ids = ana.sample_ids()
    cleo.review(ids[3], Verdict.UNSURE)  # new work in the same chunk as the refused row
    again = cleo.sync()
    assert again.refused == [refused]
    assert again.pushed.get("review") == 1
    assert cleo.sync().refused == [refused]
    assert len(_server_reviews(shared_db, cleo.user)) == 3
    assert pending_counts(cleo.store, cleo.profile) == {"review": 1}
    assert _adjudication(cleo, disputed).adjudicated
    # Others never see it; ana's own review of that sample is untouched.
    ana.sync()
    assert ana.count(Review) == 4


@pytest.mark.usefixtures("no_keyring")
def test_the_command_line_says_what_the_server_refused(
    make_machine: MakeMachine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, cleo, disputed = _adjudicating_reviewer(make_machine)
    settings = Settings(reviewer=cleo.user, role="lead", device=cleo.device)
    put_profile(settings, cleo.profile)
    save_settings(settings)
    monkeypatch.setattr("sys.stdin", io.StringIO(cleo.password + "\n"))
    capsys.readouterr()
    assert cli.main(["sync", "--password-stdin", "--store", str(cleo.path)]) == cli.EXIT_OK
    out = capsys.readouterr()
    adjudication = _adjudication(cleo, disputed)
    assert "pushed 2" in out.out
    assert f"refused by the server: review {adjudication.id}: " in out.err
    assert "row-level security" in out.err
    assert cleo.password not in out.out + out.err


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
        task = widget.sync_now()
        assert task is not None
        with qtbot.waitSignal(task.signals.finished, timeout=30_000):
            pass
        qtbot.waitUntil(lambda: "1 pending" in widget.label.text())
        shown = widget.label.text() + " " + widget.label.toolTip()
        assert "refused" in shown, shown
    finally:
        runner.shutdown()
        SESSION_PASSWORDS.forget(cleo.profile)


def _decided_by_a_reviewer(make_machine: MakeMachine) -> tuple[Machine, uuid.UUID, list[str]]:
    """cleo (a reviewer) proposes a threshold for lena's policy, shares the proposal,
    then approves it herself (nothing local stops her); the sync's refusals."""
    lena, cleo = make_machine("lena", "lead"), make_machine("cleo")
    create_policy(lena.store, PolicyDraft("auto-send", 0.8), created_by=lena.user)
    lena.sync()
    cleo.sync()
    (policy,) = list_policies(cleo.store)
    proposal = create_proposal(
        cleo.store,
        policy,
        segment=None,
        new_value=0.7,
        rationale="more volume",
        evidence={},
        proposer=cleo.user,
    )
    cleo.sync()
    decide_proposal(cleo.store, proposal.id, approve=True, decider=cleo.user)
    return cleo, proposal.id, cleo.sync().refused


def test_a_reviewers_decision_on_her_proposal_is_refused_by_name_and_undone(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    cleo, proposal_id, refused = _decided_by_a_reviewer(make_machine)
    assert len(refused) == 1
    assert refused[0].startswith(f"threshold_proposal {proposal_id}: ")
    assert "row-level security" in refused[0]
    # The server decides proposals: its row (still proposed) replaces the local decision,
    # so the refusal is reported once and the next sync has nothing to retry.
    with shared_db.admin.connect() as conn:
        assert conn.execute(text("SELECT status FROM threshold_proposal")).scalar_one() == (
            "proposed"
        )
    (local,) = list_proposals(cleo.store)
    assert (local.status, local.decider) == ("proposed", None)
    assert cleo.sync().refused == []


@pytest.mark.xfail(
    reason="the refused approval already moved the local policy's threshold (0.8 -> 0.7); "
    "the proposal is restored from the server but the policy is not, and a reviewer "
    "never pushes policies, so this store keeps 0.7 with nothing pending and no "
    "message (see the issue #4 note)",
    strict=True,
)
def test_a_refused_decision_leaves_the_local_policy_as_the_team_has_it(
    make_machine: MakeMachine,
) -> None:
    cleo, _, _ = _decided_by_a_reviewer(make_machine)
    cleo.sync()
    (policy,) = list_policies(cleo.store)
    assert policy.threshold == 0.8
