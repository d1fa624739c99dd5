"""Sync integrity tried as a hostile team member would (issue #19), against the real
PostgreSQL server. Attacks that are SQL run as raw SQL over the attacker's own login;
the victim syncs through the app.

What was tried, and what must happen:

- Group roles (item 6): `redline_reviewer` / `redline_lead` cannot log in (NOLOGIN, kept
  so by `shared init`); a reviewer who `SET ROLE redline_reviewer` (a lead:
  `redline_lead`) and writes a review under the group's name is refused (row-level
  security names the login, `session_user`), and what she writes under her own name
  is still hers.
- A held change lock (item 7): a session holding `pg_advisory_xact_lock(7245101)` (the
  lock every writer takes) makes another reviewer's sync fail within seconds
  (lock_timeout) with "the shared database is busy (...)", nothing pushed or lost; once
  the lock is released the same sync goes through.
- `shared add-user` (item 8): with `log_statement = ddl` the server log shows the
  CREATE ROLE but never the password (a client-side SCRAM-SHA-256 verifier is sent), and
  the login works with the password (a non-ASCII one too: SASLprep as the server does
  it); an existing login is refused without `--reset-password`, its password unchanged;
  with it, the owner or a superuser is still refused.
- Client revisions (item 4): a reviewer sets `revision = 2147483647` (the end of the
  integer range) or `1000000` on her own open proposal: refused (check_violation: the
  table's CHECK bound, the trigger's bound on one write's jump), and the lead who
  decided it meanwhile syncs and her decision is on the server. A small bump the
  server allows still makes the lead's decision lose, but never silently: the sync
  report says it was not taken, the proposal is open again here, deciding again works.
- Lead rules (item 3), raw SQL over a lead's own login: a draft set straight to
  deployed, approved or retired, an approved version sent back to review, a version
  inserted as deployed: refused (SQLSTATE 23R01, the server's rule triggers). No one
  approves or deploys a prompt version they wrote, nor decides their own threshold
  proposal, whatever approver / decider name the row carries; another lead's approval
  or decision is stored under his login whatever name he sent (the approval's audit
  event holds the hash of the exact content approved), and the approver or
  decider is never rewritten afterwards, nor a decided proposal reopened. Through the
  app: a lead whose settings name another lead approves her own version locally; the
  push refuses that row (one line in the report naming the rule, nothing crashes, the
  shared version restored here) and the real other lead's approval goes through. A
  submitted version's template, parameters, tools, variables and author are frozen
  (refused for author and lead alike); a draft is still edited by its author.
- Ordinary prompt work (item 1): a lead writes v1 and v2 (v2's parent is v1), another
  lead approves v1 (which moves it after v2 in the change sequence); a new store pulls
  both, in one page or a page per row (a parent the page lacks is fetched with it).
- Values the server cannot store (item 5): a sample with a NUL in its text, one with a
  token count of 2^31, and a review note with a NUL import and save fine locally; the
  sync refuses exactly those rows (named in the report and in `sync status`, kept
  here), pushes everything else, and the next sync is not blocked by them; a teammate
  pulls the rest.
- Smaller (item 12): another local user reading the store or the logs: a new store file
  (and its WAL) is 0600 and its dir 0700, an existing 0644 store is tightened to 0600 on
  open, the log dir is 0700. (The report's 0 %/100 % crash: tests/quality/test_report.py.)
  `sync status` of a lead counts her pending decision on a reviewer's proposal.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from tests.sync.conftest import Machine, MakeMachine, SharedDb, records, shared_proposal

from redline.errors import RedlineError
from redline.logs import setup_logging
from redline.policies.service import (
    decide_proposal,
    list_proposals,
)
from redline.prompts.catalog import (
    DraftSpec,
    create_draft,
    create_prompt,
    list_versions,
    transition,
)
from redline.prompts.rules import Action
from redline.review.types import Verdict
from redline.roles import Role
from redline.settings import log_dir
from redline.store.engine import postgres_engine
from redline.store.local import open_local_store
from redline.store.models import Sample
from redline.sync import service
from redline.sync.connect import LOCK_TIMEOUT_S, ConnectionFailed
from redline.sync.server import LEAD_ROLE, REVIEWER_ROLE, add_user
from redline.sync.shared import init_shared

PERMISSION_DENIED = "42501"
CHECK_VIOLATION = "23514"

INSERT_REVIEW = (
    "INSERT INTO review (id, created_at, updated_at, revision, dirty, sample_id, reviewer, "
    "verdict, categories, note, flagged, time_spent_ms, device, adjudicated, deleted) "
    "VALUES (gen_random_uuid(), now(), now(), 1, false, :s, :reviewer, 'bad', '[]', '', "
    "false, 0, 'x', false, false)"
)


def _refused(
    engine: Engine, sql: str, params: dict[str, object] | None = None, *, before: str = ""
) -> str:
    """Run `before` then `sql` in one transaction; return the SQLSTATE it failed with."""
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        if before:
            conn.execute(text(before))
        conn.execute(text(sql), params or {})
    return str(getattr(caught.value.orig, "sqlstate", ""))


# --------------------------------------------------------------------------- item 6


def test_group_roles_cannot_log_in_or_be_assumed_to_vote(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana = make_machine("ana")
    lead = make_machine("carol", role="lead")
    ana.import_records(records(3))
    ana.sync()
    sample = ana.sample_ids()[0]
    with shared_db.admin.begin() as conn:
        # Someone made a group role a login by hand: `shared init` undoes it.
        conn.execute(text(f"ALTER ROLE {REVIEWER_ROLE} LOGIN"))
    init_shared(shared_db.admin, where=shared_db.name)
    with shared_db.admin.connect() as conn:
        can_login: dict[str, bool] = dict(
            conn.execute(
                text("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(:r)"),
                {"r": [REVIEWER_ROLE, LEAD_ROLE]},
            ).all()
        )
    assert can_login == {REVIEWER_ROLE: False, LEAD_ROLE: False}

    for attacker, group in ((ana, REVIEWER_ROLE), (lead, LEAD_ROLE)):
        raw = shared_db.raw_as(attacker.profile, attacker.password)
        params = {"s": sample, "reviewer": group}
        assert _refused(raw, INSERT_REVIEW, params, before=f"SET ROLE {group}") == (
            PERMISSION_DENIED
        )
        # Under the group role, a review still goes in only under the login's own name.
        with raw.begin() as conn:
            conn.execute(text(f"SET ROLE {group}"))
            conn.execute(text(INSERT_REVIEW), {"s": sample, "reviewer": attacker.user})
    with shared_db.admin.connect() as conn:
        reviewers = set(conn.execute(text("SELECT reviewer FROM review")).scalars())
    assert reviewers == {ana.user, lead.user}
    # And the app's sync still works for both.
    ana.review(ana.sample_ids()[1], Verdict.GOOD)
    assert ana.sync().pushed.get("review") == 1


# --------------------------------------------------------------------------- item 7


def test_a_held_change_lock_makes_a_sync_say_busy_not_hang(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    ana.import_records(records(3))
    ana.sync()
    ben.sync()
    ben.review(ben.sample_ids()[0], Verdict.BAD)
    raw_ana = shared_db.raw_as(ana.profile, ana.password)
    with raw_ana.connect() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(7245101)"))
        started = time.monotonic()
        with pytest.raises(ConnectionFailed, match=r"the shared database is busy \(") as caught:
            ben.sync()
        waited = time.monotonic() - started
        holder.rollback()
    assert caught.value.kind == "busy"
    assert waited < LOCK_TIMEOUT_S + 10
    with shared_db.admin.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM review")).scalar_one() == 0
    # Released: the review was kept pending and goes now.
    assert ben.sync().pushed == {"review": 1}


# --------------------------------------------------------------------------- item 8


def _can_log_in(shared_db: SharedDb, user: str, password: str) -> bool:
    engine = create_engine(shared_db.cluster.url(shared_db.name, user=user, password=password))
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT session_user = :u"), {"u": user}).scalar_one())
    except DBAPIError:
        return False
    finally:
        engine.dispose()


def test_add_user_never_sends_the_password_and_refuses_an_existing_role(
    shared_db: SharedDb,
) -> None:
    cluster = shared_db.cluster
    with shared_db.admin.begin() as conn:
        conn.execute(text(f"ALTER DATABASE \"{shared_db.name}\" SET log_statement = 'ddl'"))
    # A new engine: its sessions log every DDL statement.
    admin = postgres_engine(cluster.url(shared_db.name))
    log = cluster.root / "server.log"
    try:
        name, password = cluster.unique_name("dora"), "secret-Plaintext-42"
        odd_name, odd_password = cluster.unique_name("omar"), "Pässwörd-\u2163-\u00a0x"
        assert add_user(admin, name, "reviewer", password) is True
        assert add_user(admin, odd_name, "lead", odd_password) is True
        assert _can_log_in(shared_db, name, password)
        assert _can_log_in(shared_db, odd_name, odd_password)
        assert not _can_log_in(shared_db, name, "wrong-password")

        # Exists already: refused, nothing changed.
        with pytest.raises(RedlineError, match="exists already") as caught:
            add_user(admin, name, "lead", "another-password-1")
        assert "another-password-1" not in str(caught.value)
        assert _can_log_in(shared_db, name, password)
        assert not _can_log_in(shared_db, name, "another-password-1")
        # The owner (a superuser here) is never reset, even when asked.
        with pytest.raises(RedlineError, match="not a Redline login"):
            add_user(admin, cluster.superuser, "lead", "owner-takeover-1", reset_password=True)
        assert _can_log_in(shared_db, cluster.superuser, cluster.password)
        # Asked for: a Redline login gets the new password.
        assert add_user(admin, name, "reviewer", "reset-Plaintext-43", reset_password=True) is False
        assert _can_log_in(shared_db, name, "reset-Plaintext-43")
        assert not _can_log_in(shared_db, name, password)

        with admin.connect() as conn:
            stored = conn.execute(
                text("SELECT rolpassword FROM pg_authid WHERE rolname = :n"), {"n": name}
            ).scalar_one()
        assert stored.startswith("SCRAM-SHA-256$4096:")
        # Written before the statement returned (stderr, no logging collector).
        server_log = log.read_text(errors="replace")
        assert f'CREATE ROLE "{name}"' in server_log  # ddl is logged...
        assert f'ALTER ROLE "{name}"' in server_log
        for secret in (password, "reset-Plaintext-43", "owner-takeover-1", "Pässwörd"):
            assert secret not in server_log  # ...but never a password
    finally:
        admin.dispose()


# --------------------------------------------------------------------------- item 4


def _proposed(make_machine: MakeMachine) -> tuple[Machine, Machine, uuid.UUID]:
    """lena (lead) shares a policy, ana proposes a threshold and shares it, lena pulls
    it and approves it locally (not pushed yet)."""
    lena, ana = make_machine("lena", "lead"), make_machine("ana")
    proposal = shared_proposal(lena, ana, rationale="more volume")
    lena.sync()
    decide_proposal(lena.store, proposal.id, approve=True, decider=lena.user, role=Role.LEAD)
    return lena, ana, proposal.id


def _server_proposal(shared_db: SharedDb, proposal: uuid.UUID) -> tuple[str, str | None, int]:
    with shared_db.admin.connect() as conn:
        status, decider, revision = conn.execute(
            text("SELECT status, decider, revision FROM threshold_proposal WHERE id = :p"),
            {"p": proposal},
        ).one()
    return str(status), decider, int(revision)


@pytest.mark.parametrize("revision", [2147483647, 1000000])
def test_a_reviewer_cannot_inflate_a_revision_to_wedge_or_void_a_decision(
    shared_db: SharedDb, make_machine: MakeMachine, revision: int
) -> None:
    lena, ana, proposal = _proposed(make_machine)
    raw = shared_db.raw_as(ana.profile, ana.password)
    bump = "UPDATE threshold_proposal SET revision = :r, rationale = 'mine' WHERE id = :p"
    assert _refused(raw, bump, {"r": revision, "p": proposal}) == CHECK_VIOLATION
    assert _server_proposal(shared_db, proposal)[2] == 1
    report = lena.sync()
    assert report.refused == []
    assert _server_proposal(shared_db, proposal) == ("approved", lena.user, 2)
    # And everyone goes on syncing.
    ana.sync()
    assert lena.sync().refused == []


def test_a_decision_that_loses_to_a_newer_revision_is_said_not_dropped(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lena, ana, proposal = _proposed(make_machine)
    raw = shared_db.raw_as(ana.profile, ana.password)
    with raw.begin() as conn:
        conn.execute(
            text("UPDATE threshold_proposal SET revision = revision + 50 WHERE id = :p"),
            {"p": proposal},
        )
    (line,) = lena.sync().refused
    assert line.startswith(
        "your decision (approved) on the proposal to move the threshold of policy "
        "'auto-send' 0.8 → 0.7 was not taken by the shared database: it changed there "
        "since this store pulled it (now proposed, revision 51)"
    )
    (here,) = list_proposals(lena.store)
    assert here.status == "proposed"
    # (The policy's new threshold was pushed before the proposal, and stays: tying a
    # threshold to its decision on the server is issue #19 item 3.)
    decide_proposal(lena.store, proposal, approve=True, decider=lena.user, role=Role.LEAD)
    assert lena.sync().refused == []
    assert _server_proposal(shared_db, proposal) == ("approved", lena.user, 52)


# --------------------------------------------------------------------------- item 1


@pytest.mark.parametrize("page", [service.PULL_PAGE, 1])
def test_a_new_store_pulls_a_version_whose_parent_was_approved_later(
    shared_db: SharedDb, make_machine: MakeMachine, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    lena, mara = make_machine("lena", "lead"), make_machine("mara", "lead")
    create_prompt(lena.store, "triage", actor=lena.user)
    v1 = create_draft(lena.store, "triage", DraftSpec("Route {ticket}"), actor=lena.user)
    v2 = create_draft(lena.store, "triage", DraftSpec("Sort {ticket}"), actor=lena.user)
    assert v2.parent_id == v1.id
    transition(lena.store, v1.id, Action.SUBMIT, actor=lena.user, role=Role.LEAD)
    lena.sync()
    mara.sync()
    transition(mara.store, v1.id, Action.APPROVE, actor=mara.user, role=Role.LEAD)
    mara.sync()
    with shared_db.admin.connect() as conn:
        by_seq = text("SELECT version FROM prompt_version ORDER BY seq")
        order = list(conn.execute(by_seq).scalars())
    assert order == ["v2", "v1"]  # the child before its parent

    monkeypatch.setattr(service, "PULL_PAGE", page)
    ana = make_machine("ana")
    assert ana.sync().pulled.get("prompt_version", 0) >= 2
    versions = {v.version: v for v in list_versions(ana.store, "triage")}
    assert versions["v2"].parent_id == versions["v1"].id
    assert versions["v1"].status == "approved"
    assert ana.sync().refused == []


# --------------------------------------------------------------------------- item 5


def test_values_the_server_cannot_store_are_refused_one_row_at_a_time(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    ana, ben = make_machine("ana"), make_machine("ben")
    rows = records(6)
    rows[1]["output"] = "answer with a \u0000 in it"
    rows[2]["tokens_in"] = 2**31
    ana.import_records(rows)
    assert ana.count(Sample) == 6
    ids = ana.sample_ids()
    ana.review(ids[0], Verdict.GOOD, note="fine")
    ana.review(ids[3], Verdict.BAD, note="has a \u0000 too")
    ana.review(ids[4], Verdict.BAD)

    report = ana.sync()
    assert report.pushed["sample"] == 4
    assert report.pushed["review"] == 2
    refused = sorted(report.refused)
    assert len(refused) == 3, refused
    assert refused[0].startswith(
        "your imported sample r00001 was refused by the shared database: it holds a value "
        "the shared database cannot store"
    )
    assert refused[1].startswith("your imported sample r00002 was refused")
    assert refused[2].startswith("your review of sample r00003 was refused")
    assert len(service.sync_status(ana.store, ana.profile).refused) == 3
    # Not blocked: the next sync goes through, and sends nothing refused again.
    again = ana.sync()
    assert again.refused == [] and again.total_pushed == 0
    ben.sync()
    assert ben.count(Sample) == 4


# --------------------------------------------------------------------------- item 12


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_and_the_logs_are_private_to_their_owner(
    tmp_path: Path, _store_template: Path
) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "new-dir" / "store.sqlite"
        engine = open_local_store(path)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE scratch (x)"))
        wal = Path(f"{path}-wal")
        engine.dispose()
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        assert not wal.exists() or _mode(wal) == 0o600

        copied = tmp_path / "copied.sqlite"
        shutil.copyfile(_store_template, copied)
        copied.chmod(0o644)
        open_local_store(copied).dispose()
        assert _mode(copied) == 0o600

        setup_logging()
        assert _mode(log_dir()) == 0o700
    finally:
        os.umask(old)


def test_sync_status_counts_a_leads_pending_decision(make_machine: MakeMachine) -> None:
    lena, _ana, _proposal = _proposed(make_machine)
    status = service.sync_status(lena.store, lena.profile, is_lead=True)
    assert status.pending.get("threshold_proposal") == 1
    assert status.pending.get("policy") == 1  # the threshold the decision moved
    lena.sync()
    assert service.sync_status(lena.store, lena.profile, is_lead=True).pending_total == 0


# --------------------------------------------------------------------------- item 3

SERVER_RULE = "23R01"


def _shared_version(
    make_machine: MakeMachine, status: Action | None = Action.SUBMIT
) -> tuple[Machine, Machine, uuid.UUID]:
    """lena (lead) writes triage v1 (submitted unless `status` is None) and shares it;
    mara (another lead) pulls it."""
    lena, mara = make_machine("lena", "lead"), make_machine("mara", "lead")
    create_prompt(lena.store, "triage", actor=lena.user)
    v1 = create_draft(lena.store, "triage", DraftSpec("Route {ticket}"), actor=lena.user)
    if status is not None:
        transition(lena.store, v1.id, status, actor=lena.user, role=Role.LEAD)
    lena.sync()
    mara.sync()
    return lena, mara, v1.id


def _server_version(shared_db: SharedDb, version: uuid.UUID) -> tuple[str, str | None, str]:
    with shared_db.admin.connect() as conn:
        status, decided_by, template = conn.execute(
            text("SELECT status, decided_by, template FROM prompt_version WHERE id = :v"),
            {"v": version},
        ).one()
    return str(status), decided_by, str(template)


def test_a_lead_cannot_skip_a_prompt_versions_review_in_sql(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lena, mara, draft = _shared_version(make_machine, status=None)
    raw = shared_db.raw_as(mara.profile, mara.password)
    set_status = "UPDATE prompt_version SET status = :s WHERE id = :v"
    for status in ("deployed", "approved", "retired"):
        assert _refused(raw, set_status, {"s": status, "v": draft}) == SERVER_RULE
    # Nor insert a version that was never reviewed.
    insert = (
        "INSERT INTO prompt_version (id, created_at, updated_at, revision, dirty, prompt_id, "
        "version, template, variables, parameters, tools, change_note, author, status) "
        "SELECT gen_random_uuid(), now(), now(), 1, false, prompt_id, 'v9', 't', '[]', '{}', "
        "'[]', '', :a, 'deployed' FROM prompt_version WHERE id = :v"
    )
    assert _refused(raw, insert, {"a": mara.user, "v": draft}) == SERVER_RULE
    assert _server_version(shared_db, draft)[0] == "draft"
    # The allowed steps still go: submitted by its author, then approved by mara.
    with shared_db.raw_as(lena.profile, lena.password).begin() as conn:
        conn.execute(text(set_status), {"s": "in_review", "v": draft})
    with raw.begin() as conn:
        conn.execute(text(set_status), {"s": "approved", "v": draft})
    # Back to review once approved: refused.
    assert _refused(raw, set_status, {"s": "in_review", "v": draft}) == SERVER_RULE
    assert _server_version(shared_db, draft)[:2] == ("approved", mara.user)


def test_no_one_approves_deploys_or_decides_their_own_and_the_login_is_the_decider(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lena, mara, version = _shared_version(make_machine)
    raw_lena = shared_db.raw_as(lena.profile, lena.password)
    raw_mara = shared_db.raw_as(mara.profile, mara.password)
    approve = "UPDATE prompt_version SET status = 'approved', decided_by = :b WHERE id = :v"
    # lena approves her own version, naming mara as the approver: refused.
    assert _refused(raw_lena, approve, {"v": version, "b": mara.user}) == SERVER_RULE
    # mara approves it naming lena: stored as mara's approval (the login decides).
    with raw_mara.begin() as conn:
        conn.execute(text(approve), {"v": version, "b": lena.user})
    assert _server_version(shared_db, version)[:2] == ("approved", mara.user)
    # The approval event names the login and the hash of the exact content approved.
    with shared_db.admin.connect() as conn:
        actor, approved, content = conn.execute(
            text(
                "SELECT e.actor, e.after->>'content_sha256', "
                "redline_prompt_version_content_hash(to_jsonb(v)) FROM audit_event e "
                "JOIN prompt_version v ON v.id::text = e.entity_id "
                "WHERE e.action = 'prompt_version.approved'"
            )
        ).one()
    assert (actor, approved) == (mara.user, content) and len(content) == 64
    # Nobody rewrites the approver afterwards, and the author does not deploy it.
    rewrite = "UPDATE prompt_version SET decided_by = :b WHERE id = :v"
    assert _refused(raw_mara, rewrite, {"v": version, "b": "someone"}) == SERVER_RULE
    deploy = "UPDATE prompt_version SET status = 'deployed' WHERE id = :v"
    assert _refused(raw_lena, deploy, {"v": version}) == SERVER_RULE
    with raw_mara.begin() as conn:
        conn.execute(text(deploy), {"v": version})
    assert _server_version(shared_db, version)[:2] == ("deployed", mara.user)

    # A lead's own threshold proposal: she cannot decide it, another lead can, as himself.
    proposal = shared_proposal(lena, lena, rationale="mine")
    decide = (
        "UPDATE threshold_proposal SET status = 'approved', decider = :b, "
        "revision = revision + 1 WHERE id = :p"
    )
    assert _refused(raw_lena, decide, {"p": proposal.id, "b": mara.user}) == SERVER_RULE
    with raw_mara.begin() as conn:
        conn.execute(text(decide), {"p": proposal.id, "b": lena.user})
    assert _server_proposal(shared_db, proposal.id)[:2] == ("approved", mara.user)
    reopen = "UPDATE threshold_proposal SET status = 'proposed', decider = NULL WHERE id = :p"
    assert _refused(raw_mara, reopen, {"p": proposal.id}) == SERVER_RULE


def test_an_approval_of_ones_own_version_under_anothers_name_is_a_refused_row(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lena, mara, version = _shared_version(make_machine)
    # lena's client calls her "mara" (settings.json edited): the app lets her approve.
    transition(lena.store, version, Action.APPROVE, actor=mara.user, role=Role.LEAD)
    (line,) = lena.sync().refused
    assert line.startswith(
        "version v1 of prompt 'triage' (approved) was refused by the shared database and "
        "undone here (the shared version was restored): it breaks a rule the shared "
        "database enforces for prompts and thresholds (no one may "
        f"approve their own prompt version ({lena.user} wrote v1)"
    ), line
    assert _server_version(shared_db, version)[:2] == ("in_review", None)
    assert [v.status for v in list_versions(lena.store, "triage")] == ["in_review"]
    # Not blocking; the real mara approves it.
    assert lena.sync().refused == []
    transition(mara.store, version, Action.APPROVE, actor=mara.user, role=Role.LEAD)
    assert mara.sync().refused == []
    assert _server_version(shared_db, version)[:2] == ("approved", mara.user)


def test_a_submitted_versions_content_and_its_author_are_frozen(
    shared_db: SharedDb, make_machine: MakeMachine
) -> None:
    lena, mara, version = _shared_version(make_machine)
    for who in (lena, mara):
        raw = shared_db.raw_as(who.profile, who.password)
        for change in (
            "template = 'Leak {ticket}'",
            "parameters = '{\"temperature\": 2}'",
            'tools = \'[{"name": "shell"}]\'',
            "variables = '[\"x\"]'",
            f"author = '{mara.user}'",
        ):
            sql = f"UPDATE prompt_version SET {change} WHERE id = :v"
            assert _refused(raw, sql, {"v": version}) == SERVER_RULE, (who.user, change)
    assert _server_version(shared_db, version) == ("in_review", None, "Route {ticket}")
    # A draft is still edited freely by its author.
    draft = create_draft(lena.store, "triage", DraftSpec("Sort {ticket}"), actor=lena.user)
    lena.sync()
    with shared_db.raw_as(lena.profile, lena.password).begin() as conn:
        conn.execute(
            text("UPDATE prompt_version SET template = 'Sort {t}' WHERE id = :v"), {"v": draft.id}
        )
    assert _server_version(shared_db, draft.id)[2] == "Sort {t}"
