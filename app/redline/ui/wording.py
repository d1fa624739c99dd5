"""Counted nouns as people write them: "1 bad row", "2 bad rows", "1,204 samples"."""

from __future__ import annotations

__all__ = ["count", "state_label"]


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` with thousands separators and the noun in the number it takes.

    `plural` defaults to `singular` + "s"; give it for the others ("1 reply", "2 replies").
    """
    noun = singular if n == 1 else (plural if plural is not None else singular + "s")
    return f"{n:,} {noun}"


def state_label(value: str) -> str:
    """A stored state ("in_review", a `StrEnum`) as words for the UI: "in review"."""
    return str(value).replace("_", " ")
