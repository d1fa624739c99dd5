"""CSV files saved by Excel on Windows (cp1252 / Latin-1) are read, and the report says so."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import samples

from redline.ingest.readers import sniff
from redline.ingest.service import import_file

ACCENTED = [
    ("r-fr", "Où est ma commande ? Le café était froid.", "Désolé, je vérifie."),
    ("r-de", "Größe passt nicht, bitte Umtausch.", "Gern, schicken Sie es zurück."),
    ("r-es", "¿Cuándo llega el pedido? Señora Núñez", "Mañana, sin falta."),
    ("r-quote", "It’s “smart quotes” – and € 5", "Noted… thanks"),  # cp1252's 0x80-0x9f
]


def _excel_csv(path: Path, rows: list[tuple[str, str, str]], encoding: str) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")  # Excel's, in Europe
    writer.writerow(["id", "question", "answer"])
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("plain_rows", [0, 3000])  # accents in the head, or after 64 KB
def test_a_cp1252_csv_is_read_whole_and_the_report_says_so(
    engine: Engine, tmp_path: Path, plain_rows: int
) -> None:
    plain = [
        (f"p{i}", f"Plain question number {i} " + "x" * 20, "Plain answer.")
        for i in range(plain_rows)
    ]
    path = _excel_csv(tmp_path / "excel.csv", plain + ACCENTED, "cp1252")
    assert sniff(path).encoding == "cp1252"

    report = import_file(path, engine=engine)

    assert (report.imported, report.bad) == (plain_rows + len(ACCENTED), 0)
    assert "not UTF-8: read as Windows-1252 (cp1252" in report.message
    got = {s.external_id: (s.input_text, s.output) for s in samples(engine)}
    for row_id, question, answer in ACCENTED:
        assert got[row_id] == (question, answer)


def test_a_latin1_csv_with_bytes_cp1252_leaves_undefined(engine: Engine, tmp_path: Path) -> None:
    rows = [("l1", "Ça coûte combien ? \x81", "Dix euros.")]
    path = _excel_csv(tmp_path / "latin1.csv", rows, "latin-1")
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (1, 0)
    assert "read as Latin-1" in report.message
    [sample] = samples(engine)
    assert sample.input_text == "Ça coûte combien ? \x81"


def test_a_utf8_csv_stays_utf8_and_says_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _excel_csv(tmp_path / "utf8.csv", ACCENTED, "utf-8")
    assert sniff(path).encoding == "utf-8"
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (len(ACCENTED), 0)
    assert "UTF-8" not in report.message


def test_a_utf8_csv_with_one_broken_byte_keeps_it_a_bad_row(engine: Engine, tmp_path: Path) -> None:
    path = _excel_csv(tmp_path / "mixed.csv", ACCENTED, "utf-8")
    path.write_bytes(path.read_bytes() + b"r-bad;caf\xe9;ok\r\n")
    assert sniff(path).encoding == "utf-8"
    report = import_file(path, engine=engine)
    assert (report.imported, report.bad) == (len(ACCENTED), 1)
