"""Import sampled production outputs into the local store (streaming, resumable).

An import reads the file once (twice when the sampling rule needs counts first),
maps each record, and commits every few thousand records in one transaction that also
advances the batch's counters and resume position. So a crash or kill at any moment
leaves the store consistent: the batch says exactly what is in it, and importing the
same file again resumes after the last committed record. Re-importing a finished file
adds nothing: samples are unique by (source, external id), and a record without an id
gets the hash of its raw content as id.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from redline.errors import RedlineError
from redline.ingest.language import guess_language
from redline.ingest.mapping import BadRecord, MappedRecord, Mapper, detect_mapping, merge
from redline.ingest.readers import (
    FileKind,
    PositionedStream,
    RawRecord,
    TruncatedFileError,
    read_csv,
    read_jsonl,
    read_parquet,
    sniff,
)
from redline.ingest.sampling import SamplingPlan
from redline.ingest.types import ImportReport, Problem, SamplingRule
from redline.progress import NO_PROGRESS, Cancelled, Progress
from redline.store import bulk
from redline.store.base import utcnow, uuid7, uuid7_hex
from redline.store.models import Batch, BatchStatus, ImportProblem, SourceMapping
from redline.store.session import session_scope

CHUNK_RECORDS = 5000
"""Records per transaction: large enough to amortise the commit, small enough that a
cancel or a kill loses at most a second of work (which the resume then redoes)."""

DETECT_GOOD_RECORDS = 200
DETECT_MAX_UNITS = 10_000
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


@dataclass
class _Records:
    """An open file's records and how far into the file we are."""

    records: Iterator[RawRecord]
    position: Callable[[], int]
    total: int


@contextmanager
def _open_records(path: Path, kind: FileKind, *, skip: int = 0) -> Iterator[_Records]:
    if kind.format == "parquet":
        rows = _ParquetRows(path, kind, skip)
        yield _Records(iter(rows), rows.position, rows.total)
        return
    stream = PositionedStream(path, kind)
    reader = read_jsonl if kind.format == "jsonl" else read_csv
    records = reader(stream.stream, skip=skip)
    try:
        yield _Records(records, stream.position, stream.size)
    finally:
        records.close()  # before the stream: a reader's cleanup may still touch it
        stream.close()


class _ParquetRows:
    """Parquet rows with row-count progress."""

    def __init__(self, path: Path, kind: FileKind, skip: int) -> None:
        import pyarrow.parquet as pq

        self._path, self._kind, self._skip = path, kind, skip
        self.row = 0
        try:
            self.total = pq.ParquetFile(path).metadata.num_rows if not kind.compressed else 0
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise RedlineError(f"not a readable Parquet file ({exc})", where=str(path)) from exc

    def __iter__(self) -> Iterator[RawRecord]:
        for record in read_parquet(self._path, self._kind, skip=self._skip):
            self.row = record.line
            yield record

    def position(self) -> int:
        return self.row


def _excerpt(raw: bytes) -> str:
    return raw[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")[:EXCERPT_CHARS]


class _MappedStream:
    """Maps raw records, turning every failure into a Problem with its line."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper

    def map(self, record: RawRecord) -> MappedRecord | Problem:
        if record.value is None:
            return Problem(record.line, record.error or "unreadable", _excerpt(record.raw))
        try:
            return self.mapper.map(record.value)
        except BadRecord as exc:
            return Problem(record.line, str(exc), _excerpt(record.raw))


@dataclass(frozen=True)
class _Detection:
    shape: str
    mapping: dict[str, str]
    fields: list[str]
    """The first readable record's field names (for a message when no mapping fits)."""
    problems: list[str]
    """The first problems, when no record could be read at all."""


def _detect(path: Path, kind: FileKind) -> _Detection:
    """Shape and mapping from the first records, read once."""
    good: list[dict[str, Any]] = []
    problems: list[str] = []
    with _open_records(path, kind) as opened:
        try:
            for units, record in enumerate(opened.records, start=1):
                if record.value is not None:
                    good.append(record.value)
                elif len(problems) < 3:
                    problems.append(f"line {record.line}: {record.error}")
                if len(good) >= DETECT_GOOD_RECORDS or units >= DETECT_MAX_UNITS:
                    break
        except TruncatedFileError as exc:
            problems.append(f"line {exc.line + 1}: the file is truncated ({exc.detail})")
    detected = detect_mapping(good)
    fields = list(good[0]) if good else []
    return _Detection(detected.shape, detected.mapping, fields, problems if not good else [])


def _require(mapping: dict[str, str], shape: str, path: Path, fields: list[str]) -> None:
    have_input = "input" in mapping or "messages" in mapping
    missing = [
        name
        for name, ok in (("input", have_input), ("output", "output" in mapping or shape != "flat"))
        if not ok
    ]
    if missing:
        names = ", ".join(fields[:20]) or "none"
        raise RedlineError(
            f"no field could be recognised as the {' and the '.join(missing)} "
            f"(the records have: {names})",
            where=str(path),
            hint=" ".join(f"--map {name}=FIELD" for name in missing),
        )


def import_file(
    path: Path,
    *,
    engine: Engine,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    sampling: SamplingRule | None = None,
    imported_by: str = "",
    progress: Progress = NO_PROGRESS,
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

    Raises:
        RedlineError: the file cannot be read at all (missing, empty, binary, unknown
            format, no recognisable input/output fields).
        Cancelled: the user cancelled; everything committed so far stays consistent and
            the same import resumes where it stopped.
    """
    path = Path(path)
    kind = sniff(path)
    source = (source or default_source(path)).strip()
    if not source:
        raise RedlineError("the source name is empty", where=str(path))
    rule = sampling or SamplingRule()
    sha = file_sha256(path, progress)

    detection = _detect(path, kind)
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
        _require(final_mapping, shape, path, detection.fields)
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
        plan=SamplingPlan(rule),
        progress=progress,
    )
    try:
        if importer.plan.needs_first_pass:
            importer.count_pass(path, kind)
        importer.import_pass(path, kind, resume_line)
    except Cancelled:
        _set_status(engine, batch_id, BatchStatus.CANCELLED, "cancelled by the user")
        raise
    except BaseException as exc:
        _set_status(engine, batch_id, BatchStatus.FAILED, f"failed: {exc}")
        raise
    with session_scope(engine) as session:
        batch = session.get_one(Batch, batch_id)
        batch.status = BatchStatus.COMPLETE.value
        batch.finished_at = utcnow()
        batch.message = "resumed and completed" if resumed else "completed"
    return _report(engine, batch_id, resumed=resumed)


def _set_status(engine: Engine, batch_id: Any, status: BatchStatus, message: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Batch)
            .where(Batch.id == batch_id)
            .values(status=status.value, message=message, finished_at=utcnow())
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
    ) -> None:
        self.engine = engine
        self.batch_id = batch_id
        self.batch_hex = bulk.sqlite_uuid(batch_id)
        self.source = source
        self.mapped = _MappedStream(mapper)
        self.plan = plan
        self.progress = progress
        self._now: str | None = None

    def count_pass(self, path: Path, kind: FileKind) -> None:
        """First pass for sampling rules that need counts: observe every good record."""
        with _open_records(path, kind) as opened:
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

    def import_pass(self, path: Path, kind: FileKind, resume_line: int) -> None:
        # With a sampling plan every record must be seen again to replay its decisions;
        # with "all", lines before the resume point are skipped unparsed.
        skip = 0 if self.plan.needs_first_pass else resume_line
        chunk = _Chunk(resume_line)
        ordinal = 0
        with (
            _ChunkWriter(self.engine, self.batch_id) as writer,
            _open_records(path, kind, skip=skip) as opened,
        ):
            self._now = bulk.sqlite_time(utcnow())
            try:
                for raw in opened.records:
                    result = self.mapped.map(raw)
                    replay = raw.line <= resume_line
                    if isinstance(result, Problem):
                        if not replay:
                            chunk.problems.append(
                                (self.batch_hex, result.line, result.reason, result.excerpt)
                            )
                    else:
                        key = result.external_id or _raw_key(raw.raw)
                        probability = self.plan.decide(ordinal, key, result)
                        ordinal += 1
                        if not replay:
                            if probability > 0.0:
                                chunk.samples.append(self._row(result, key, probability))
                            else:
                                chunk.not_sampled += 1
                    chunk.last_line = max(chunk.last_line, raw.line)
                    if chunk.size() >= CHUNK_RECORDS:
                        writer.put(chunk)
                        chunk = _Chunk(chunk.last_line)
                        self._now = bulk.sqlite_time(utcnow())
                        self.progress.update(
                            opened.position(), opened.total, f"importing: line {chunk.last_line:,}"
                        )
                        if self.progress.cancelled():
                            raise Cancelled()
            except TruncatedFileError as exc:
                chunk.problems.append(
                    (
                        self.batch_hex,
                        exc.line + 1,
                        f"the file is truncated here ({exc.detail}); the records before this "
                        "line were imported",
                        "",
                    )
                )
                chunk.last_line = max(chunk.last_line, exc.line + 1)
            writer.put(chunk)
        self.progress.update(opened.total, opened.total, "imported")

    def _row(self, record: MappedRecord, key: str, probability: float) -> tuple[Any, ...]:
        now = self._now  # one timestamp per chunk: the rows commit together anyway
        language, guessed = record.language, False
        if language is None:
            language = guess_language(record.input_text) or guess_language(record.output)
            guessed = language is not None
        return (
            uuid7_hex(), now, now, 1, None, 1, self.batch_hex, self.source,
            key, record.content_hash(), bulk.sqlite_time(record.captured_at), record.model,
            record.prompt_name, record.prompt_version, record.variant, record.session_id,
            record.system_prompt, record.input_text, bulk.sqlite_json(record.input_messages),
            record.output, record.score, record.decision, record.latency_ms, record.tokens_in,
            record.tokens_out, language, int(guessed), bulk.sqlite_json(record.segments),
            _bool(record.signal_copied), _bool(record.signal_edited),
            _bool(record.signal_follow_up), record.signal_thumbs, probability,
        )  # fmt: skip


@dataclass
class _Chunk:
    """Records of one transaction, and the line the batch may resume after once it commits."""

    last_line: int
    samples: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[tuple[str, int, str, str]] = field(default_factory=list)
    not_sampled: int = 0

    def size(self) -> int:
        return len(self.samples) + len(self.problems) + self.not_sampled


class _ChunkWriter:
    """Commits chunks on a thread of its own while the next chunk is parsed.

    SQLite releases the GIL while it inserts and maintains indexes, so part of the
    writing overlaps the parsing of the next chunk (less than hoped: the writer needs
    the GIL back to bind every row, see the issue notes on import speed). Each chunk is one
    transaction with the batch's counters and resume line, as before; at most two
    chunks wait, so memory stays bounded. An error in the writer surfaces in the
    importer at the next put() or at the end.
    """

    _DONE = None

    def __init__(self, engine: Engine, batch_id: Any) -> None:
        self._engine = engine
        self._batch_id = batch_id
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
                while (chunk := self._queue.get()) is not self._DONE:
                    if self._error is None:
                        self._commit(conn, chunk)
        except BaseException as exc:  # handed to the importer thread
            self._error = exc
            while self._queue.get() is not self._DONE:
                pass

    def _commit(self, conn: Connection, chunk: _Chunk) -> None:
        """Commit one chunk together with the batch's counters and resume position."""
        with conn.begin():
            inserted = bulk.insert_samples(conn, chunk.samples)
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


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _raw_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()
