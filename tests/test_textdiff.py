"""The word diff behind the correction view."""

from __future__ import annotations

import itertools

import pytest

from redline.textdiff import DiffSegment, diff_stats, tokenize, word_diff


def _side(segments: list[DiffSegment], keep: str) -> str:
    return "".join(s.text for s in segments if s.kind in ("equal", keep))


def test_identical_text_is_one_equal_segment() -> None:
    assert word_diff("The cat sat.", "The cat sat.") == [DiffSegment("equal", "The cat sat.")]


def test_one_changed_word() -> None:
    segments = word_diff("The cat sat on the mat.", "The dog sat on the mat.")
    assert segments == [
        DiffSegment("equal", "The "),
        DiffSegment("delete", "cat"),
        DiffSegment("insert", "dog"),
        DiffSegment("equal", " sat on the mat."),
    ]
    assert diff_stats(segments).inserted_words == 1
    assert diff_stats(segments).deleted_words == 1


def test_punctuation_is_its_own_token() -> None:
    segments = word_diff("Yes, it works", "Yes; it works")
    assert DiffSegment("delete", ",") in segments
    assert DiffSegment("insert", ";") in segments
    assert not diff_stats(segments).changed


def test_empty_sides() -> None:
    assert word_diff("", "") == []
    assert word_diff("", "new text") == [DiffSegment("insert", "new text")]
    assert word_diff("old text", "") == [DiffSegment("delete", "old text")]


@pytest.mark.parametrize(
    ("original", "corrected"),
    [
        ("Refunds take 5 days.", "Refunds take 5–7 business days.\n\nSee our policy."),
        ("línea uno\nlínea dos", "línea uno\n  línea tres"),
        ("a a a a a a b", "a a b a a a a"),
        ("```py\nprint(1)\n```", "```python\nprint(2)\n```"),
    ],
)
def test_each_side_round_trips(original: str, corrected: str) -> None:
    segments = word_diff(original, corrected)
    assert _side(segments, "delete") == original
    assert _side(segments, "insert") == corrected
    assert all(s.text for s in segments)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(segments))


def test_tokenize_keeps_everything() -> None:
    text = "Hello,  wörld!\n\tnext_line 42"
    assert "".join(tokenize(text)) == text
    assert tokenize("a, b") == ["a", ",", " ", "b"]


def test_long_texts_with_repeated_words_stay_local() -> None:
    original = " ".join(["the"] * 400 + ["end"])
    corrected = " ".join(["the"] * 400 + ["finish"])
    segments = word_diff(original, corrected)
    assert [s.kind for s in segments] == ["equal", "delete", "insert"]
