"""Settings: where they live, a round trip, and clear refusals of files we cannot trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline import settings
from redline.errors import RedlineError
from redline.settings import Settings, load_settings, save_settings


def test_paths_follow_xdg_into_the_test_home(isolated_dirs: Path) -> None:
    assert settings.settings_path() == isolated_dirs / ".config/redline/settings.json"
    assert settings.default_store_path() == isolated_dirs / ".local/share/redline/redline.sqlite"


def test_redline_store_overrides_the_store_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDLINE_STORE", str(tmp_path / "elsewhere.sqlite"))
    assert settings.default_store_path() == tmp_path / "elsewhere.sqlite"


def test_missing_file_gives_defaults() -> None:
    assert not settings.settings_path().exists()
    assert load_settings() == Settings()


def test_round_trip_keeps_every_field_and_unknown_keys() -> None:
    original = Settings(
        reviewer="Zoë",
        device="laptop-7",
        taxonomy=["tone", "factuality", "safety"],
        theme="dark",
        profiles={"team": {"host": "db.example.org", "port": 5432, "user": "zoe"}},
        extra={"window": {"geometry": [10, 20, 1200, 800]}},
    )
    save_settings(original)

    path = settings.settings_path()
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["schema_version"] == settings.SETTINGS_VERSION
    assert raw["window"] == {"geometry": [10, 20, 1200, 800]}
    assert "password" not in path.read_text(encoding="utf-8")
    assert load_settings() == original
    # Atomic write: no temporary file is left beside the settings.
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"schema_version": settings.SETTINGS_VERSION + 1, "reviewer": "x"}),
        encoding="utf-8",
    )
    with pytest.raises(RedlineError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "newer Redline" in message
    assert str(path) in message
    assert caught.value.hint


def test_broken_json_names_the_file() -> None:
    path = settings.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"reviewer": "ada",', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(RedlineError) as caught:
        load_settings()
    assert caught.value.where == str(path)
    assert str(path) in str(caught.value)
    assert "cannot be read" in caught.value.what
    assert path.read_bytes() == before, "a broken settings file must not be replaced"


@pytest.mark.parametrize("content", ["[1, 2, 3]", '"just text"'])
def test_json_that_is_not_an_object_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RedlineError, match="not a JSON object") as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
