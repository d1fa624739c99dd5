"""Import sampled production outputs into the local store (streaming, resumable).

An import reads the file once (twice when the sampling rule needs counts first),
maps each record, and commits every few thousand records in one transaction that also
advances the batch's counters and resume position. So a crash or kill at any moment
leaves the store consistent: the batch says exactly what is in it, and importing the
same file again resumes after the last committed record. Re-importing a finished file
adds nothing: samples are unique by (source, external id), and a record without an id
gets the hash of its raw content as id.

A big file is read, parsed and mapped by a worker process while this one writes
(`_Worker`), rows carry only the values that vary between samples (`rows`), and a big
import builds the score index after its inserts instead of during them
(`bulk.DEFERRED_INDEXES`); none of it changes what is imported or how an interrupted
import resumes.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import marshal
import multiprocessing
import multiprocessing.connection
import queue
import re
import signal
import threading
import traceback
import weakref
from collections.abc import Generator, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from redline import clock
from redline.errors import RedlineError
from redline.ingest.detection import detect, open_records, require_fields
from redline.ingest.mapping import BadRecord, MappedRecord, Mapper, merge
from redline.ingest.readers import (
    LEGACY_ENCODINGS,
    FileKind,
    TruncatedFileError,
    estimate_records,
    sniff,
)
from redline.ingest.records import RawRecord
from redline.ingest.rows import SampleRows, insert_rows, insert_statement, record_columns
from redline.ingest.sampling import SamplingPlan
from redline.ingest.shapes import ToolImport
from redline.ingest.types import ImportReport, Problem, SamplingRule
from redline.progress import NO_PROGRESS, Cancelled, Progress
from redline.store import bulk
from redline.store.base import uuid7
from redline.store.models import Batch, BatchStatus, ImportProblem, SourceMapping
from redline.store.session import session_scope

_log = logging.getLogger(__name__)

CHUNK_RECORDS = 5000
"""Records handed to the writer at a time (progress and cancel are checked per chunk)."""

COMMIT_CHUNKS = 4
"""Chunks per transaction: each commit rewrites every index page it touched (the score
index is touched all over), so fewer, larger commits write much less; small enough that
a kill loses a few seconds of work at most (which the resume then redoes)."""

WAL_AUTOCHECKPOINT_PAGES = 10_000
"""The importing connection checkpoints every ~40 MB of WAL instead of SQLite's 4 MB:
index pages rewritten by several commits are copied to the database file once, with
fewer fsyncs. Only this connection's setting; the store's default stays."""

WORKER_MIN_RECORDS = 100_000
"""Files of at least this many records (estimated) are read and parsed by a worker
process while this one writes (see _WorkerChunks); starting one takes ~0.3 s."""

WORKER_IDLE_SECONDS = 600.0
"""A started worker that gets no job in this time exits (the file check of a huge file
took longer: the import then reads in-process)."""

DEFER_INDEXES_MIN_ROWS = 100_000
DEFER_INDEXES_MIN_SHARE = 0.5
"""An import of at least DEFER_INDEXES_MIN_ROWS rows, and at least this share of the
rows already in the store, builds the score index after its inserts instead of
keeping it up to date row by row (see bulk.DEFERRED_INDEXES)."""

EXCERPT_CHARS = 200
REPORT_PROBLEMS = 100


def default_source(path: Path) -> str:
    """The source name for a file: its name without format and compression suffixes."""
    name = path.name
    name = re.sub(r"(\.(gz|gzip))$", "", name, flags=re.IGNORECASE)
    name = re.sub(r"\.(jsonl|ndjson|json|csv|tsv|parquet|pq|txt)$", "", name, flags=re.I)
    return name or path.name


def file_sha256(path: Path, progress: Progress = NO_PROGRESS) -> str:
    """The file's SHA-256 (identifies the file for resume and "already imported")."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
            done += len(chunk)
            progress.update(done, size, "checking the file")
            if progress.cancelled():
                raise Cancelled()
    return digest.hexdigest()


def _excerpt(raw: bytes) -> str:
    return raw[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")[:EXCERPT_CHARS]


class _MappedStream:
    """Maps raw records, turning every failure into a Problem with its line."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper

    def map(self, record: RawRecord) -> MappedRecord | Problem:
        if record.value is None:
            return _problem(record, record.error or "unreadable")
        try:
            return self.mapper.map(record.value)
        except BadRecord as exc:
            return _problem(record, str(exc))


def _problem(record: RawRecord, reason: str) -> Problem:
    """A rejected record's problem; a JSON document's element is shown at its file line,
    with its index in the array ("line 20511: record 1,234: ...")."""
    if record.file_line:
        return Problem(record.file_line, f"record {record.line:,}: {reason}", _excerpt(record.raw))
    return Problem(record.line, reason, _excerpt(record.raw))


def import_file(
    path: Path,
    *,
    engine: Engine,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    sampling: SamplingRule | None = None,
    imported_by: str = "",
    progress: Progress = NO_PROGRESS,
    companions: Sequence[Path] = (),
    demo: bool = False,
) -> ImportReport:
    """Import one file (JSONL, CSV, Parquet, or gzip of any) into the store.

    Args:
        path: the file.
        engine: the local store.
        source: the name of the production source (default: the file name without its
            extensions); re-importing the same records of a source adds nothing.
        mapping: overrides of the detected field mapping, Sample field -> record field
            (dotted paths reach into nested objects; an empty path unmaps a field);
            the resulting mapping is saved for the source and used by its next import.
        sampling: which records to import (default: all).
        imported_by: the reviewer's name, recorded on the batch.
        progress: receives (units done, total units or 0, text); cancelling stops after
            the current chunk, leaving a consistent, resumable batch.
        companions: files joined with this one (an OpenAI Batch input file with its
            output file).
        demo: mark a new batch as demo data (`redline demo`), which sync never pushes.

    Raises:
        RedlineError: the file cannot be read at all (missing, empty, binary, unknown
            format, no recognisable input/output fields).
        Cancelled: the user cancelled; everything committed so far stays consistent and
            the same import resumes where it stopped.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # A script without `if __name__ == "__main__":` is run again by the import's
        # worker process as it starts (multiprocessing's spawn); that run must not
        # import anything (multiprocessing's own check uses the same flag).
        raise RedlineError(
            "import_file was called while a worker process was starting",
            hint='put the script\'s code under if __name__ == "__main__":',
        )
    if engine.dialect.name != "sqlite":
        # The writer binds rows the SQLite way (ids as hex, times as text, PRAGMAs); the
        # shared database receives samples by sync, never by import.
        raise RedlineError(
            "imports go into the local store, not the shared database",
            where=str(path),
            hint="import on your machine, then `redline sync` shares the batch",
        )
    path = Path(path)
    kind = sniff(path)
    records = estimate_records(path, kind)
    # Started first, so its start overlaps the file check (see _Worker).
    worker = _Worker() if records >= WORKER_MIN_RECORDS else None
    source = (source or default_source(path)).strip()
    if not source:
        raise RedlineError("the source name is empty", where=str(path))
    rule = sampling or SamplingRule()
    sha = file_sha256(path, progress)

    detection = detect(path, kind, companions)
    shape, detected = detection.shape, detection.mapping
    if detection.problems:
        raise RedlineError(
            "no record in the first lines could be read: " + "; ".join(detection.problems),
            where=str(path),
        )
    with session_scope(engine) as session:
        saved = session.get(SourceMapping, source)
        base = merge(detected, saved.mapping) if saved else detected
        final_mapping = merge(base, mapping or {})
        require_fields(final_mapping, shape, path, detection.fields)
        if saved is None:
            session.add(SourceMapping(source=source, mapping=final_mapping))
        elif mapping:
            saved.mapping = final_mapping

        # The seed matters only to rules that draw at random.
        sampling_desc: dict[str, Any] = {"rule": rule.describe()}
        if rule.kind != "all":
            sampling_desc["seed"] = rule.seed
        previous = session.scalars(
            select(Batch)
            .where(Batch.source == source, Batch.file_sha256 == sha)
            .order_by(Batch.started_at.desc())
        ).all()
        for batch in previous:
            if batch.status == BatchStatus.COMPLETE and batch.sampling == sampling_desc:
                return _already_imported(batch)
        resumable = next(
            (
                b
                for b in previous
                if b.status != BatchStatus.COMPLETE
                and b.sampling == sampling_desc
                and b.mapping == final_mapping
            ),
            None,
        )
        if resumable is None:
            batch = Batch(
                id=uuid7(),
                source=source,
                file_name=str(path),
                file_sha256=sha,
                file_size=path.stat().st_size,
                format=kind.format + (".gz" if kind.compressed else ""),
                shape=shape,
                mapping=final_mapping,
                sampling=sampling_desc,
                imported_by=imported_by,
                is_demo=demo,
            )
            session.add(batch)
            resumed = False
        else:
            batch = resumable
            batch.status = BatchStatus.IMPORTING.value
            resumed = True
        batch_id = batch.id
        resume_line = batch.resume_line or 0  # None until the new row is flushed

    importer = _Importer(
        engine=engine,
        batch_id=batch_id,
        source=source,
        mapper=Mapper(final_mapping),
        expand=detection.tool,
        plan=SamplingPlan(rule),
        progress=progress,
    )
    if rule.kind == "all":  # the lines before the resume point are skipped unread
        records = max(0, records - resume_line)
    if worker is not None and (records < WORKER_MIN_RECORDS or detection.tool is not None):
        # Little left to read, or a tool export (its expander's counts go into the
        # batch message, so it runs here).
        worker.close()
        worker = None
    deferred = _defer_indexes(engine, _expected_rows(records, rule))
    try:
        if importer.plan.needs_first_pass:
            importer.count_pass(path, kind)
        importer.import_pass(path, kind, resume_line, worker=worker)
    except Cancelled:
        _set_status(engine, batch_id, BatchStatus.CANCELLED, "cancelled by the user")
        raise
    except BaseException as exc:
        _set_status(engine, batch_id, BatchStatus.FAILED, f"failed: {exc}")
        raise
    finally:
        if deferred:
            progress.update(0, 0, "building the score index")
            bulk.restore_deferred_indexes(engine)
    with session_scope(engine) as session:
        batch = session.get_one(Batch, batch_id)
        batch.status = BatchStatus.COMPLETE.value
        batch.finished_at = clock.now()
        batch.message = "resumed and completed" if resumed else "completed"
        if detection.tool is not None and detection.tool.summary():
            batch.message += f"; {detection.tool.summary()}"
        if kind.encoding in LEGACY_ENCODINGS:
            batch.message += f"; not UTF-8: read as {LEGACY_ENCODINGS[kind.encoding]}"
    return _report(engine, batch_id, resumed=resumed)


def _expected_rows(records: int, rule: SamplingRule) -> int:
    """About how many rows the import will insert (for choosing how to insert them)."""
    if rule.kind in ("all", "stratified") or rule.n is None:
        return records  # stratified: N per stratum, and the strata are not known yet
    return min(records, rule.n)


def _defer_indexes(engine: Engine, rows: int) -> bool:
    """Drop the deferred indexes (bulk.DEFERRED_INDEXES) when building them again after
    the import costs less than keeping them up to date during it; True if dropped.

    The build reads every sample of the store, the upkeep costs per imported row: it
    pays for a big import into a store that is not much bigger already.
    """
    if engine.dialect.name != "sqlite" or rows < DEFER_INDEXES_MIN_ROWS:
        return False
    with engine.connect() as conn:
        # max(rowid) is instant where count(*) reads a whole index; rows are appended.
        stored = conn.exec_driver_sql("SELECT max(rowid) FROM sample").scalar() or 0
    if rows < stored * DEFER_INDEXES_MIN_SHARE:
        return False
    bulk.drop_deferred_indexes(engine)
    return True


def _set_status(engine: Engine, batch_id: Any, status: BatchStatus, message: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Batch)
            .where(Batch.id == batch_id)
            .values(status=status.value, message=message, finished_at=clock.now())
        )


def _already_imported(batch: Batch) -> ImportReport:
    """This run added nothing: the same file was imported completely before."""
    report = _report_of(batch)
    return replace(
        report,
        imported=0,
        duplicates=batch.rows_imported + batch.rows_duplicate,
        message=f"already imported completely as batch {batch.id}: nothing was added",
    )


def _report(engine: Engine, batch_id: Any, *, resumed: bool) -> ImportReport:
    problems = tuple(first_problems(engine, batch_id))
    with session_scope(engine) as session:
        batch = session.get_one(Batch, batch_id)
    return replace(_report_of(batch), resumed=resumed, problems=problems)


def _report_of(batch: Batch) -> ImportReport:
    """The report a batch's counters tell."""
    return ImportReport(
        batch_id=batch.id,
        source=batch.source,
        file_name=batch.file_name,
        format=batch.format,
        shape=batch.shape,
        status=batch.status,
        records_read=batch.records_read,
        imported=batch.rows_imported,
        duplicates=batch.rows_duplicate,
        bad=batch.rows_bad,
        not_sampled=batch.rows_not_sampled,
        mapping=dict(batch.mapping),
        message=batch.message,
    )


def first_problems(engine: Engine, batch_id: Any, limit: int = REPORT_PROBLEMS) -> list[Problem]:
    """The first bad records of a batch, by line."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(ImportProblem)
            .where(ImportProblem.batch_id == batch_id)
            .order_by(ImportProblem.line)
            .limit(limit)
        ).all()
        return [Problem(row.line, row.reason, row.excerpt) for row in rows]


def rows_kept_after_cancel(engine: Engine, source: str, since: datetime) -> int | None:
    """The rows kept by the import of `source` cancelled since `since` (the latest one),
    or None when no such import was cancelled (it stopped before creating its batch).

    A cancelled import keeps what it committed; running it again resumes from there.
    """
    with session_scope(engine) as session:
        return session.scalar(
            select(Batch.rows_imported)
            .where(
                Batch.source == source,
                Batch.status == BatchStatus.CANCELLED.value,
                Batch.finished_at >= since,
            )
            .order_by(Batch.finished_at.desc())
            .limit(1)
        )


class _Importer:
    """The two passes of one import and its chunked commits."""

    def __init__(
        self,
        *,
        engine: Engine,
        batch_id: Any,
        source: str,
        mapper: Mapper,
        plan: SamplingPlan,
        progress: Progress,
        expand: ToolImport | None = None,
    ) -> None:
        self.engine = engine
        self.batch_id = batch_id
        self.batch_hex = bulk.sqlite_uuid(batch_id)
        self.source = source
        self.mapped = _MappedStream(mapper)
        self.plan = plan
        self.progress = progress
        self.expand = expand

    def count_pass(self, path: Path, kind: FileKind) -> None:
        """First pass for sampling rules that need counts: observe every good record."""
        with open_records(path, kind, expand=self.expand) as opened:
            try:
                for units, raw in enumerate(opened.records, start=1):
                    result = self.mapped.map(raw)
                    if isinstance(result, MappedRecord):
                        self.plan.observe(result)
                    if units % CHUNK_RECORDS == 0:
                        self.progress.update(
                            opened.position(),
                            opened.total,
                            f"counting records for sampling: {units:,}",
                        )
                        if self.progress.cancelled():
                            raise Cancelled()
            except TruncatedFileError:
                pass  # the import pass reports it
        self.plan.finish_first_pass()

    def import_pass(
        self, path: Path, kind: FileKind, resume_line: int, *, worker: _Worker | None = None
    ) -> None:
        """Read, map and sample the records and commit them chunk by chunk.

        With a `worker` the record loop runs in that process (see _Worker) while this
        one only writes: the same chunks, commits and progress.
        """
        # With a sampling plan every record must be seen again to replay its decisions;
        # with "all", lines before the resume point are skipped unparsed.
        skip = 0 if self.plan.needs_first_pass else resume_line
        if self.expand is not None:  # a tool export: a line may hold several samples
            skip = self.expand.resuming_after(resume_line, skip)
        job = _ChunkJob(
            path=path,
            kind=kind,
            skip=skip,
            resume_line=resume_line,
            mapping=self.mapped.mapper.mapping,
            plan=self.plan,
            batch_hex=self.batch_hex,
            chunk_records=CHUNK_RECORDS,
        )
        # A tool export's expander keeps counts for the batch message: it stays here.
        chunks: AbstractContextManager[Iterator[_Chunk]] = (
            worker.chunks(job)
            if worker is not None and self.expand is None
            else closing(_chunks(job, self.expand))
        )
        total = 0
        with (
            _ChunkWriter(self.engine, self.batch_id, self.source) as writer,
            chunks as source,
        ):
            for chunk in source:
                writer.put(chunk)
                total = chunk.total
                if chunk.last:
                    break
                self.progress.update(
                    chunk.position, chunk.total, f"importing: line {chunk.last_line:,}"
                )
                if self.progress.cancelled():
                    raise Cancelled()
        self.progress.update(total, total, "imported")


@dataclass(frozen=True)
class _ChunkJob:
    """Everything the record loop needs; picklable, so a worker process can run it."""

    path: Path
    kind: FileKind
    skip: int
    resume_line: int
    mapping: dict[str, str]
    plan: SamplingPlan
    batch_hex: str
    chunk_records: int


@dataclass
class _Chunk:
    """Records of one transaction, and the line the batch may resume after once it commits."""

    last_line: int
    samples: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[tuple[str, int, str, str]] = field(default_factory=list)
    not_sampled: int = 0
    position: int = 0
    """How far into the file (bytes on disk, or rows) the chunk ends, for progress."""
    total: int = 0
    last: bool = False
    """The file's last chunk (it may be empty)."""
    columns: tuple[str, ...] = ()
    """The columns the samples' values fill (see redline.ingest.rows)."""

    def size(self) -> int:
        return len(self.samples) + len(self.problems) + self.not_sampled


def _chunks(job: _ChunkJob, expand: ToolImport | None = None) -> Generator[_Chunk]:
    """The record loop of an import: read, map, sample, and make rows, a chunk at a time.

    Runs in the importing thread, or in the worker process (see _WorkerChunks). Lines up
    to the resume line are replayed for the sampling decisions but yield nothing.
    """
    mapper = Mapper(job.mapping)
    mapped, plan, rows = _MappedStream(mapper), job.plan, SampleRows(record_columns(mapper))
    resume_line = job.resume_line
    chunk = _Chunk(resume_line)
    ordinal = 0
    with open_records(job.path, job.kind, skip=job.skip, expand=expand) as opened:
        # Bound once: the loop runs once per record of a file of millions.
        map_record, decide, row = mapped.map, plan.decide, rows.row
        keep_all = plan.rule.kind == "all"
        try:
            for raw in opened.records:
                result = map_record(raw)
                replay = raw.line <= resume_line
                if isinstance(result, Problem):
                    if not replay:
                        chunk.problems.append(
                            (job.batch_hex, result.line, result.reason, result.excerpt)
                        )
                else:
                    key = result.external_id or _raw_key(raw.raw)
                    probability = 1.0 if keep_all else decide(ordinal, key, result)
                    ordinal += 1
                    if not replay:
                        if probability > 0.0:
                            chunk.samples.append(row(result, key, probability))
                        else:
                            chunk.not_sampled += 1
                chunk.last_line = max(chunk.last_line, raw.line)
                if chunk.size() >= job.chunk_records:
                    chunk.position, chunk.total = opened.position(), opened.total
                    chunk.samples, chunk.columns = rows.finish(chunk.samples)
                    yield chunk
                    chunk = _Chunk(chunk.last_line)
        except TruncatedFileError as exc:
            chunk.problems.append(
                (
                    job.batch_hex,
                    exc.line + 1,
                    f"the file is truncated here ({exc.detail}); the records before this "
                    "line were imported",
                    "",
                )
            )
            chunk.last_line = max(chunk.last_line, exc.line + 1)
        chunk.position = chunk.total = opened.total
        chunk.samples, chunk.columns = rows.finish(chunk.samples)
        chunk.last = True
        yield chunk


class _ChunkWriter:
    """Commits chunks on a thread of its own while the next chunk is parsed.

    SQLite releases the GIL while it inserts and maintains indexes, so part of the
    writing overlaps the parsing of the next chunk (less than hoped: the writer needs
    the GIL back to bind every row, see the issue notes on import speed). Each chunk is
    written with the batch's counters and resume line in the same transaction, which
    commits every COMMIT_CHUNKS chunks and at the end (also on cancel); at most two
    chunks wait, so memory stays bounded. An error in the writer surfaces in the
    importer at the next put() or at the end.
    """

    _DONE = None

    def __init__(self, engine: Engine, batch_id: Any, source: str) -> None:
        self._engine = engine
        self._batch_id = batch_id
        self._batch_hex, self._source = bulk.sqlite_uuid(batch_id), source
        self._queue: queue.Queue[_Chunk | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="redline-import-writer")

    def __enter__(self) -> _ChunkWriter:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._queue.put(self._DONE)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._error

    def put(self, chunk: _Chunk) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def _run(self) -> None:
        try:
            with self._engine.connect() as conn:
                # Outside any transaction (the driver is in autocommit until BEGIN).
                conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                    f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}"
                )
                transaction, chunks, now = None, 0, clock.now()
                while (chunk := self._queue.get()) is not self._DONE:
                    if transaction is None:
                        transaction, now = conn.begin(), clock.now()
                    self._write(conn, chunk, now)
                    chunks += 1
                    if chunks % COMMIT_CHUNKS == 0:
                        transaction.commit()
                        transaction = None
                if transaction is not None:
                    transaction.commit()
        except BaseException as exc:  # handed to the importer thread; the open
            self._error = exc  # transaction rolls back with the connection
            while self._queue.get() is not self._DONE:
                pass

    def _write(self, conn: Connection, chunk: _Chunk, now: datetime) -> None:
        """Write one chunk together with the batch's counters and resume position, in
        the open transaction: rows and counters always commit together. The rows of a
        transaction share their creation time (one statement for its chunks)."""
        statement = insert_statement(
            chunk.columns,
            now=now,
            batch_hex=self._batch_hex,
            source=self._source,
        )
        inserted = insert_rows(conn, statement, chunk.samples)
        bulk.insert_problems(conn, chunk.problems)
        conn.execute(
            update(Batch)
            .where(Batch.id == self._batch_id)
            .values(
                records_read=Batch.records_read + chunk.size(),
                rows_imported=Batch.rows_imported + inserted,
                rows_duplicate=Batch.rows_duplicate + len(chunk.samples) - inserted,
                rows_bad=Batch.rows_bad + len(chunk.problems),
                rows_not_sampled=Batch.rows_not_sampled + chunk.not_sampled,
                resume_line=chunk.last_line,
            )
        )


class _Worker:
    """A worker process that runs the record loop (`_chunks`) and streams the chunks back.

    Reading, parsing, mapping and making rows take about as long as SQLite takes to
    insert them, and threads cannot overlap the two (both need the GIL): a second
    process can. SQLite stays in this process, so commits, resume and cancel work as
    in-process. Chunks travel marshalled (plain tuples of str/int/float/None: several
    times faster than pickle). The pipe holds one chunk, the writer queue two more, so
    memory stays bounded.

    Started before the file check, so its own start (~0.5 s of imports) overlaps it;
    it then waits for its job. It exits when the pipe closes: at the end, on a cancel,
    when dropped unused, or when this process dies (even by SIGKILL): it never outlives
    the import.
    """

    def __init__(self) -> None:
        # spawn, not fork: the GUI has threads (a forked child may inherit a held lock).
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_work, args=(child,), name="redline-import-reader", daemon=True
        )
        self._process.start()
        child.close()  # the worker's end lives in the worker only: EOF when it dies
        self.close = weakref.finalize(self, _stop_worker, self._conn, self._process)
        """Stop the worker (idempotent; also runs when the worker is dropped unused)."""

    @contextmanager
    def chunks(self, job: _ChunkJob) -> Iterator[Iterator[_Chunk]]:
        """The job's chunks, made by the worker; closing stops it."""
        with suppress(OSError):  # a worker that died at once is handled in _receive
            self._conn.send(job)
        try:
            yield self._receive(job)
        finally:
            self.close()

    def _receive(self, job: _ChunkJob) -> Iterator[_Chunk]:
        received = False
        while True:
            try:
                message = marshal.loads(self._conn.recv_bytes())
            except (EOFError, OSError):
                self._process.join()
                if not received:
                    # It could not start (e.g. a script without a __main__ guard, see
                    # import_file): do the work here, slower but the same.
                    _log.warning(
                        "the import worker process stopped before its first records "
                        "(exit code %s); importing in this process",
                        self._process.exitcode,
                    )
                    yield from _chunks(job)
                    return
                raise RedlineError(
                    "the import's reader process stopped unexpectedly "
                    f"(exit code {self._process.exitcode})",
                    hint="import the file again: it resumes after the last saved record",
                ) from None
            received = True
            if message[0] == "chunk":
                chunk = _Chunk(*message[1:])
                yield chunk
                if chunk.last:
                    return
            elif message[0] == "redline":
                raise RedlineError(message[1], where=message[2], hint=message[3])
            else:
                raise RuntimeError(f"the import's reader process failed: {message[1]}")


def _work(conn: multiprocessing.connection.Connection) -> None:
    """The worker process: run the record loop of the job it receives, send each chunk."""
    # Ctrl+C reaches the whole process group: the importing process decides about it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The record loop makes no reference cycles, and this process ends with the import:
    # the collector's passes over every row in flight would only cost time.
    gc.disable()
    try:
        if not conn.poll(WORKER_IDLE_SECONDS):
            return  # no job came (the importer lost track of us): the importer copes
        job: _ChunkJob = conn.recv()
        for chunk in _chunks(job):
            message = (
                "chunk", chunk.last_line, chunk.samples, chunk.problems,
                chunk.not_sampled, chunk.position, chunk.total, chunk.last, chunk.columns,
            )  # fmt: skip
            conn.send_bytes(marshal.dumps(message))
    except (EOFError, OSError):
        pass  # the importer closed the pipe (cancel) or is gone: stop quietly
    except RedlineError as exc:
        _send_quietly(conn, ("redline", exc.what, exc.where, exc.hint))
    except BaseException as exc:
        _send_quietly(conn, ("failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def _stop_worker(
    conn: multiprocessing.connection.Connection, process: multiprocessing.process.BaseProcess
) -> None:
    conn.close()
    # Done, idle, or its work is moot (a cancel, an error here): nothing in it to keep.
    process.terminate()
    process.join()


def _send_quietly(conn: multiprocessing.connection.Connection, message: tuple[Any, ...]) -> None:
    with suppress(OSError):
        conn.send_bytes(marshal.dumps(message))


def _raw_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()
