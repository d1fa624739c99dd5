"""Bad input never crashes and never loses what was good; every bad row is reported."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import (
    batches,
    flat_record,
    problems,
    sample_count,
    samples,
    write_jsonl,
)

from redline.errors import RedlineError
from redline.ingest.records import MAX_RECORD_BYTES
from redline.ingest.service import import_file


def test_malformed_lines_wrong_types_and_missing_fields_are_reported_by_line(
    engine: Engine, tmp_path: Path
) -> None:
    lines = [
        flat_record(1),
        '{"id": "r2", "input": "unterminated',
        flat_record(3, output={"text": "an object, not text"}),
        flat_record(4, score=True),
        '{"id": "r5", "input": "no output here"}',
        "",  # blank lines are not records
        flat_record(6, tokens_in=-3),
        flat_record(7, timestamp="last tuesday"),
        "42",
        flat_record(9, score="inf"),
        flat_record(10),
    ]
    report = import_file(write_jsonl(tmp_path / "mixed.jsonl", lines), engine=engine)

    assert {s.external_id for s in samples(engine)} == {"r1", "r10"}
    assert (report.records_read, report.imported, report.bad) == (10, 2, 8)
    reasons = dict(problems(engine))
    assert sorted(reasons) == [2, 3, 4, 5, 7, 8, 9, 10]
    assert reasons[2].startswith("malformed JSON")
    assert reasons[3] == "field 'output' is not text: an object"
    assert reasons[4] == "field 'score' is not a number: true/false"
    assert reasons[5] == "missing required field 'output' (mapped from 'output')"
    assert reasons[7] == "field 'tokens_in' is not a whole number: -3"
    assert reasons[8] == (
        "field 'captured_at' (from 'timestamp') is not an ISO 8601 time: 'last tuesday'"
    )
    assert reasons[9] == "not a JSON object (a int)"
    assert reasons[10] == "field 'score' is not a finite number: 'inf'"
    assert [p.line for p in report.problems] == sorted(reasons)


def test_negative_token_counts_are_rejected(engine: Engine, tmp_path: Path) -> None:
    record = flat_record(1, prompt_tokens=-3)
    report = import_file(write_jsonl(tmp_path / "t.jsonl", [record]), engine=engine)
    assert report.bad == 1
    assert "is not a whole number" in report.problems[0].reason


def test_invalid_utf8_line_is_reported_and_the_others_kept(engine: Engine, tmp_path: Path) -> None:
    good = json.dumps(flat_record(1)).encode()
    latin1 = '{"id": "r2", "input": "caf\xe9 au lait, s\'il vous pla\xeet", "output": "oui"}'
    path = tmp_path / "enc.jsonl"
    path.write_bytes(
        good + b"\n" + latin1.encode("latin-1") + b"\n" + good.replace(b'"r1"', b'"r3"') + b"\n"
    )
    report = import_file(path, engine=engine)

    assert report.imported == 2
    [(line, reason)] = problems(engine)
    assert line == 2
    assert reason.startswith("not valid UTF-8 (byte 0xe9 at column")
    assert "save the file as UTF-8" in reason


def test_bom_and_crlf_line_endings(engine: Engine, tmp_path: Path) -> None:
    body = "\r\n".join(json.dumps(flat_record(i)) for i in range(3)) + "\r\n"
    path = tmp_path / "win.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (3, 0)
    assert samples(engine)[0].output.endswith(".")  # no stray \r


def test_utf16_file_from_windows_tools(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(
        ("\n".join(json.dumps(flat_record(i), ensure_ascii=False) for i in range(3)) + "\n").encode(
            "utf-16"
        )
    )
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (3, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\r\n\t\n", "the file is empty"),
        (gzip.compress(b""), r"the file is empty \(after decompression\)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    ],
)
def test_unreadable_files_give_a_clear_error_and_create_no_batch(
    engine: Engine, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(RedlineError, match=message) as error:
        import_file(path, engine=engine)
    assert str(path) in str(error.value)
    assert batches(engine) == []


def test_missing_file_and_folder(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(RedlineError, match="no such file"):
        import_file(tmp_path / "nope.jsonl", engine=engine)
    with pytest.raises(RedlineError, match="folder"):
        import_file(tmp_path, engine=engine)


def test_a_file_where_nothing_is_readable(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "junk.jsonl", ["{not json", "{also not json"])
    with pytest.raises(RedlineError, match=r"line 1: malformed JSON.*line 2: malformed JSON"):
        import_file(path, engine=engine)
    assert batches(engine) == []


def test_truncated_gzip_keeps_the_records_before_the_cut(engine: Engine, tmp_path: Path) -> None:
    body = "".join(json.dumps(flat_record(i)) + "\n" for i in range(2000)).encode()
    whole = gzip.compress(body)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])

    report = import_file(path, engine=engine)

    assert report.status == "complete"
    assert 0 < report.imported < 2000
    assert report.bad == 1
    [(line, reason)] = problems(engine)
    assert line == report.imported + 1
    assert reason.startswith("the file is truncated here")
    assert sample_count(engine) == report.imported


def test_a_50_mb_single_line_is_reported_not_loaded(engine: Engine, tmp_path: Path) -> None:
    huge = json.dumps(flat_record(2, output="x" * (50 * 1024 * 1024)))
    path = write_jsonl(tmp_path / "huge.jsonl", [flat_record(1), huge, flat_record(3)])
    assert len(huge) > MAX_RECORD_BYTES

    import_file(path, engine=engine)

    assert {s.external_id for s in samples(engine)} == {"r1", "r3"}
    [(line, reason)] = problems(engine)
    assert line == 2
    assert "the record is 52.4 MB, over the 16 MB limit" in reason


def test_a_newer_redline_store_is_refused_before_import(tmp_path: Path, store_path: Path) -> None:
    import sqlite3

    from redline.errors import SchemaTooNewError
    from redline.store.local import open_local_store

    with sqlite3.connect(store_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    conn.close()
    before = hashlib.sha256(store_path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError, match="newer Redline"):
        open_local_store(store_path)
    assert hashlib.sha256(store_path.read_bytes()).hexdigest() == before


def test_an_import_into_the_shared_database_is_refused_clearly(
    pg_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prod.jsonl"
    path.write_text('{"input": "hi", "output": "hello"}\n', encoding="utf-8")
    with pytest.raises(RedlineError, match="local store, not the shared database"):
        import_file(path, engine=pg_engine)
