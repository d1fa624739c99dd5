"""The failure-category taxonomy: the team's list from settings, else the defaults."""

from __future__ import annotations

from redline.review.taxonomy import DEFAULT_CATEGORIES, categories, normalize
from redline.settings import Settings


def test_defaults_when_settings_have_none() -> None:
    assert categories() == DEFAULT_CATEGORIES
    assert categories(Settings()) == DEFAULT_CATEGORIES
    assert categories(Settings(taxonomy=["  ", ""])) == DEFAULT_CATEGORIES
    assert "hallucination" in DEFAULT_CATEGORIES and len(DEFAULT_CATEGORIES) == 8


def test_team_list_is_cleaned_in_order() -> None:
    team = Settings(taxonomy=[" Tone ", "pii  leak", "tone", "", "refusal"])
    assert categories(team) == ("Tone", "pii leak", "refusal")
    assert normalize("not a list") == ()
    assert normalize(["ok", 3, None]) == ("ok",)
