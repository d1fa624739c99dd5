"""Importing every supported format and record shape, and what lands in the store."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import (
    batches,
    flat_record,
    sample_count,
    samples,
    write_csv,
    write_jsonl,
    write_parquet,
)

from redline.errors import RedlineError
from redline.ingest.service import import_file
from redline.store.models import SourceMapping
from redline.store.session import session_scope


def test_flat_jsonl_maps_every_field_and_reads_back_through_the_orm(
    engine: Engine, tmp_path: Path
) -> None:
    record = {
        "request_id": "abc-1",
        "created_at": "2026-10-05T08:30:00.250+02:00",
        "model": "gpt-4o-mini",
        "prompt_name": "support",
        "prompt_version": "v3",
        "variant": "B",
        "session_id": "sess-9",
        "system_prompt": "You are a support agent.",
        "question": "Where is my parcel?",
        "answer": "It left the depot this morning.",
        "confidence": "0.83",
        "decision": "auto_send",
        "latency_ms": 812,
        "usage": {"prompt_tokens": 120, "completion_tokens": 31},
        "locale": "en-GB",
        "segments": {"plan": "pro"},
        "copied": "yes",
        "edited": 0,
        "follow_up": True,
        "thumbs": "down",
    }
    report = import_file(write_jsonl(tmp_path / "prod.jsonl", [record]), engine=engine)

    assert (report.records_read, report.imported, report.bad) == (1, 1, 0)
    assert report.source == "prod"
    [sample] = samples(engine)
    assert sample.external_id == "abc-1"
    assert sample.captured_at == datetime(2026, 10, 5, 6, 30, 0, 250000, tzinfo=UTC)
    assert (sample.model, sample.prompt_name, sample.prompt_version, sample.variant) == (
        "gpt-4o-mini", "support", "v3", "B",
    )  # fmt: skip
    assert sample.session_id == "sess-9"
    assert sample.system_prompt == "You are a support agent."
    assert sample.input_text == "Where is my parcel?"
    assert sample.output == "It left the depot this morning."
    assert sample.score == pytest.approx(0.83)
    assert sample.decision == "auto_send"
    assert sample.latency_ms == 812
    assert (sample.tokens_in, sample.tokens_out) == (120, 31)
    assert (sample.language, sample.language_guessed) == ("en", False)
    assert sample.segments == {"plan": "pro"}
    assert (sample.signal_copied, sample.signal_edited, sample.signal_follow_up) == (
        True, False, True,
    )  # fmt: skip
    assert sample.signal_thumbs == -1
    assert sample.inclusion_prob == 1.0
    assert sample.id.version == 7
    assert sample.dirty is True


def test_openai_chat_records_split_system_conversation_and_answer(
    engine: Engine, tmp_path: Path
) -> None:
    single = {
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
        ]
    }
    multi = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Translate 'cat' to German"},
            {"role": "assistant", "content": "Katze"},
        ]
    }
    report = import_file(write_jsonl(tmp_path / "ft.jsonl", [single, multi]), engine=engine)

    assert report.shape == "openai_chat"
    assert (report.imported, report.bad) == (2, 0)
    by_output = {s.output: s for s in samples(engine)}
    assert by_output["4"].system_prompt == "Answer briefly."
    assert by_output["4"].input_text == "What is 2+2?"
    assert by_output["4"].input_messages == [{"role": "user", "content": "What is 2+2?"}]
    katze = by_output["Katze"]
    assert katze.system_prompt is None
    assert [m["role"] for m in katze.input_messages or []] == ["user", "assistant", "user"]
    assert "assistant: Hello! How can I help?" in katze.input_text
    # No ids in the records: the raw content's hash is the idempotency key.
    assert all(s.external_id.startswith("sha256:") for s in samples(engine))


def test_chat_completion_request_response_logs(engine: Engine, tmp_path: Path) -> None:
    log = {
        "id": "chatcmpl-1",
        "request": {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Bonjour, ça va ?"}],
        },
        "response": {
            "model": "gpt-4o-2024-08-06",
            "choices": [{"message": {"role": "assistant", "content": "Oui, merci !"}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 4},
        },
    }
    report = import_file(write_jsonl(tmp_path / "logs.jsonl", [log]), engine=engine)

    assert report.shape == "chat_log"
    [sample] = samples(engine)
    assert (sample.input_text, sample.output) == ("Bonjour, ça va ?", "Oui, merci !")
    assert (sample.tokens_in, sample.tokens_out) == (9, 4)
    assert sample.model == "gpt-4o-2024-08-06"
    assert (sample.language, sample.language_guessed) == ("fr", True)


def test_csv_with_semicolons_bom_crlf_and_multiline_cells(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "\ufeffid;input;output;score\r\n"
        '1;"Wie spät ist es? Ich kann die Uhr nicht sehen";"Es ist\r\nzehn Uhr.";0.5\r\n'
        "2;Hello there, how are you;I am fine;not-a-number\r\n"
        "3;Quelle heure est-il ?;Il est dix heures.;0,75\r\n".encode()
    )
    report = import_file(path, engine=engine)

    assert report.format == "csv"
    assert (report.imported, report.bad) == (2, 1)
    # Record 2 starts on line 4: line 2-3 is one record with a line break in a cell.
    assert [(p.line, p.reason) for p in report.problems] == [
        (4, "field 'score' is not a number: 'not-a-number'")
    ]
    by_id = {s.external_id: s for s in samples(engine)}
    assert by_id["1"].output == "Es ist\r\nzehn Uhr."
    assert by_id["1"].language == "de"
    assert by_id["3"].score == pytest.approx(0.75)


def test_parquet_and_gzip_of_every_format(engine: Engine, tmp_path: Path) -> None:
    rows = [flat_record(i) for i in range(30)]
    plain_parquet = write_parquet(tmp_path / "a.parquet", rows[:10])
    gz_parquet = tmp_path / "b.parquet.gz"
    gz_parquet.write_bytes(
        gzip.compress(write_parquet(tmp_path / "b.parquet", rows[10:20]).read_bytes())
    )
    gz_csv = tmp_path / "c.csv.gz"
    gz_csv.write_bytes(gzip.compress(write_csv(tmp_path / "c.csv", rows[20:25]).read_bytes()))
    gz_jsonl = write_jsonl(tmp_path / "d.jsonl.gz", rows[25:30], gz=True)

    formats = []
    for path in (plain_parquet, gz_parquet, gz_csv, gz_jsonl):
        report = import_file(path, engine=engine, source="prod")
        formats.append(report.format)
        assert report.bad == 0
    assert formats == ["parquet", "parquet.gz", "csv.gz", "jsonl.gz"]
    assert sample_count(engine) == 30
    assert {s.external_id for s in samples(engine)} == {f"r{i}" for i in range(30)}


def test_format_is_recognised_by_content_not_by_name(engine: Engine, tmp_path: Path) -> None:
    misnamed = write_jsonl(tmp_path / "data.csv", [flat_record(1)])
    assert import_file(misnamed, engine=engine).format == "jsonl"


def test_user_mapping_overrides_detection_and_is_saved_for_the_source(
    engine: Engine, tmp_path: Path
) -> None:
    first = write_jsonl(
        tmp_path / "day1.jsonl",
        [{"uid": "u1", "q": "What is RAG?", "a": "Retrieval-augmented generation.", "plan": "pro"}],
    )
    with pytest.raises(RedlineError, match="input and the output") as error:
        import_file(first, engine=engine, source="bot")
    assert "uid, q, a, plan" in str(error.value)

    import_file(
        first,
        engine=engine,
        source="bot",
        mapping={"external_id": "uid", "input": "q", "output": "a", "segment.plan": "plan"},
    )
    second = write_jsonl(
        tmp_path / "day2.jsonl", [{"uid": "u2", "q": "And fine-tuning?", "a": "Training more."}]
    )
    report = import_file(second, engine=engine, source="bot")  # no mapping given: reused

    assert report.imported == 1
    assert [s.external_id for s in samples(engine)] == ["u1", "u2"]
    assert samples(engine)[0].segments == {"plan": "pro"}
    with session_scope(engine) as session:
        saved = session.get_one(SourceMapping, "bot").mapping
    assert saved["input"] == "q"


def test_records_without_a_language_get_a_guess(engine: Engine, tmp_path: Path) -> None:
    records = [
        {"id": "1", "input": "¿Dónde está mi pedido? Lo compré hace una semana.", "output": "x"},
        {"id": "2", "input": "注文をキャンセルしたいです", "output": "y"},
        {"id": "3", "input": "ok", "output": "z"},
    ]
    import_file(write_jsonl(tmp_path / "l.jsonl", records), engine=engine)

    guessed = {s.external_id: (s.language, s.language_guessed) for s in samples(engine)}
    assert guessed == {"1": ("es", True), "2": ("ja", True), "3": (None, False)}


def test_reimporting_the_same_file_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [flat_record(i) for i in range(20)])
    first = import_file(path, engine=engine)
    again = import_file(path, engine=engine)

    assert (first.imported, again.imported, again.duplicates) == (20, 0, 20)
    assert "already imported" in again.message
    assert sample_count(engine) == 20
    assert len(batches(engine)) == 1


def test_overlapping_files_count_duplicates_by_source_and_id(
    engine: Engine, tmp_path: Path
) -> None:
    import_file(
        write_jsonl(tmp_path / "a.jsonl", [flat_record(i) for i in range(10)]),
        engine=engine,
        source="prod",
    )
    report = import_file(
        write_jsonl(tmp_path / "b.jsonl", [flat_record(i) for i in range(5, 15)]),
        engine=engine,
        source="prod",
    )
    assert (report.imported, report.duplicates) == (5, 5)
    assert report.records_read == report.imported + report.duplicates
    # The same ids from another source are other samples.
    other = import_file(tmp_path / "b.jsonl", engine=engine, source="staging")
    assert other.imported == 10
    assert sample_count(engine) == 25


def test_records_without_ids_are_deduplicated_by_content(engine: Engine, tmp_path: Path) -> None:
    same = {"input": "hi there, how are you", "output": "fine"}
    path = write_jsonl(tmp_path / "noid.jsonl", [same, same, {"input": "b", "output": "c"}])
    report = import_file(path, engine=engine)
    assert (report.imported, report.duplicates) == (2, 1)


def test_long_unicode_text_survives_exactly(engine: Engine, tmp_path: Path) -> None:
    tricky = "مرحبا \u200b zero-width, \u202e RTL override, emoji 👩‍💻, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 " + "x" * 100_000
    path = tmp_path / "u.jsonl"
    path.write_text(json.dumps({"id": "u", "input": tricky, "output": tricky}) + "\n", "utf-8")
    import_file(path, engine=engine)
    [sample] = samples(engine)
    assert sample.input_text == tricky and sample.output == tricky
