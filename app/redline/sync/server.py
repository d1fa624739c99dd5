"""The shared PostgreSQL database's own objects: change sequence, triggers, roles, GRANTs,
row-level security, the audit chain. Applied by `redline shared init`.

Why here and not in an Alembic migration: roles belong to the whole cluster, not to one
database, and creating them needs CREATEROLE, which migrating a local store never has.
Everything below is re-runnable (CREATE OR REPLACE, DROP ... IF EXISTS then CREATE, roles
created only when missing) and versioned: `redline_server.objects_version` records
SERVER_OBJECTS_VERSION, and a database set up by a newer Redline is refused.

Change numbers (`seq`): an inserted row takes the next value of `redline_change_seq` from
its column default (a writer's INSERT privilege leaves `seq` out, so it cannot choose
one), an updated row from a row trigger; a lock taken once per writing statement keeps
them in commit order (see `redline_lock_changes`).

Who may do what (enforced by PostgreSQL, because a desktop client can be modified):
- every login is its own role, member of `redline_reviewer` or `redline_lead`
  (`redline_lead` is itself a member of `redline_reviewer`);
- a reviewer reads everything shared; inserts and updates only their own reviews,
  review history, batches and samples they imported, prompts they own, prompt versions
  they author while draft / in review, and proposals they make while proposed /
  withdrawn; never updates a sample, never approves, never decides;
- a lead may also write policies and experiments, decide proposals, approve prompt
  versions and adjudicate;
- the lead rules of redline.prompts.rules hold for leads too (since v6, row triggers
  raising SQLSTATE 23R01, which a client reports as a refused row): only the allowed
  status transitions; no one approves, rejects or deploys a prompt version they wrote,
  nor decides their own threshold proposal; the approver / decider is the login,
  whatever name the row carries, and never changes afterwards; a submitted version's
  content and every author / proposer are frozen;
- audit events are written only by triggers (SECURITY DEFINER), chained by hash.

The hash of an audit event covers its reason since server objects v3. A hash's own form
says which formula wrote it: upper-case hex covers the reason
(`redline_audit_hash_with_reason`), lower-case hex is an event written before the
upgrade (`redline_audit_hash`, no reason). Verification recomputes each event with the
formula its hash names and refuses a lower-case event after an upper-case one, so an
upgraded database keeps verifying its old events and a changed reason is caught in
every new one (redline.store.audit mirrors both for the pulled copy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from redline.errors import RedlineError
from redline.store.audit import hash_covers_reason
from redline.sync.refusals import SERVER_RULE
from redline.sync.scram import scram_verifier

# 2: shared_audit_event (schema 0004) is local only.
# 3: the audit hash covers the reason (redline_audit_hash_with_reason).
# 4: `seq` of an inserted row comes from the column's default under a lock taken once per
#    statement (no row trigger on INSERT: a push of 100,000 rows spent a fifth of the
#    server's time in it); an overwritten review is kept in history with every column.
# 5: row-level security names the login (`session_user`), not the role a session SET
#    ROLE to; group roles forced NOLOGIN; revisions bounded (MAX_REVISION, one write
#    moves a revision by at most MAX_REVISION_STEP).
# 6: the approval event of a prompt version holds `content_sha256`
#    (redline_prompt_version_content_hash); lead rules in the database
#    (redline_prompt_version_rules, redline_proposal_rules):
#    status transitions, no one approves / rejects / deploys their own prompt version or
#    decides their own proposal, the approver / decider is the login, a submitted
#    version's content and every author / proposer are frozen; refused with SERVER_RULE.
SERVER_OBJECTS_VERSION = 6
REVIEWER_ROLE = "redline_reviewer"
LEAD_ROLE = "redline_lead"
ROLES = {"reviewer": REVIEWER_ROLE, "lead": LEAD_ROLE}

# Tables that carry `seq` (set by trigger from one sequence) and are shared.
SEQ_TABLES = (
    "batch",
    "sample",
    "review",
    "review_history",
    "policy",
    "threshold_proposal",
    "prompt",
    "prompt_version",
    "experiment",
    "audit_event",
)
# Local-only tables: nobody but the owner touches them on the shared database.
LOCAL_ONLY_TABLES = (
    "import_problem",
    "source_mapping",
    "review_draft",
    "sync_state",
    "shared_audit_event",
)

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The bounds of a revision on the server (see redline_set_seq): far below 2^31 - 1, so
# a row at the bound can still be changed a billion times.
MAX_REVISION = 1_000_000_000
MAX_REVISION_STEP = 100_000

_FUNCTIONS = [
    # One lock for every writer, held from its first change to its commit: `seq` values
    # then become visible in commit order, so a puller that has seen seq N has seen every
    # row below N. Without it a slow transaction could commit seq 100 after a puller
    # advanced its cursor past 101, and that row would never be pulled.
    #
    # The lock is taken once per statement that writes a shared table (a BEFORE ... FOR
    # EACH STATEMENT trigger fires before any of the statement's rows is built, so before
    # any `seq` default is drawn). An inserted row takes its `seq` from the column's
    # default, which the writer cannot override: its INSERT privilege leaves `seq` out.
    # An updated row gets a new `seq` from the row trigger below, whatever the UPDATE set.
    # Names are schema-qualified: these run with the writer's search_path, where a
    # temporary sequence of the same name could come first.
    """
    CREATE OR REPLACE FUNCTION redline_lock_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_catalog.pg_advisory_xact_lock(7245101);
        RETURN NULL;
    END $$
    """,
    #
    # A revision is the client's, and the conflict rule trusts the higher one: a jump of
    # more than MAX_REVISION_STEP in one write is refused (check_violation, which a
    # client reports as a refused row), so nobody makes their row win every later write
    # (a lead's decision dropped) or pushes it to the end of the integer range (every
    # later write of it "out of range"); the table's CHECK bounds it absolutely.
    f"""
    CREATE OR REPLACE FUNCTION redline_set_seq() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.revision::bigint > OLD.revision::bigint + {MAX_REVISION_STEP} THEN
            RAISE EXCEPTION 'revision % of % % jumps from % (by more than {MAX_REVISION_STEP})',
                NEW.revision, TG_TABLE_NAME, OLD.id, OLD.revision
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.seq := pg_catalog.nextval('public.redline_change_seq');
        NEW.dirty := false;
        RETURN NEW;
    END $$
    """,
    # The hash of an audit event: the same function writes and verifies it.
    """
    CREATE OR REPLACE FUNCTION redline_audit_hash(
        prev text, pos bigint, actor text, action text, entity_type text, entity_id text,
        before jsonb, after jsonb, occurred_at timestamptz
    ) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(concat_ws(E'\\x1f',
            prev, pos::text, actor, action, entity_type, entity_id,
            coalesce(before::text, 'null'), coalesce(after::text, 'null'),
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
        ), 'UTF8')), 'hex')
    $$
    """,
    # Since v3 (what new events get): the reason too, and upper-case hex, so the hash
    # itself says which formula to verify it with.
    """
    CREATE OR REPLACE FUNCTION redline_audit_hash_with_reason(
        prev text, pos bigint, actor text, action text, entity_type text, entity_id text,
        before jsonb, after jsonb, occurred_at timestamptz, reason text
    ) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT upper(encode(sha256(convert_to(concat_ws(E'\\x1f',
            prev, pos::text, actor, action, entity_type, entity_id,
            coalesce(before::text, 'null'), coalesce(after::text, 'null'),
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
            coalesce(reason, '')
        ), 'UTF8')), 'hex'))
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION redline_audit_append(
        p_action text, p_entity_type text, p_entity_id text, p_before jsonb, p_after jsonb,
        p_reason text
    ) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        last_hash text;
        last_pos bigint;
        now_ts timestamptz := clock_timestamp();
        actor text := session_user;
    BEGIN
        PERFORM pg_advisory_xact_lock(7245101);
        SELECT hash, position INTO last_hash, last_pos
            FROM audit_event ORDER BY position DESC LIMIT 1;
        last_hash := coalesce(last_hash, '');
        last_pos := coalesce(last_pos, 0) + 1;
        INSERT INTO audit_event (id, position, actor, action, entity_type, entity_id,
                                 before, after, reason, occurred_at, prev_hash, hash)
        VALUES (gen_random_uuid(), last_pos, actor, p_action, p_entity_type, p_entity_id,
                p_before, p_after, coalesce(p_reason, ''), now_ts, last_hash,
                redline_audit_hash_with_reason(last_hash, last_pos, actor, p_action,
                    p_entity_type, p_entity_id, p_before, p_after, now_ts,
                    coalesce(p_reason, '')));
    END $$
    """,
    # Status changes of prompt versions and proposals (and their creation) are audited.
    # The content a lead approves, as one hash (since v6 in the approval's audit event):
    # what was approved can be told from what is deployed later.
    """
    CREATE OR REPLACE FUNCTION redline_prompt_version_content_hash(version jsonb)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(jsonb_build_object(
            'template', version->'template', 'variables', version->'variables',
            'parameters', version->'parameters', 'tools', version->'tools',
            'change_note', version->'change_note', 'author', version->'author'
        )::text, 'UTF8')), 'hex')
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION redline_audit_status() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        note text := '';
    BEGIN
        IF TG_TABLE_NAME = 'threshold_proposal' THEN
            note := NEW.decision_note;
        END IF;
        IF TG_OP = 'INSERT' THEN
            PERFORM redline_audit_append(TG_TABLE_NAME || '.create', TG_TABLE_NAME,
                NEW.id::text, NULL, jsonb_build_object('status', NEW.status), note);
        ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
            PERFORM redline_audit_append(TG_TABLE_NAME || '.' || NEW.status, TG_TABLE_NAME,
                NEW.id::text, jsonb_build_object('status', OLD.status),
                jsonb_build_object('status', NEW.status) || CASE
                    WHEN TG_TABLE_NAME = 'prompt_version' AND NEW.status = 'approved'
                    THEN jsonb_build_object('content_sha256',
                        redline_prompt_version_content_hash(to_jsonb(NEW)))
                    ELSE '{}'::jsonb END,
                note);
        END IF;
        RETURN NEW;
    END $$
    """,
    # When a push overwrites a revision written on another device that no history row
    # holds (two machines of one reviewer edited the same review), keep the overwritten
    # revision in history: nothing a reviewer wrote is silently dropped. Every column the
    # two tables share is copied (to_jsonb / jsonb_populate_record), so a column a
    # migration adds to both (the pairwise preference of 0006) is kept too.
    """
    CREATE OR REPLACE FUNCTION redline_keep_overwritten_review() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        IF OLD.device IS DISTINCT FROM NEW.device AND NOT EXISTS (
            SELECT 1 FROM review_history h
            WHERE h.review_id = OLD.id AND h.revision = OLD.revision
        ) AND NOT OLD.deleted THEN
            INSERT INTO review_history
            SELECT * FROM jsonb_populate_record(NULL::review_history,
                to_jsonb(OLD) || jsonb_build_object(
                    'id', gen_random_uuid(), 'created_at', now(), 'updated_at', now(),
                    'dirty', false, 'seq', nextval('public.redline_change_seq'),
                    'review_id', OLD.id, 'review_updated_at', OLD.updated_at,
                    'reason', 'conflict'))
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NEW;
    END $$
    """,
    # The lead rules of redline.prompts.rules, enforced where a modified client cannot
    # skip them. Who acts is the login (`session_user`, as in the row-level security
    # policies), never a name the client sends: the approver column is set from it.
    # BEFORE UPDATE (an upsert's conflicting row arrives here too); a row actually
    # inserted is checked by the AFTER INSERT trigger below.
    f"""
    CREATE OR REPLACE FUNCTION redline_prompt_version_rules() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        actor text := session_user;
    BEGIN
        IF NEW.status NOT IN ('draft', 'in_review')
            AND NOT pg_catalog.pg_has_role(session_user, '{LEAD_ROLE}', 'member') THEN
            RETURN NEW;  -- not a lead's: row-level security refuses it (42501)
        END IF;
        IF NEW.author IS DISTINCT FROM OLD.author THEN
            RAISE EXCEPTION 'the author of prompt version % cannot change (% wrote it)',
                OLD.version, OLD.author USING ERRCODE = '{SERVER_RULE}';
        END IF;
        IF OLD.status <> 'draft' AND (
            NEW.template IS DISTINCT FROM OLD.template
            OR NEW.variables IS DISTINCT FROM OLD.variables
            OR NEW.parameters IS DISTINCT FROM OLD.parameters
            OR NEW.tools IS DISTINCT FROM OLD.tools
            OR NEW.change_note IS DISTINCT FROM OLD.change_note
        ) THEN
            RAISE EXCEPTION 'prompt version % was submitted (%): its content is frozen',
                OLD.version, OLD.status USING ERRCODE = '{SERVER_RULE}';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
            (OLD.status = 'draft' AND NEW.status = 'in_review')
            OR (OLD.status = 'in_review' AND NEW.status IN ('approved', 'rejected'))
            OR (OLD.status = 'approved' AND NEW.status IN ('deployed', 'retired'))
            OR (OLD.status = 'deployed' AND NEW.status IN ('approved', 'retired'))
        ) THEN
            RAISE EXCEPTION 'prompt version % cannot go from % to %',
                OLD.version, OLD.status, NEW.status USING ERRCODE = '{SERVER_RULE}';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND OLD.author = actor
            AND NEW.status IN ('approved', 'rejected', 'deployed') AND OLD.status <> 'deployed'
        THEN
            RAISE EXCEPTION 'no one may % their own prompt version (% wrote %)',
                CASE NEW.status WHEN 'approved' THEN 'approve' WHEN 'rejected' THEN 'reject'
                    ELSE 'deploy' END,
                actor, OLD.version USING ERRCODE = '{SERVER_RULE}';
        END IF;
        IF OLD.status = 'in_review' AND NEW.status IN ('approved', 'rejected') THEN
            NEW.decided_by := actor;
            NEW.decided_at := coalesce(NEW.decided_at, now());
        ELSIF NEW.decided_by IS DISTINCT FROM OLD.decided_by THEN
            RAISE EXCEPTION 'who decided prompt version % cannot change (%)',
                OLD.version, coalesce(OLD.decided_by, 'no one yet')
                USING ERRCODE = '{SERVER_RULE}';
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION redline_prompt_version_created() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status NOT IN ('draft', 'in_review') OR NEW.decided_by IS NOT NULL THEN
            RAISE EXCEPTION 'a new prompt version (%) starts as a draft or in review, not %',
                NEW.version, NEW.status USING ERRCODE = '{SERVER_RULE}';
        END IF;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION redline_proposal_rules() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        actor text := session_user;
    BEGIN
        IF NEW.status NOT IN ('proposed', 'withdrawn')
            AND NOT pg_catalog.pg_has_role(session_user, '{LEAD_ROLE}', 'member') THEN
            RETURN NEW;  -- not a lead's: row-level security refuses it (42501)
        END IF;
        IF NEW.proposer IS DISTINCT FROM OLD.proposer THEN
            RAISE EXCEPTION 'the proposer of a threshold proposal cannot change (% made it)',
                OLD.proposer USING ERRCODE = '{SERVER_RULE}';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
            (OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected', 'withdrawn'))
            OR (OLD.status = 'withdrawn' AND NEW.status = 'proposed')
        ) THEN
            RAISE EXCEPTION 'a threshold proposal cannot go from % to %',
                OLD.status, NEW.status USING ERRCODE = '{SERVER_RULE}';
        END IF;
        IF OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected') THEN
            IF OLD.proposer = actor THEN
                RAISE EXCEPTION 'no one may decide their own threshold proposal (% made it)',
                    actor USING ERRCODE = '{SERVER_RULE}';
            END IF;
            NEW.decider := actor;
            NEW.decided_at := coalesce(NEW.decided_at, now());
        ELSIF NEW.decider IS DISTINCT FROM OLD.decider THEN
            RAISE EXCEPTION 'who decided a threshold proposal cannot change (%)',
                coalesce(OLD.decider, 'no one yet') USING ERRCODE = '{SERVER_RULE}';
        END IF;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION redline_proposal_created() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status <> 'proposed' OR NEW.decider IS NOT NULL THEN
            RAISE EXCEPTION 'a new threshold proposal starts as proposed, not %',
                NEW.status USING ERRCODE = '{SERVER_RULE}';
        END IF;
        RETURN NULL;
    END $$
    """,
]

_META = [
    "CREATE SEQUENCE IF NOT EXISTS redline_change_seq",
    """
    CREATE TABLE IF NOT EXISTS redline_server (
        key text PRIMARY KEY,
        value text NOT NULL
    )
    """,
]


def _roles_sql() -> list[str]:
    statements = []
    for role in (REVIEWER_ROLE, LEAD_ROLE):
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
        # A group role is never a login, even one someone changed by hand: its name
        # would be a reviewer's.
        statements.append(f"ALTER ROLE {role} NOLOGIN")
    statements.append(f"GRANT {REVIEWER_ROLE} TO {LEAD_ROLE}")
    return statements


def _triggers_sql() -> list[str]:
    statements = []
    for table in SEQ_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS redline_seq ON {table}")
        if table == "audit_event":
            statements.append(
                "CREATE OR REPLACE FUNCTION redline_set_audit_seq() RETURNS trigger "
                "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$ "
                "BEGIN NEW.seq := nextval('redline_change_seq'); RETURN NEW; END $$"
            )
            statements.append(
                f"CREATE TRIGGER redline_seq BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION redline_set_audit_seq()"
            )
        else:
            statements.append(
                f"ALTER TABLE {table} ALTER COLUMN seq "
                "SET DEFAULT pg_catalog.nextval('public.redline_change_seq'), "
                "ALTER COLUMN dirty SET DEFAULT false"
            )
            statements.append(
                f"CREATE TRIGGER redline_seq BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION redline_set_seq()"
            )
            # NOT VALID: a row written before the bound existed does not stop `init`.
            statements.append(
                f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS redline_revision_bound, "
                "ADD CONSTRAINT redline_revision_bound "
                f"CHECK (revision BETWEEN 0 AND {MAX_REVISION}) NOT VALID"
            )
            statements.append(f"DROP TRIGGER IF EXISTS redline_lock ON {table}")
            statements.append(
                f"CREATE TRIGGER redline_lock BEFORE INSERT OR UPDATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION redline_lock_changes()"
            )
    for table in ("prompt_version", "threshold_proposal"):
        statements.append(f"DROP TRIGGER IF EXISTS redline_audit ON {table}")
        statements.append(
            f"CREATE TRIGGER redline_audit AFTER INSERT OR UPDATE OF status ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION redline_audit_status()"
        )
    for table, rules, created in (
        ("prompt_version", "redline_prompt_version_rules", "redline_prompt_version_created"),
        ("threshold_proposal", "redline_proposal_rules", "redline_proposal_created"),
    ):
        statements.append(f"DROP TRIGGER IF EXISTS redline_rules ON {table}")
        statements.append(
            f"CREATE TRIGGER redline_rules BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {rules}()"
        )
        statements.append(f"DROP TRIGGER IF EXISTS redline_created ON {table}")
        statements.append(
            f"CREATE TRIGGER redline_created AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {created}()"
        )
    statements.append("DROP TRIGGER IF EXISTS redline_keep_overwritten ON review")
    statements.append(
        "CREATE TRIGGER redline_keep_overwritten BEFORE UPDATE ON review "
        "FOR EACH ROW EXECUTE FUNCTION redline_keep_overwritten_review()"
    )
    return statements


# (table, policy name, command, roles, USING, WITH CHECK)
#
# Who acts is `session_user`, the login, never `current_user`: a login may `SET ROLE` to a
# group it belongs to (redline_reviewer, redline_lead), and under `current_user` it could
# then write reviews as "redline_reviewer", an extra voter in agreement and majorities.
# (PostgreSQL 15 has no GRANT ... WITH SET FALSE to forbid the SET ROLE itself.)
_IS_LEAD = f"pg_has_role(session_user, '{LEAD_ROLE}', 'member')"
_POLICIES: list[tuple[str, str, str, str, str | None, str | None]] = [
    ("batch", "own_insert", "INSERT", REVIEWER_ROLE, None, "imported_by = session_user"),
    (
        "batch",
        "own_update",
        "UPDATE",
        REVIEWER_ROLE,
        "imported_by = session_user",
        "imported_by = session_user",
    ),
    (
        "sample",
        "own_batch_insert",
        "INSERT",
        REVIEWER_ROLE,
        None,
        "EXISTS (SELECT 1 FROM batch b WHERE b.id = batch_id AND b.imported_by = session_user)",
    ),
    (
        "review",
        "own_insert",
        "INSERT",
        REVIEWER_ROLE,
        None,
        f"reviewer = session_user AND (NOT adjudicated OR {_IS_LEAD})",
    ),
    (
        "review",
        "own_update",
        "UPDATE",
        REVIEWER_ROLE,
        "reviewer = session_user",
        f"reviewer = session_user AND (NOT adjudicated OR {_IS_LEAD})",
    ),
    ("review_history", "own_insert", "INSERT", REVIEWER_ROLE, None, "reviewer = session_user"),
    ("prompt", "own_insert", "INSERT", REVIEWER_ROLE, None, "owner = session_user"),
    (
        "prompt",
        "own_update",
        "UPDATE",
        REVIEWER_ROLE,
        "owner = session_user",
        "owner = session_user",
    ),
    (
        "prompt_version",
        "author_draft",
        "INSERT",
        REVIEWER_ROLE,
        None,
        "author = session_user AND status IN ('draft', 'in_review') AND decided_by IS NULL",
    ),
    (
        "prompt_version",
        "author_update_draft",
        "UPDATE",
        REVIEWER_ROLE,
        "author = session_user AND status IN ('draft', 'in_review')",
        "author = session_user AND status IN ('draft', 'in_review') AND decided_by IS NULL",
    ),
    (
        "threshold_proposal",
        "proposer_insert",
        "INSERT",
        REVIEWER_ROLE,
        None,
        "proposer = session_user AND status = 'proposed' AND decider IS NULL",
    ),
    (
        "threshold_proposal",
        "proposer_update",
        "UPDATE",
        REVIEWER_ROLE,
        "proposer = session_user AND status IN ('proposed', 'withdrawn')",
        "proposer = session_user AND status IN ('proposed', 'withdrawn') AND decider IS NULL",
    ),
    ("prompt", "lead_all", "ALL", LEAD_ROLE, "true", "true"),
    ("prompt_version", "lead_all", "ALL", LEAD_ROLE, "true", "true"),
    ("threshold_proposal", "lead_all", "ALL", LEAD_ROLE, "true", "true"),
    ("policy", "lead_all", "ALL", LEAD_ROLE, "true", "true"),
    ("experiment", "lead_all", "ALL", LEAD_ROLE, "true", "true"),
]

# Column-free GRANTs per role; RLS above narrows them to rows.
_GRANTS = {
    REVIEWER_ROLE: {
        "batch": "SELECT, INSERT, UPDATE",
        "sample": "SELECT, INSERT",
        "review": "SELECT, INSERT, UPDATE",
        "review_history": "SELECT, INSERT",
        "prompt": "SELECT, INSERT, UPDATE",
        "prompt_version": "SELECT, INSERT, UPDATE",
        "threshold_proposal": "SELECT, INSERT, UPDATE",
        "policy": "SELECT",
        "experiment": "SELECT",
        "audit_event": "SELECT",
        "alembic_version": "SELECT",
        "redline_server": "SELECT",
    },
    LEAD_ROLE: {
        "policy": "SELECT, INSERT, UPDATE",
        "experiment": "SELECT, INSERT, UPDATE",
    },
}


def _grant_sql(role: str, table: str, privileges: str, columns: Sequence[str]) -> list[str]:
    """GRANT `privileges` on `table`; INSERT on a shared table covers every column but
    `seq`, so an inserted row always takes the server's change sequence."""
    wanted = [p.strip() for p in privileges.split(",")]
    if table not in SEQ_TABLES or "INSERT" not in wanted:
        return [f"GRANT {privileges} ON {table} TO {role}"]
    insertable = ", ".join(f'"{c}"' for c in columns if c != "seq")
    statements = [f"GRANT INSERT ({insertable}) ON {table} TO {role}"]
    others = [p for p in wanted if p != "INSERT"]
    if others:
        statements.append(f"GRANT {', '.join(others)} ON {table} TO {role}")
    return statements


def _security_sql(columns: Mapping[str, Sequence[str]]) -> list[str]:
    """`columns`: each shared table's columns, as the migrated schema has them."""
    statements = ["REVOKE ALL ON SCHEMA public FROM PUBLIC"]
    for role in (REVIEWER_ROLE, LEAD_ROLE):
        statements.append(f"GRANT USAGE ON SCHEMA public TO {role}")
    # USAGE: an inserted row's `seq` default draws from it with the writer's rights.
    statements.append(f"GRANT SELECT, USAGE ON SEQUENCE redline_change_seq TO {REVIEWER_ROLE}")
    for table in LOCAL_ONLY_TABLES:
        statements.append(f"REVOKE ALL ON {table} FROM PUBLIC, {REVIEWER_ROLE}, {LEAD_ROLE}")
    for role, grants in _GRANTS.items():
        for table, privileges in grants.items():
            # Revoking the table's privileges revokes its column privileges too.
            statements.append(f"REVOKE ALL ON {table} FROM {role}")
            statements += _grant_sql(role, table, privileges, columns.get(table, ()))
    for table in SEQ_TABLES:
        statements.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        statements.append(f"DROP POLICY IF EXISTS read_all ON {table}")
        statements.append(
            f"CREATE POLICY read_all ON {table} FOR SELECT TO {REVIEWER_ROLE} USING (true)"
        )
    for table, name, command, role, using, check in _POLICIES:
        statements.append(f"DROP POLICY IF EXISTS {name} ON {table}")
        sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {role}"
        if using is not None:
            sql += f" USING ({using})"
        if check is not None:
            sql += f" WITH CHECK ({check})"
        statements.append(sql)
    for function in (
        "redline_lock_changes()",
        "redline_set_seq()",
        "redline_set_audit_seq()",
        "redline_audit_status()",
        "redline_keep_overwritten_review()",
        "redline_prompt_version_rules()",
        "redline_prompt_version_created()",
        "redline_proposal_rules()",
        "redline_proposal_created()",
        "redline_audit_append(text, text, text, jsonb, jsonb, text)",
    ):
        statements.append(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    return statements


def _table_columns(conn: Connection, tables: Sequence[str]) -> dict[str, list[str]]:
    """The columns of `tables` in the database as migrated (a later migration's new
    columns included), in table order."""
    found: dict[str, list[str]] = {t: [] for t in tables}
    rows = conn.execute(
        text(
            "SELECT c.relname, a.attname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(:tables) "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        ),
        {"tables": list(tables)},
    )
    for table, column in rows:
        found[table].append(column)
    return found


def server_objects_version(conn: Connection) -> int | None:
    """The version of the objects `apply_server_objects` made, or None (never applied)."""
    exists = conn.execute(text("SELECT to_regclass('redline_server') IS NOT NULL")).scalar_one()
    if not exists:
        return None
    value = conn.execute(
        text("SELECT value FROM redline_server WHERE key = 'objects_version'")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def apply_server_objects(conn: Connection, *, where: str) -> None:
    """Create or update every PostgreSQL-only object (one transaction, re-runnable).

    The connection must belong to a role that owns the tables and may create roles
    (the database owner with CREATEROLE, or a superuser).
    """
    found = server_objects_version(conn)
    if found is not None and found > SERVER_OBJECTS_VERSION:
        raise RedlineError(
            f"the shared database was set up by a newer Redline (server objects v{found})",
            where=where,
            hint="update Redline before running `redline shared init` on it",
        )
    columns = _table_columns(conn, SEQ_TABLES)
    for statement in [
        *_META,
        *_roles_sql(),
        *_FUNCTIONS,
        *_triggers_sql(),
        *_security_sql(columns),
    ]:
        conn.execute(text(statement))
    conn.execute(
        text(
            "INSERT INTO redline_server (key, value) VALUES ('objects_version', :v) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        {"v": str(SERVER_OBJECTS_VERSION)},
    )


def check_login_name(name: str) -> str:
    """A login name Redline accepts: lower-case letters, digits, underscore."""
    if not _NAME.match(name) or name.startswith("pg_") or name in (REVIEWER_ROLE, LEAD_ROLE):
        raise RedlineError(
            f"{name!r} cannot be a login name",
            hint="use lower-case letters, digits and _ (up to 63, not starting with a digit "
            "or pg_); it is also the reviewer name on every review",
        )
    return name


def add_user(
    engine: Engine, name: str, role: str, password: str, *, reset_password: bool = False
) -> bool:
    """Create the login `name` with `role`; True when it is new.

    The password never reaches the server: a SCRAM-SHA-256 verifier computed here goes in
    its place (redline.sync.scram), so no server log can hold it. An existing role is
    refused unless `reset_password` (then its password and role are replaced), and even
    then only a Redline login (a member of redline_reviewer or redline_lead), never the
    database's owner, a superuser or the administrator running this.
    """
    check_login_name(name)
    if role not in ROLES:
        raise RedlineError(f"unknown role {role!r}", hint="use reviewer or lead")
    group = ROLES[role]
    other = LEAD_ROLE if group == REVIEWER_ROLE else REVIEWER_ROLE
    verifier = scram_verifier(password)
    with engine.begin() as conn:
        if conn.execute(
            text("SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": group}
        ).scalar_one():
            raise RedlineError(
                f"the role {group} does not exist on this server",
                hint="run `redline shared init` first",
            )
        found = conn.execute(
            text(
                "SELECT r.rolsuper, r.rolname = session_user, "
                "EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "WHERE m.member = r.oid AND g.rolname = ANY(:groups)) "
                "FROM pg_roles r WHERE r.rolname = :n"
            ),
            {"n": name, "groups": [REVIEWER_ROLE, LEAD_ROLE]},
        ).one_or_none()
        exists = found is not None
        if found is not None:
            superuser, is_self, is_redline_login = found
            if not reset_password:
                raise RedlineError(
                    f"the login {name} exists already; nothing was changed",
                    hint="to give it a new password (and this role), add --reset-password",
                )
            if superuser or is_self or not is_redline_login:
                raise RedlineError(
                    f"the role {name} is not a Redline login; nothing was changed",
                    hint="only reviewer and lead logins can be reset here",
                )
        # The verifier is base64, digits, '$' and ':': safe inside a literal (CREATE ROLE
        # takes no bind parameters).
        verb = "ALTER" if exists else "CREATE"
        conn.exec_driver_sql(f"{verb} ROLE \"{name}\" LOGIN PASSWORD '{verifier}'")
        conn.execute(text(f'GRANT {group} TO "{name}"'))
        if exists:
            # A changed role replaces the old one (a lead demoted to reviewer stops
            # being a lead).
            conn.execute(text(f'REVOKE {other} FROM "{name}"'))
    return not exists


@dataclass(frozen=True)
class AuditCheck:
    """The result of verifying the audit chain.

    Attributes:
        events: how many events were checked.
        problems: one line per broken link or altered event (empty: the chain is intact).
    """

    events: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_audit(conn: Connection) -> AuditCheck:
    """Recompute every audit event's hash and link; report what does not match."""
    rows = conn.execute(
        text(
            "SELECT position, prev_hash, hash, "
            "redline_audit_hash(prev_hash, position, actor, action, entity_type, entity_id, "
            "before, after, occurred_at) AS legacy, "
            "redline_audit_hash_with_reason(prev_hash, position, actor, action, entity_type, "
            "entity_id, before, after, occurred_at, reason) AS with_reason, action, entity_id "
            "FROM audit_event ORDER BY position"
        )
    ).all()
    problems: list[str] = []
    previous_hash = ""
    previous_position = 0
    reason_hashed = False  # an event since v3 was seen: every later one must be too
    for position, prev_hash, stored, legacy, with_reason, action, entity_id in rows:
        covers = hash_covers_reason(stored)
        expected = with_reason if covers else legacy
        if reason_hashed and not covers:
            expected = with_reason  # an old-style hash after a new one: rewritten
        reason_hashed = reason_hashed or covers
        if position != previous_position + 1:
            problems.append(f"event {previous_position + 1}..{position - 1} missing")
        if prev_hash != previous_hash:
            problems.append(
                f"event {position} ({action} {entity_id}): link to the previous is broken"
            )
        if stored != expected:
            problems.append(
                f"event {position} ({action} {entity_id}): altered after it was written"
            )
        previous_hash, previous_position = stored, position
    return AuditCheck(events=len(rows), problems=tuple(problems))
