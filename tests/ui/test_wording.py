"""Counted nouns and stored states as the UI writes them."""

from __future__ import annotations

from redline.store.models import PromptVersionStatus
from redline.ui.wording import count, state_label


def test_count_takes_the_number_of_its_noun() -> None:
    assert count(1, "bad row") == "1 bad row"
    assert count(0, "bad row") == "0 bad rows"
    assert count(1204, "sample") == "1,204 samples"
    assert count(2, "reply", "replies") == "2 replies"


def test_states_read_as_words() -> None:
    assert state_label(PromptVersionStatus.IN_REVIEW) == "in review"
    assert state_label("complete") == "complete"
