"""Push and pull between the local store and the shared PostgreSQL database (no Qt).

One sync = push, then pull:

- **Push** sends, per table in foreign-key order, the local rows this login wrote and
  the server has not committed yet (`dirty`), in batches. The server upserts with
  `ON CONFLICT (id) DO UPDATE ... WHERE stored.revision < excluded.revision` (or equal
  and older), so re-sending is harmless. A row is marked clean only after the server
  committed it, and only if it did not change meanwhile. A row the server did not take
  (it has a newer revision) is replaced by the server's, the local revision going to
  history (see redline.sync.local). A batch's samples go first, resumably (a cursor per
  batch), and the batch is clean only once all its samples are on the server.
- **Pull** asks each table for `seq > cursor` up to the sequence's value when the pull
  started (so rows referred to are pulled before rows referring to them), one page per
  local transaction that also advances the cursor.

What is pushed: reviews and their history, batches with their samples, prompts, prompt
versions and proposals, written by this login (policies and experiments too for a
lead). Demo data (`redline demo`: rows it marked `is_demo`, the demo batch's samples and
their reviews, see redline.sync.demo_rows) is never pushed unless `include_demo` is
asked for, so a store that was used to try Redline can join a team database without
polluting it. A local prompt, version, policy or experiment whose name a different
shared row has is renamed before push or pull (redline.sync.names); the report lists it.

What is pulled besides the shared tables: the server's audit events, into the local
read-only copy `shared_audit_event` (redline.store.audit explains the two chains).
A row the server refuses (row-level security, a constraint) is named in the report and
stays a local change; it is remembered (redline.sync.refusals) and left out of the next
pushes until the user changes it. A refused threshold decision is undone: the proposal
and its policy are restored from the server.

Rows are sent with COPY into a temporary table and one INSERT ... SELECT per chunk
(redline.sync.upload), two chunks in flight on worker threads while the local store reads
the next chunk and marks the last one clean (`_Run._pipelined`); the commit points and
what they guarantee are those of a plain chunk-by-chunk loop.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Table,
    Text,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from redline import clock
from redline.errors import RedlineError
from redline.profiles import Profile
from redline.progress import NO_PROGRESS, Progress, check
from redline.store import models
from redline.store.search import ensure_search_index
from redline.sync import local, refusals
from redline.sync.connect import SharedInfo, check_shared, connection_error
from redline.sync.credentials import redact
from redline.sync.demo_rows import demo_batch, demo_condition
from redline.sync.names import named_table, resolve_clashes
from redline.sync.upload import (
    insert_staged,
    push_columns,
    push_typed,
    raw_columns,
    stage_raw,
)

PUSH_CHUNK = 5000
# sqlstate class of a value the server cannot store.
DATA_EXCEPTION = "22000"
SAMPLE_CHUNK = 5000
PULL_PAGE = 2000
# The names of the pull cursors: one per table; push cursors per batch.
LAST_SYNC = "_last_sync"

# One chunk of a push, and what the server said of it (see _Run._pipelined).
_Chunk = TypeVar("_Chunk")
_Sent = TypeVar("_Sent")
# (id as 32 hex digits, revision, seq) of a row the server took.
Taken = tuple[str, int, int]


_table = local.model_table

BATCH = _table(models.Batch)
SAMPLE = _table(models.Sample)
REVIEW = _table(models.Review)
HISTORY = _table(models.ReviewHistory)
PROMPT = _table(models.Prompt)
VERSION = _table(models.PromptVersion)
POLICY = _table(models.Policy)
PROPOSAL = _table(models.ThresholdProposal)
EXPERIMENT = _table(models.Experiment)
AUDIT = _table(models.AuditEvent)  # on the server: its audit chain

# Pull order: what is referred to before what refers to it.
PULL_TABLES: tuple[Table, ...] = (
    BATCH,
    SAMPLE,
    PROMPT,
    VERSION,
    POLICY,
    PROPOSAL,
    EXPERIMENT,
    REVIEW,
    HISTORY,
    AUDIT,
)


def _pull_query(table: Table) -> Any:
    """What to read from a shared table; audit events with their JSON as the server's
    text, which their hash covers (redline.store.audit.shared_event_hash)."""
    if table is not AUDIT:
        return select(table)
    columns = [c for c in AUDIT.c if c.name not in ("before", "after")]
    return select(
        *columns,
        AUDIT.c.before,
        AUDIT.c.after,
        cast(AUDIT.c.before, Text).label("before_text"),
        cast(AUDIT.c.after, Text).label("after_text"),
    )


@dataclass(frozen=True)
class SyncContext:
    """Who syncs, with what.

    Attributes:
        profile: the connection profile (its name keys the cursors).
        device: this machine's name, recorded on revisions set aside by a conflict.
        include_demo: push demo data too (normally never).
        step: called at every commit boundary with its name; tests use it to stop a sync
            at chosen points ("killed"), the app leaves it alone.
    """

    profile: Profile
    device: str
    include_demo: bool = False
    step: Callable[[str], None] = lambda name: None


@dataclass
class SyncReport:
    """What one sync did.

    Attributes:
        pushed / pulled: rows per table.
        conflicts: local revisions that lost to the shared one (kept in history).
        refused: rows the server refused (permission or constraint) in this sync, one
            line each for people, the server's reason at the end.
        renamed: local rows renamed because a shared row has their name, one line each.
    """

    pushed: dict[str, int] = field(default_factory=dict)
    pulled: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    refused: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    finished_at: datetime | None = None

    def add(self, counts: dict[str, int], table: str, n: int) -> None:
        if n:
            counts[table] = counts.get(table, 0) + n

    @property
    def total_pushed(self) -> int:
        return sum(self.pushed.values())

    @property
    def total_pulled(self) -> int:
        return sum(self.pulled.values())


# --------------------------------------------------------------------------- what to push


def _push_filter(table: Table, user: str, info: SharedInfo, include_demo: bool) -> Any:
    """Which dirty local rows this login pushes from `table` (None: none)."""
    if table is BATCH:
        cond = and_(BATCH.c.imported_by == user, BATCH.c.status != "importing")
        return cond if include_demo else and_(cond, ~demo_batch())
    if table in (REVIEW, HISTORY):
        # Only reviews of samples the server has: their batch was pulled or pushed. As
        # NOT IN the samples of the batches still local (usually none), which SQLite
        # builds once per query by the sample.batch_id index; a correlated EXISTS looked
        # up every review's sample and batch (0.3 s to count 100,000 reviews).
        local_only: ColumnElement[bool] = BATCH.c.dirty.is_(True)
        if not include_demo:
            # The demo's reviews (and the user's own of demo samples) are reviews
            # of the demo batch's samples, so they stay local with it.
            local_only = or_(local_only, demo_batch())
        off_server = select(SAMPLE.c.id).where(
            SAMPLE.c.batch_id.in_(select(BATCH.c.id).where(local_only))
        )
        return and_(table.c.reviewer == user, table.c.sample_id.not_in(off_server))
    rule: Any = None
    if table is PROMPT:
        rule = true() if info.is_lead else PROMPT.c.owner == user
    elif table is VERSION:
        rule = true() if info.is_lead else VERSION.c.author == user
    elif table is PROPOSAL:
        rule = true() if info.is_lead else PROPOSAL.c.proposer == user
    elif table in (POLICY, EXPERIMENT):
        rule = table.c.created_by == user if info.is_lead else None
    if rule is None or include_demo:
        return rule
    # The demo's catalog (prompts, versions, experiment, policy) stays local.
    return and_(rule, ~demo_condition(table))


PUSH_TABLES: tuple[Table, ...] = (
    BATCH,
    PROMPT,
    VERSION,
    POLICY,
    PROPOSAL,
    EXPERIMENT,
    HISTORY,
    REVIEW,
)
# The tables pushed chunk by chunk, whose refused rows are remembered and left out
# (redline.sync.refusals). A refused sample is named and remembered too, and the batch's
# push goes past it; a batch the server refuses stops the sync.
ROW_TABLES = tuple(t for t in PUSH_TABLES if t is not BATCH)


def _to_push(table: Table, profile: Profile, info: SharedInfo, include_demo: bool) -> Any:
    """`_push_filter`, less the rows the server refused at their current revision."""
    cond = _push_filter(table, profile.user, info, include_demo)
    if cond is None or table is BATCH:
        return cond
    return and_(cond, refusals.not_refused(table, profile.name))


def _push_cursor_name(batch_id: uuid.UUID) -> str:
    return f"push-sample:{batch_id.hex}"


def pending_counts(
    engine: Engine,
    profile: Profile,
    *,
    is_lead: bool = False,
    include_demo: bool = False,
) -> dict[str, int]:
    """Rows waiting to be pushed, per table (what the status bar shows as pending);
    rows the server refused at their current revision wait for a change, not a push,
    and are not counted (see `SyncStatus.refused`)."""
    user = profile.user
    info = SharedInfo(user=user, is_lead=is_lead, revision="")
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in PUSH_TABLES:
            cond = _to_push(table, profile, info, include_demo)
            if cond is None:
                continue
            n = conn.execute(
                select(func.count()).select_from(table).where(table.c.dirty.is_(True), cond)
            ).scalar_one()
            if n:
                counts[table.name] = int(n)
        batches = conn.execute(
            select(BATCH.c.id, BATCH.c.rows_imported).where(
                BATCH.c.dirty.is_(True), _push_filter(BATCH, user, info, include_demo)
            )
        ).all()
        samples = 0
        for batch_id, _rows in batches:
            after = local.get_cursor(conn, profile.name, _push_cursor_name(batch_id))
            samples += int(
                conn.execute(
                    text("SELECT count(*) FROM sample WHERE batch_id = :b AND rowid > :after"),
                    {"b": batch_id.hex, "after": after},
                ).scalar_one()
            )
        if samples:
            counts["sample"] = samples
    return counts


# --------------------------------------------------------------------------- push


_columns = push_columns


def _server_rows(
    shared: Connection, table: Table, ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    if not ids:
        return []
    return [dict(r) for r in shared.execute(select(table).where(table.c.id.in_(ids))).mappings()]


def _sqlstate(exc: DBAPIError) -> str:
    code = str(getattr(exc.orig, "sqlstate", "") or "")
    # psycopg refuses a NUL in a text parameter itself, before the server sees it.
    return code or (DATA_EXCEPTION if isinstance(exc, DataError) else "")


def _is_refusal(exc: DBAPIError) -> bool:
    # 42501 insufficient_privilege (RLS, GRANT), 23xxx integrity (missing parent row...),
    # 22xxx a value the server cannot store (a NUL in text or JSON, an integer beyond
    # its column's range: the local store took it, the shared one cannot); a lead rule
    # of the server (refusals.SERVER_RULE) is in class 23.
    code = _sqlstate(exc)
    return code == "42501" or code.startswith(("23", "22"))


def _execute_push(
    shared: Connection, table: Table, payload: list[dict[str, Any]]
) -> list[tuple[uuid.UUID, int, int]]:
    """Upsert (history and samples: insert once); (id, revision, seq) of the rows taken."""
    return push_typed(shared, table, payload, insert_only=table in (HISTORY, SAMPLE))


def _is_disconnect(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated)


class _Abandoned(Exception):
    """A sent chunk's turn was withdrawn: roll it back (see _Run._pipelined)."""


class _Turn:
    """When a chunk sent on a push's worker thread may insert (the chunk before it
    committed on the server) and commit (the chunk before it is marked clean locally);
    `withdraw`: never, it rolls back."""

    def __init__(self) -> None:
        self._insert = threading.Event()
        self._commit = threading.Event()
        self._go = True

    def may_insert(self) -> None:
        self._insert.set()

    def may_commit(self) -> None:
        self._commit.set()

    def withdraw(self) -> None:
        self._go = False
        self._insert.set()
        self._commit.set()

    def wait_insert(self) -> None:
        self._wait(self._insert)

    def wait_commit(self) -> None:
        self._wait(self._commit)

    def _wait(self, event: threading.Event) -> None:
        event.wait()
        if not self._go:
            raise _Abandoned()


@dataclass(frozen=True)
class _Refused:
    """A row the server refused: its values as sent, and the server's words."""

    row: dict[str, Any]
    sqlstate: str
    reason: str


def _first_line(exc: BaseException, password: str | None) -> str:
    raw = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return redact(raw[0] if raw else type(exc).__name__, password)


class _Run:
    """One sync's state: both databases, who syncs, the report and the progress."""

    def __init__(
        self,
        store: Engine,
        shared: Engine,
        info: SharedInfo,
        ctx: SyncContext,
        progress: Progress,
    ) -> None:
        self.store = store
        self.shared = shared
        self.info = info
        self.ctx = ctx
        self.progress = progress
        self.report = SyncReport()
        self.done = 0
        self.total = 0
        # The rows the server refused in the chunk being finished (`_push_one_by_one`
        # fills it, `_finish_rows` records them with the chunk's clean marks).
        self.refused: list[_Refused] = []

    def _advance(self, n: int, text_: str) -> None:
        self.done += n
        self.progress.update(self.done, max(self.total, self.done), text_)

    # -- push -------------------------------------------------------------------------

    def push(self) -> None:
        ctx = self.ctx
        if self.info.user != ctx.profile.user:
            raise RedlineError(
                f"logged in as {self.info.user}, but the profile names {ctx.profile.user}",
                where=ctx.profile.where,
            )
        with self.store.begin() as conn:
            refusals.forget_stale(conn, ctx.profile.name, ROW_TABLES)
        counts = pending_counts(
            self.store, ctx.profile, is_lead=self.info.is_lead, include_demo=ctx.include_demo
        )
        self.done, self.total = 0, sum(counts.values())
        self.progress.update(0, self.total, "pushing")
        for table in PUSH_TABLES:
            self._push_table(table)

    def _push_table(self, table: Table) -> None:
        cond = _to_push(table, self.ctx.profile, self.info, self.ctx.include_demo)
        if cond is None:
            return
        if named_table(table) is not None:
            self._rename_before_push(table, cond)
        if table is BATCH:
            with self.store.connect() as conn:
                batches = [
                    dict(r)
                    for r in conn.execute(
                        select(table).where(table.c.dirty.is_(True), cond).order_by(table.c.id)
                    ).mappings()
                ]
            for batch in batches:
                self._push_batch(batch)
                self._advance(1, "pushing batches")
            return
        # One query read in chunks while they are pushed (SQLite reads lazily; in WAL
        # mode the marks written meanwhile do not wait for it). Paging with `id > last`
        # made SQLite sort every pending row again for each chunk. The chunks come
        # straight from the driver's cursor (tuples, no SQLAlchemy rows): `raw_columns`
        # need no conversion.
        query = (
            select(*raw_columns(table)).where(table.c.dirty.is_(True), cond).order_by(table.c.id)
        )
        with self.store.connect() as reader, self.store.connect() as writer:
            pending = reader.execute(query).cursor
            chunks: Iterator[list[tuple[Any, ...]]] = iter(
                lambda: list(pending.fetchmany(PUSH_CHUNK)), []
            )
            self._pipelined(
                chunks,
                lambda rows, turn: self._send(table, rows, turn),
                lambda rows, sending: self._received(table, rows, sending),
                lambda rows, applied: self._finish_rows(writer, table, rows, applied),
            )

    def _pipelined(
        self,
        chunks: Iterator[_Chunk],
        send: Callable[[_Chunk, _Turn], _Sent],
        receive: Callable[[_Chunk, Future[_Sent]], _Sent],
        finish: Callable[[_Chunk, _Sent], None],
    ) -> None:
        """Push chunk after chunk with the client's and the server's work side by side.

        Two chunks are in flight, each sent (`send`) on a worker thread of its own with
        its own server transaction: while the server inserts one, the next is copied to
        the server's staging table, and the local store reads the one after and writes
        the bookkeeping (`finish`) of the one before. A chunk inserts only once the one
        before it committed on the server (`receive` waits for that; a refused chunk is
        then pushed row by row, with the next one still waiting), and commits only once
        the one before it is marked clean locally. So the commit points come in the
        order of a plain loop (the kill tests replay them by number), rows are marked
        clean only after their server commit, and if anything fails or the user
        cancels, the chunk in flight rolls back and leaves nothing behind.
        """
        flight: deque[tuple[_Chunk, Future[_Sent], _Turn]] = deque()

        def launch() -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                turn = _Turn()
                flight.append((chunk, sender.submit(send, chunk, turn), turn))

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="redline-push") as sender:
            try:
                launch()
                if flight:
                    flight[0][2].may_insert()
                    flight[0][2].may_commit()
                launch()
                while flight:
                    sent, sending, _ = flight.popleft()
                    result = receive(sent, sending)
                    stop = self.progress.cancelled()
                    if flight and stop:
                        flight[0][2].withdraw()
                    elif flight:
                        flight[0][2].may_insert()
                    finish(sent, result)
                    if stop:
                        break
                    if flight:
                        flight[0][2].may_commit()
                    launch()
            except BaseException:
                for _, _, turn in flight:
                    turn.withdraw()
                raise
        check(self.progress)

    def _send(self, table: Table, rows: list[tuple[Any, ...]], turn: _Turn) -> list[Taken]:
        """One chunk of raw rows (`raw_columns`) to the server in its own transaction,
        on a worker thread: staged at once, inserted and committed when its turn comes."""
        with self.shared.begin() as shared:
            stage_raw(shared, table, rows)
            turn.wait_insert()
            applied = insert_staged(shared, table, insert_only=table in (HISTORY, SAMPLE))
            turn.wait_commit()
            self.ctx.step(f"push:{table.name}:before-server-commit")
        self.ctx.step(f"push:{table.name}:after-server-commit")
        return applied

    def _received(
        self, table: Table, rows: list[tuple[Any, ...]], sending: Future[list[Taken]]
    ) -> list[Taken]:
        """What the server took of a sent chunk; a refused row (permission, constraint)
        fails the whole chunk, which then goes row by row."""
        try:
            return sending.result()
        except (IntegrityError, ProgrammingError, DataError) as exc:
            if not _is_refusal(exc):
                raise
        at = _columns(table).index("id")
        applied = self._push_one_by_one(table, [uuid.UUID(hex=r[at]) for r in rows])
        self.ctx.step(f"push:{table.name}:after-server-commit")
        return [(i.hex, revision, seq) for i, revision, seq in applied]

    def _finish_rows(
        self, writer: Connection, table: Table, rows: list[tuple[Any, ...]], applied: list[Taken]
    ) -> None:
        """Mark the rows the server took clean (or take the server's winner)."""
        at = _columns(table).index("id")
        taken = {i for i, _, _ in applied}
        not_taken = [uuid.UUID(hex=r[at]) for r in rows if r[at] not in taken]
        winners: list[dict[str, Any]] = []
        if not_taken:
            with self.shared.connect() as shared:
                winners = _server_rows(shared, table, not_taken)
        refused, self.refused = self.refused, []
        refused_ids = {r.row["id"] for r in refused}
        with writer.begin():
            if winners and table in (PROPOSAL, VERSION):
                self._say_overruled(writer, table, winners, refused_ids)
            local.mark_pushed(writer, table, applied)
            if table is REVIEW:
                self.report.conflicts += local.apply_reviews(
                    writer, winners, device=self.ctx.device
                )
            elif table is HISTORY:
                local.apply_history(writer, winners)
            elif winners:
                # The server decided (a newer revision, or a change this login may not
                # make): its row replaces ours.
                self.report.renamed += resolve_clashes(writer, table, winners)
                local.apply_rows(writer, table, winners, force=True)
                if table is PROPOSAL:
                    self._restore_policies(writer, winners)
            restored = set() if table in (REVIEW, HISTORY) else {w["id"] for w in winners}
            self._record_refusals(writer, table, refused, restored)
            self.ctx.step(f"push:{table.name}:before-local-commit")
        self.report.add(self.report.pushed, table.name, len(applied))
        self._advance(len(rows), f"pushing {table.name.replace('_', ' ')}")

    def _say_overruled(
        self,
        writer: Connection,
        table: Table,
        winners: list[dict[str, Any]],
        refused_ids: set[uuid.UUID],
    ) -> None:
        """A decision the server did not take because its row moved on there (a newer
        revision) is said in the report, not dropped silently (the server's row is about
        to replace it here). Refused rows have their own line."""
        ids = [w["id"] for w in winners if w["id"] not in refused_ids]
        if not ids:
            return
        mine = {
            r["id"]: dict(r)
            for r in writer.execute(select(table).where(table.c.id.in_(ids))).mappings()
        }
        for theirs in winners:
            sent = mine.get(theirs["id"])
            if sent is not None and refusals.overruled_decision(table, sent, theirs):
                self.report.refused.append(refusals.describe_overruled(writer, table, sent, theirs))

    def _restore_policies(self, writer: Connection, proposals: list[dict[str, Any]]) -> None:
        """A decision the server did not take may have moved its policy's threshold
        here (`decide_proposal`); the server's policy replaces ours, so nothing acts on
        a threshold the team never approved. (A lead's policies were pushed before the
        proposals, so theirs are the server's already.)"""
        with self.shared.connect() as shared:
            policies = _server_rows(shared, POLICY, list({p["policy_id"] for p in proposals}))
        if policies:
            self.report.renamed += resolve_clashes(writer, POLICY, policies)
            local.apply_rows(writer, POLICY, policies, force=True)

    def _record_refusals(
        self,
        writer: Connection,
        table: Table,
        refused: list[_Refused],
        restored: set[uuid.UUID],
    ) -> None:
        """Say what was refused, and remember what stays a local change so the next
        pushes leave it out until it changes (redline.sync.refusals)."""
        for r in refused:
            self.report.refused.append(
                refusals.describe(
                    writer,
                    table,
                    r.row,
                    sqlstate=r.sqlstate,
                    server_reason=r.reason,
                    undone=r.row["id"] in restored,
                )
            )
        refusals.remember(
            writer,
            self.ctx.profile.name,
            table,
            [(r.row["id"], r.row["revision"]) for r in refused],
        )

    def _rename_before_push(self, table: Table, cond: Any) -> None:
        """Rows never pushed whose name a different shared row has are renamed first
        (redline.sync.names), so the push does not break the server's unique name."""
        named = named_table(table)
        assert named is not None
        query = select(table).where(table.c.dirty.is_(True), table.c.seq.is_(None), cond)
        with self.store.connect() as conn:
            mine = [dict(r) for r in conn.execute(query).mappings()]
        if not mine:
            return
        with self.shared.connect() as shared:
            labels = {r[named.label] for r in mine}
            candidates = shared.execute(
                select(table).where(table.c[named.label].in_(labels))
            ).mappings()
            keys = {tuple(r[c] for c in named.key): r["id"] for r in mine}
            theirs = [
                dict(r)
                for r in candidates
                if keys.get(tuple(r[c] for c in named.key), r["id"]) != r["id"]
            ]
        if theirs:
            with self.store.begin() as conn:
                self.report.renamed += resolve_clashes(conn, table, theirs)

    def _push_one_by_one(
        self, table: Table, ids: list[uuid.UUID]
    ) -> list[tuple[uuid.UUID, int, int]]:
        """One refused row fails a whole chunk: go row by row, keep what the server takes."""
        names = _columns(table)
        with self.store.connect() as conn:
            payload = [
                dict(r)
                for r in conn.execute(
                    select(*(table.c[n] for n in names)).where(table.c.id.in_(ids))
                ).mappings()
            ]
        applied: list[tuple[uuid.UUID, int, int]] = []
        with self.shared.begin() as shared:
            for row in payload:
                savepoint = shared.begin_nested()
                try:
                    applied += _execute_push(shared, table, [row])
                    savepoint.commit()
                except DBAPIError as exc:
                    savepoint.rollback()
                    if not _is_refusal(exc):
                        raise
                    sqlstate = _sqlstate(exc)
                    self.refused.append(_Refused(row, sqlstate, _first_line(exc, None)))
            self.ctx.step(f"push:{table.name}:before-server-commit")
        return applied

    def _push_batch(self, batch: dict[str, Any]) -> None:
        """The batch row, then its samples from the batch's push cursor; the batch is
        clean only once all its samples are on the server."""
        step = self.ctx.step
        with self.shared.begin() as shared:
            applied = _execute_push(shared, BATCH, [{k: batch[k] for k in _columns(BATCH)}])
        if not applied:
            # The server has this batch at a newer revision; the pull brings it.
            with self.shared.connect() as shared:
                applied = [
                    (r["id"], r["revision"], r["seq"])
                    for r in _server_rows(shared, BATCH, [batch["id"]])
                ]
        cursor_name = _push_cursor_name(batch["id"])
        with self.store.connect() as conn:
            after = local.get_cursor(conn, self.ctx.profile.name, cursor_name)
        with self.store.connect() as writer:
            self._pipelined(
                self._sample_chunks(batch["id"], after),
                lambda chunk, turn: self._send(SAMPLE, chunk[1], turn),
                lambda chunk, sending: self._received(SAMPLE, chunk[1], sending),
                lambda chunk, applied: self._finish_samples(writer, cursor_name, chunk, applied),
            )
        with self.store.begin() as conn:
            local.mark_pushed(conn, BATCH, [(batch["id"], batch["revision"], applied[0][2])])
            step("push:batch:before-local-commit")
        self.report.add(self.report.pushed, "batch", 1)

    def _finish_samples(
        self,
        writer: Connection,
        cursor_name: str,
        chunk: tuple[int, list[tuple[Any, ...]]],
        applied: list[Taken],
    ) -> None:
        """Samples the server did not take are there already, or the same records under
        other ids (adopted here); the batch's push cursor moves past the chunk."""
        last, rows = chunk
        taken = {i for i, _, _ in applied}
        at = _columns(SAMPLE).index("id")
        refused, self.refused = self.refused, []
        refused_ids = {r.row["id"].hex for r in refused}
        clashes = self._clashing_samples(
            [r for r in rows if r[at] not in taken and r[at] not in refused_ids]
        )
        with writer.begin():
            # A sample the server cannot store is named and stays here; the rest of the
            # batch goes on (its reviews are refused by the server in turn).
            self._record_refusals(writer, SAMPLE, refused, set())
            local.adopt_sample_ids(writer, clashes)
            local.set_cursor(writer, self.ctx.profile.name, cursor_name, last)
            self.ctx.step("push:sample:before-local-commit")
        self.report.add(self.report.pushed, "sample", len(taken))
        self._advance(len(rows), "pushing samples")

    def _sample_chunks(
        self, batch_id: uuid.UUID, after: int
    ) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        """The batch's samples after the rowid `after`, chunk by chunk: (the chunk's last
        rowid, its raw rows). The rowids come first, by the batch_id index, so the rows
        go to COPY as the driver returns them."""
        rowid = literal_column("sample.rowid", Integer)
        in_batch = SAMPLE.c.batch_id == batch_id
        while True:
            with self.store.connect() as conn:
                chunk = (
                    select(rowid.label("local_rowid"))
                    .where(in_batch, rowid > after)
                    .order_by(rowid)
                    .limit(SAMPLE_CHUNK)
                    .subquery()
                )
                last = conn.execute(select(func.max(chunk.c.local_rowid))).scalar_one()
                if last is None:
                    return
                query = (
                    select(*raw_columns(SAMPLE))
                    .where(in_batch, rowid > after, rowid <= last)
                    .order_by(rowid)
                )
                rows = list(conn.execute(query).cursor.fetchall())
            yield int(last), rows
            after = int(last)

    def _clashing_samples(self, raw: list[tuple[Any, ...]]) -> dict[uuid.UUID, uuid.UUID]:
        """Samples the server did not take: already there (a re-send), or the same record
        under another id (imported on another machine too): {local id: shared id}."""
        if not raw:
            return {}
        names = _columns(SAMPLE)
        missing = [dict(zip(names, r, strict=True)) for r in raw]
        for row in missing:
            row["id"] = uuid.UUID(hex=row["id"])
        clashes: dict[uuid.UUID, uuid.UUID] = {}
        with self.shared.connect() as shared:
            ids = [r["id"] for r in missing]
            there = set(shared.execute(select(SAMPLE.c.id).where(SAMPLE.c.id.in_(ids))).scalars())
            others = [r for r in missing if r["id"] not in there]
            # One query for the chunk, not one per sample: the same file imported on
            # two machines makes every sample of the second push a clash.
            keys = [(r["source"], r["external_id"]) for r in others]
            shared_ids = (
                {
                    (source, external_id): shared_id
                    for shared_id, source, external_id in shared.execute(
                        select(SAMPLE.c.id, SAMPLE.c.source, SAMPLE.c.external_id).where(
                            tuple_(SAMPLE.c.source, SAMPLE.c.external_id).in_(keys)
                        )
                    )
                }
                if keys
                else {}
            )
            for row in others:
                shared_id = shared_ids.get((row["source"], row["external_id"]))
                if shared_id is not None:
                    clashes[row["id"]] = shared_id
        return clashes

    # -- pull -------------------------------------------------------------------------

    def pull(self) -> None:
        name = self.ctx.profile.name
        with self.shared.connect() as shared:
            last_value, is_called = shared.execute(
                text("SELECT last_value, is_called FROM redline_change_seq")
            ).one()
            # Pull every table up to the same point: a row's parents (a review's sample)
            # have lower seq values, so they arrive first.
            high = int(last_value) if is_called else 0
            with self.store.connect() as conn:
                cursors = {t.name: local.get_cursor(conn, name, t.name) for t in PULL_TABLES}
            total = 0
            for table in PULL_TABLES:
                total += int(
                    shared.execute(
                        select(func.count())
                        .select_from(table)
                        .where(table.c.seq > cursors[table.name], table.c.seq <= high)
                    ).scalar_one()
                )
        self.done, self.total = 0, total
        self.progress.update(0, total, "pulling")
        for table in PULL_TABLES:
            self._pull_table(table, cursors[table.name], high)

    def _pull_table(self, table: Table, cursor: int, high: int) -> None:
        name = self.ctx.profile.name
        while cursor < high:
            check(self.progress)
            with self.shared.connect() as shared:
                rows = [
                    dict(r)
                    for r in shared.execute(
                        _pull_query(table)
                        .where(table.c.seq > cursor, table.c.seq <= high)
                        .order_by(table.c.seq)
                        .limit(PULL_PAGE)
                    ).mappings()
                ]
            if not rows:
                break
            with self.store.begin() as conn:
                # A page may hold a row before the row it refers to (v2 before its
                # parent v1, re-sequenced by its approval): foreign keys are checked at
                # this commit, once the page and the parents it lacks are all here.
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                self._pull_parents(conn, table, rows)
                self._apply_pulled(conn, table, rows)
                cursor = int(rows[-1]["seq"])
                local.set_cursor(conn, name, table.name, cursor)
                self.ctx.step(f"pull:{table.name}:before-local-commit")
            self.report.add(self.report.pulled, table.name, len(rows))
            self._advance(len(rows), f"pulling {table.name.replace('_', ' ')}")
            if len(rows) < PULL_PAGE:
                break

    def _apply_pulled(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        if table is SAMPLE:
            local.apply_samples(conn, rows)
        elif table is REVIEW:
            self.report.conflicts += local.apply_reviews(conn, rows, device=self.ctx.device)
        elif table is HISTORY:
            local.apply_history(conn, rows)
        elif table is AUDIT:
            local.apply_audit_events(conn, rows)
        else:
            self.report.renamed += resolve_clashes(conn, table, rows)
            local.apply_rows(conn, table, rows)

    def _pull_parents(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows that pulled `rows` refer to and this store lacks, fetched and applied in
        the same local transaction (their own parents first).

        Pulling up to one `seq` brings a row's parents first only while the parents keep
        their seq; a parent changed since (v1 approved after v2 was written, a batch
        updated after its samples) has a higher seq than its children, possibly above the
        pull's end. Applying such a parent early is harmless: when its turn comes, the
        same row is applied again.
        """
        for fk in table.foreign_keys:
            parent = fk.column.table
            if not any(parent is t for t in PULL_TABLES):
                continue
            column = fk.parent.name
            wanted = {r[column] for r in rows if r[column] is not None}
            if parent is table:
                wanted -= {r["id"] for r in rows}
            if not wanted:
                continue
            have = set(conn.execute(select(parent.c.id).where(parent.c.id.in_(wanted))).scalars())
            missing = wanted - have
            if not missing:
                continue
            with self.shared.connect() as shared:
                found = [
                    dict(r)
                    for r in shared.execute(
                        _pull_query(parent).where(parent.c.id.in_(missing))
                    ).mappings()
                ]
            assert isinstance(parent, Table)
            self._pull_parents(conn, parent, found)
            self._apply_pulled(conn, parent, found)


# --------------------------------------------------------------------------- sync


def sync(
    store: Engine,
    shared_engine: Engine,
    ctx: SyncContext,
    *,
    password: str | None = None,
    push: bool = True,
    pull: bool = True,
    progress: Progress = NO_PROGRESS,
) -> SyncReport:
    """Push, then pull. Raises RedlineError (never containing the password) when the
    server cannot be reached or refuses the login; `Cancelled` on cancel. Whatever was
    committed before an error or a cancel stays consistent, and the next sync goes on."""
    info = check_shared(shared_engine, ctx.profile, password)
    run = _Run(store, shared_engine, info, ctx, progress)
    try:
        if push:
            run.push()
        if pull:
            run.pull()
    except DBAPIError as exc:
        if isinstance(exc, (IntegrityError, ProgrammingError)) and not _is_disconnect(exc):
            raise RedlineError(
                f"the shared database refused the sync: {_first_line(exc, password)}",
                where=ctx.profile.where,
                hint="local work is intact; report this to your lead",
            ) from None
        raise connection_error(exc, ctx.profile, password) from None
    if run.report.pulled.get("sample"):
        # Pulled samples join the queue at once; search finds them once indexed (the
        # importer does the same after an import).
        ensure_search_index(store, progress)
    with store.begin() as conn:
        local.set_cursor(conn, ctx.profile.name, LAST_SYNC, 0)
    run.report.finished_at = clock.now()
    return run.report


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows without touching the network.

    Attributes:
        pending: rows waiting to be pushed, per table.
        last_sync: when the last sync with this profile finished (None: never).
        refused: local changes the server refused, one line each for people; kept
            here and not sent again until changed (redline.sync.refusals).
    """

    pending: dict[str, int]
    last_sync: datetime | None
    refused: tuple[str, ...] = ()

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())


def sync_status(
    store: Engine, profile: Profile, *, is_lead: bool = False, include_demo: bool = False
) -> SyncStatus:
    """`is_lead`: count what a lead's sync pushes (her decisions on others' proposals and
    versions, her policies and experiments); the role the settings name, as no network
    is asked (the server decides what it takes)."""
    pending = pending_counts(store, profile, is_lead=is_lead, include_demo=include_demo)
    with store.connect() as conn:
        last = conn.execute(
            select(models.SyncState.updated_at).where(
                models.SyncState.profile == profile.name, models.SyncState.table_name == LAST_SYNC
            )
        ).scalar_one_or_none()
        refused = refusals.pending_refusals(conn, profile.name, (SAMPLE, *ROW_TABLES))
    return SyncStatus(pending=pending, last_sync=last, refused=tuple(refused))
