"""The command line, as a user sees it: output, messages and exit codes."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

import pytest
from typing_extensions import override

from redline import __version__
from redline.cli import main
from redline.commands.common import TerminalProgress
from redline.settings import default_store_path


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _counts(out: str) -> dict[str, int]:
    """The count lines of an import summary: {"read": 5, "imported": 3, ...}."""
    found = re.findall(r"^  (read|imported|duplicates|bad|not sampled) +([\d,]+)$", out, re.M)
    return {label: int(value.replace(",", "")) for label, value in found}


def _records(n: int, start: int = 0) -> list[str]:
    return [
        json.dumps({"id": f"r{i}", "input": f"question {i}", "output": f"answer {i}",
                    "score": (i % 10) / 10, "model": "gpt-4o-mini", "language": "en"})
        for i in range(start, start + n)
    ]  # fmt: skip


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """5 records, 2 of them bad (lines 2 and 5)."""
    good = _records(3)
    return _jsonl(
        tmp_path / "prod-logs.jsonl",
        [good[0], '{"id": "x", "input": "hi"', good[1], good[2], '{"id": "y", "output": "z"}'],
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"redline {__version__}"


def test_import_prints_a_summary_and_the_problems(
    logs: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(store_path), "import", str(logs), "--source", "support"])
    out = capsys.readouterr().out

    assert code == 0, "bad rows are reported, not fatal"
    assert _counts(out) == {"read": 5, "imported": 3, "duplicates": 0, "bad": 2, "not sampled": 0}
    assert "source support" in out
    assert "line 2: malformed JSON" in out
    assert "line 5: missing required field 'input'" in out

    # The same file again adds nothing and says so.
    assert main(["import", str(logs), "--source", "support", "--store", str(store_path)]) == 0
    again = capsys.readouterr().out
    assert "nothing was added" in again
    assert _counts(again) == {
        "read": 5,
        "imported": 0,
        "duplicates": 3,
        "bad": 2,
        "not sampled": 0,
    }


def test_import_into_the_default_store(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(logs)]) == 0
    assert default_store_path().exists()

    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["samples"], stats["batches"], stats["reviewed"]) == (3, 1, 0)
    assert stats["by_model"] == [
        {"model": "gpt-4o-mini", "total": 3, "reviewed": 0, "unreviewed": 3}
    ]


def test_import_with_sampling_and_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        json.dumps({"rid": f"q{i}", "question": f"q {i}", "reply": f"a {i}"}) for i in range(50)
    ]
    path = _jsonl(tmp_path / "renamed.jsonl", rows)

    code = main(
        ["import", str(path), "--map", "external_id=rid", "--sample", "random:10", "--seed", "3"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert _counts(out)["imported"] == 10 and _counts(out)["not sampled"] == 40


def test_missing_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope" / "logs.jsonl"

    code = main(["import", str(missing)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("redline: ")
    assert str(missing) in err
    assert not default_store_path().exists(), "a typo creates no store"


def test_unreadable_file_fails_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "blob.jsonl"
    path.write_bytes(b"\x00\x01\x02binary\xff" * 100)

    code = main(["import", str(path)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"redline: {path}: ") and err.count("\n") == 1


def test_bad_sampling_rule_and_mapping(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(logs), "--sample", "random:zero"]) == 2
    assert "bad sampling rule 'random:zero'" in capsys.readouterr().err
    assert main(["import", str(logs), "--map", "nonsense"]) == 2
    assert "bad mapping 'nonsense'" in capsys.readouterr().err


def test_batches_and_problems(
    logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(logs)]) == 0
    capsys.readouterr()

    assert main(["batches"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split()[:3] == ["batch", "started", "(UTC)"]
    assert "prod-logs.jsonl" in listing[1] and "complete" in listing[1]
    short = listing[1].split()[0]

    assert main(["problems", short[:6]]) == 0
    shown = capsys.readouterr().out
    assert "2 bad of 5 records" in shown
    assert "line 2: malformed JSON" in shown and "line 5: missing required field" in shown

    out = tmp_path / "bad.csv"
    assert main(["problems", short, "--csv", str(out)]) == 0
    assert f"2 problems of batch {short} written to {out}" in capsys.readouterr().out
    with out.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["line", "reason", "excerpt"]
    assert [row[0] for row in table[1:]] == ["2", "5"]
    assert table[2][2] == '{"id": "y", "output": "z"}'

    assert main(["problems", short, "--csv", "-"]) == 0
    assert capsys.readouterr().out.startswith("line,reason,excerpt\n2,")

    assert main(["problems", "ffffffff"]) == 2
    assert "no batch id starts with 'ffffffff'" in capsys.readouterr().err


def test_read_commands_need_a_store(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["stats"], ["batches"], ["problems", "01"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "there is no store here yet" in err and "redline demo" in err
    assert not default_store_path().exists()


def test_store_from_a_newer_redline(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(store_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = store_path.read_bytes()

    code = main(["--store", str(store_path), "stats"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "written by a newer Redline" in err and "update Redline" in err
    assert store_path.read_bytes() == before


def test_stats_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--count", "120", "--seed", "5"]) == 0
    capsys.readouterr()

    assert main(["stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["samples"] == 120 and data["batches"] == 1
    assert data["reviewed"] + data["unreviewed"] == 120
    assert sum(row["total"] for row in data["by_model"]) == 120

    assert main(["stats"]) == 0
    table = capsys.readouterr().out
    assert "samples     120 in 1 batch" in table
    assert f"reviewed    {data['reviewed']}" in table
    for heading in ("prompt", "model", "language", "variant"):
        assert any(line.startswith(heading + " ") for line in table.splitlines())


def test_demo_twice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--count", "100"]) == 0
    first = capsys.readouterr().out
    assert "demo added to" in first and "samples     100 (100 new" in first
    assert main(["demo", "--count", "100"]) == 0
    assert "nothing was added" in capsys.readouterr().out
    assert main(["demo", "--count", "0"]) == 2


def test_ctrl_c_cancels_an_import_and_the_next_run_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _jsonl(tmp_path / "big.jsonl", _records(12_000))
    real_update = TerminalProgress.update

    def interrupt_after_first_chunk(
        self: TerminalProgress, done: int, total: int, text: str = ""
    ) -> None:
        real_update(self, done, total, text)
        if text.startswith("importing") and not self.cancelled():
            signal.raise_signal(signal.SIGINT)  # what Ctrl+C in the terminal does

    monkeypatch.setattr(TerminalProgress, "update", interrupt_after_first_chunk)
    # What the shell gave us (SIG_IGN when the suite runs as a background job) comes back.
    handler_before = signal.getsignal(signal.SIGINT)
    code = main(["import", str(path)])

    err = capsys.readouterr().err
    assert code == 130
    assert "cancelled: 5,000 records imported so far are kept" in err
    assert "run the same command again to resume" in err
    assert signal.getsignal(signal.SIGINT) is handler_before

    monkeypatch.setattr(TerminalProgress, "update", real_update)
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "resumed and completed" in out
    assert _counts(out)["imported"] == 12_000


def test_gui_loads_the_ui_only_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[Path, bool]] = []

    def run_app(store_path: Path, *, demo_if_empty: bool) -> int:
        calls.append((store_path, demo_if_empty))
        return 3

    fake = types.ModuleType("redline.ui.app")
    fake.run_app = run_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "redline.ui.app", fake)

    assert main(["gui", "--demo-if-empty", "--store", str(tmp_path / "s.sqlite")]) == 3
    assert main(["gui"]) == 3
    assert calls == [(tmp_path / "s.sqlite", True), (default_store_path(), False)]


def test_unexpected_errors_are_short_unless_debugging(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(engine: object) -> None:
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr("redline.store.queries.store_stats", broken)

    assert main(["--store", str(store_path), "stats"]) == 1
    err = capsys.readouterr().err
    assert (
        err == "redline: unexpected error: ValueError: boom (run with --debug for the traceback)\n"
    )

    assert main(["--store", str(store_path), "stats", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_progress_line_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        @override
        def isatty(self) -> bool:
            return True

    quiet, tty = io.StringIO(), Tty()
    TerminalProgress(quiet).update(5, 10, "importing: line 5")
    progress = TerminalProgress(tty)
    progress.update(10, 10, "importing: line 10")
    progress.clear()

    assert quiet.getvalue() == ""
    assert tty.getvalue().startswith("\r100% importing: line 10")
    assert "\n" not in tty.getvalue()


# --------------------------------------------------------------------------- real processes


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def test_installed_command_version() -> None:
    result = subprocess.run(
        [_redline(), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"redline {__version__}"


def test_installed_command_demo_then_stats(isolated_dirs: Path) -> None:
    # isolated_dirs put XDG_* into os.environ, which the child inherits: the store is
    # created under tmp_path, never in the real home.
    demo = subprocess.run(
        [_redline(), "demo", "--count", "300"], capture_output=True, text=True, check=False,
        timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == "", "no progress line when stderr is not a terminal"
    assert str(isolated_dirs) in demo.stdout

    stats = subprocess.run(
        [_redline(), "stats"], capture_output=True, text=True, check=False, timeout=60
    )
    assert stats.returncode == 0, stats.stderr
    assert "samples     300 in 1 batch" in stats.stdout
    assert "support-assistant v3" in stats.stdout
    assert (isolated_dirs / ".local/share/redline/redline.sqlite").exists()


def test_ctrl_c_before_the_first_chunk(
    logs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_update = TerminalProgress.update

    def interrupt(self: TerminalProgress, done: int, total: int, text: str = "") -> None:
        real_update(self, done, total, text)
        if not self.cancelled():
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(TerminalProgress, "update", interrupt)

    assert main(["demo", "--count", "50"]) == 130
    err = capsys.readouterr().err
    assert "cancelling after the current chunk" in err
    assert "cancelled before any record was imported" in err
