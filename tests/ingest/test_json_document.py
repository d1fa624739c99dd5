"""Whole-document JSON (Langfuse's "Download JSON", API dumps): an array of records, or an
object wrapping one, pretty-printed over many lines, imports like JSON Lines."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import batches, flat_record, problems, samples, write_jsonl
from tests.ingest.tool_exports import lf_generation, lf_score, lf_trace
from typing_extensions import override

from redline.ingest import service
from redline.ingest.explain import explain_file, render
from redline.ingest.json_document import read_json_document
from redline.ingest.readers import estimate_records, sniff
from redline.ingest.service import import_file
from redline.progress import Cancelled, CancelToken


def _write(path: Path, document: Any, *, gz: bool = False, indent: int | None = 2) -> Path:
    data = json.dumps(document, indent=indent, ensure_ascii=False).encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _flat(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [flat_record(i, **extra) for i in range(count)]


def test_langfuse_download_json_imports_like_its_jsonl(engine: Engine, tmp_path: Path) -> None:
    traces = [
        lf_trace(
            "t1",
            [lf_generation("gen-1", "t1"), lf_generation("gen-2", "t1", answer="Shipped.")],
            scores=[lf_score("user-feedback", 0, data_type="BOOLEAN")],
        ),
        lf_trace("t2", [lf_generation("gen-3", "t2")]),
    ]
    path = _write(tmp_path / "langfuse-traces.json", traces)

    report = import_file(path, engine=engine)

    assert report.shape == "langfuse"
    assert report.format == "json"
    assert (report.imported, report.bad) == (3, 0)
    assert "skipped (not samples): 2 event observations, 2 span observations" in report.message
    got = {s.external_id: s for s in samples(engine)}
    assert sorted(got) == ["gen-1", "gen-2", "gen-3"]
    assert got["gen-2"].output == "Shipped."
    assert got["gen-2"].signal_thumbs == -1

    # The same traces as JSON Lines are the same samples: nothing new.
    again = import_file(write_jsonl(tmp_path / "langfuse-traces.jsonl", traces), engine=engine)
    assert (again.imported, again.duplicates) == (0, 3)


def test_an_array_of_flat_records_maps_like_jsonl(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "export.json", _flat(5))

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad, report.duplicates) == (5, 0, 0)
    assert report.source == "export"
    first = samples(engine)[0]
    assert (first.external_id, first.output) == ("r0", "Go to Settings and choose reset, answer 0.")


@pytest.mark.parametrize("key", ["data", "traces", "items"])
def test_an_object_wrapping_the_array_reads_the_array(
    engine: Engine, tmp_path: Path, key: str
) -> None:
    document = {"meta": {"page": 1, "totalItems": 3}, key: _flat(3), "after": {"x": [1]}}
    path = _write(tmp_path / "page.json", document)

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (3, 0)
    assert [s.external_id for s in samples(engine)] == ["r0", "r1", "r2"]


def test_a_single_pretty_printed_object_is_one_record(engine: Engine, tmp_path: Path) -> None:
    report = import_file(_write(tmp_path / "one.json", flat_record(7)), engine=engine)
    assert (report.imported, report.bad) == (1, 0)


def test_jsonl_named_file_holding_one_document_is_read_as_a_document(
    engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path / "misnamed.jsonl", {"data": _flat(4)})
    assert sniff(path).format == "json"
    assert import_file(path, engine=engine).imported == 4
    # A compact one-line wrapper is a document too; real JSON Lines stay JSON Lines.
    assert sniff(_write(tmp_path / "c.jsonl", {"items": _flat(2)}, indent=None)).format == "json"
    assert sniff(write_jsonl(tmp_path / "l.jsonl", _flat(2))).format == "jsonl"


def test_strings_with_brackets_quotes_and_escapes_survive(engine: Engine, tmp_path: Path) -> None:
    tricky = 'he said "no" ] } [ { \\" \\\\ \n next line \u00e9 👍'
    records = [flat_record(i, output=tricky + str(i)) for i in range(3)]
    path = _write(tmp_path / "tricky.json", records)

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (3, 0)
    assert [s.output for s in samples(engine)] == [tricky + str(i) for i in range(3)]


def test_bad_elements_are_reported_by_index_and_file_line(engine: Engine, tmp_path: Path) -> None:
    records: list[Any] = _flat(4)
    records[1] = ["not", "an", "object"]
    records[2] = {"id": "r2", "something": "else"}  # no input or output
    path = _write(tmp_path / "mixed.json", records)

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (2, 2)
    found = problems(engine)
    # Element 2 starts on line 13 (the array's "[" and 11 lines of element 1 before it).
    assert found[0] == (13, "record 2: not a JSON object (a list)")
    assert found[1][0] == 18
    assert found[1][1].startswith("record 3: ")


def test_truncated_document_keeps_the_records_before_the_break(
    engine: Engine, tmp_path: Path
) -> None:
    text = json.dumps(_flat(5), indent=2)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"id": "r3"') + 6], encoding="utf-8")

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (3, 1)
    ((line, reason),) = problems(engine)
    assert line == 35
    assert reason.startswith(
        "record 4: the document ends inside this record: the file is truncated"
    )


def test_syntax_error_mid_array_keeps_the_good_records(engine: Engine, tmp_path: Path) -> None:
    text = json.dumps(_flat(4), indent=2)
    path = tmp_path / "broken.json"
    parts = text.split('"model": "gpt-4o-mini",')  # the third record loses its ':'
    path.write_text(
        '"model": "gpt-4o-mini",'.join(parts[:3]) + '"model" "x",' + "".join(parts[3:]),
        encoding="utf-8",
    )

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (2, 1)
    ((line, reason),) = problems(engine)
    assert line == 24
    assert "record 3: malformed JSON at line 27" in reason
    assert "the rest of the file cannot be" in reason


def test_gzip_and_truncated_gzip(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "export.json.gz", {"data": _flat(300)}, gz=True)
    assert sniff(path).format == "json" and sniff(path).compressed
    assert import_file(path, engine=engine, source="whole").imported == 300

    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(path.read_bytes()[: len(path.read_bytes()) * 2 // 3])
    report = import_file(cut, engine=engine, source="cut")

    assert 0 < report.imported < 300
    assert report.bad == 1
    assert "the file is truncated" in problems(engine)[-1][1]


def test_reimport_adds_nothing_and_a_cancelled_import_resumes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CHUNK_RECORDS", 100)
    # Compact: many elements share a line, so resuming must count elements, not lines.
    path = _write(tmp_path / "many.json", _flat(1000), indent=None)

    class CancelAfterThree(CancelToken):
        seen = 0

        @override
        def update(self, done: int, total: int, text: str = "") -> None:
            super().update(done, total, text)
            if text.startswith("importing"):
                self.seen += 1
                if self.seen == 3:
                    self.cancel()

    with pytest.raises(Cancelled):
        import_file(path, engine=engine, progress=CancelAfterThree())
    assert 0 < len(samples(engine)) < 1000

    resumed = import_file(path, engine=engine)
    assert resumed.resumed
    assert len(samples(engine)) == 1000
    again = import_file(path, engine=engine)
    assert again.imported == 0
    assert len(batches(engine)) == 1


def test_worker_process_path_reads_documents(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "WORKER_MIN_RECORDS", 0)
    monkeypatch.setattr(service, "CHUNK_RECORDS", 100)
    records: list[Any] = _flat(450)
    records[200] = 5
    path = _write(tmp_path / "big.json", {"data": records})
    assert estimate_records(path, sniff(path)) == 450

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (449, 1)
    assert problems(engine)[0][1] == "record 201: not a JSON object (a int)"


def test_explain_previews_document_records(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "preview.json", {"items": _flat(3)})
    text = render(explain_file(path, engine=engine))
    assert "preview.json: json" in text
    assert "Go to Settings and choose reset, answer 0." in text


def test_reader_memory_stays_flat_on_a_big_array() -> None:
    """40k records (~14 MB; 200k in the report's bench line): the reader holds one
    buffer, not the document."""
    import tracemalloc

    record = json.dumps(flat_record(0), indent=2).encode()
    count = 40_000

    class Document(io.RawIOBase):
        """The array generated on the fly, so the test holds no copy of it either."""

        def __init__(self) -> None:
            self.parts = iter([b"[\n", *([record + b",\n"] * (count - 1)), record, b"\n]"])
            self.pending = b""

        @override
        def readable(self) -> bool:
            return True

        @override
        def readinto(self, buffer: Any) -> int:
            while not self.pending:
                part = next(self.parts, None)
                if part is None:
                    return 0
                self.pending = part
            size = min(len(buffer), len(self.pending))
            buffer[:size] = self.pending[:size]
            self.pending = self.pending[size:]
            return size

    tracemalloc.start()
    try:
        seen = 0
        for raw in read_json_document(io.BufferedReader(Document(), 1024 * 1024)):
            assert raw.value is not None
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 6 * 1024 * 1024  # the document is ~14 MB
