"""A word-by-word diff of two texts (no Qt): a correction against the original output
(review, pairwise), one prompt version's text against another (redline.prompts.diff).

Tokens are words, runs of whitespace and single punctuation marks, so a changed comma
shows as one changed comma, and joining every segment's text of one side gives that
side back exactly.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["DiffSegment", "DiffStats", "diff_stats", "tokenize", "word_diff"]

SegmentKind = Literal["equal", "insert", "delete"]

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class DiffSegment:
    """A run of text that is the same in both, only in the correction, or only in the original."""

    kind: SegmentKind
    text: str


@dataclass(frozen=True, slots=True)
class DiffStats:
    """How much a correction changed: words inserted and deleted."""

    inserted_words: int
    deleted_words: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted_words or self.deleted_words)


def tokenize(text: str) -> list[str]:
    """Split into words, whitespace runs and punctuation; ``"".join`` gives `text` back."""
    return _TOKEN.findall(text)


def word_diff(original: str, corrected: str) -> list[DiffSegment]:
    """The segments turning `original` into `corrected`, deletions before insertions.

    Adjacent segments of the same kind are merged, so the result is as short as the
    change allows.
    """
    if original == corrected:
        # The editor starts as the output itself: nothing to match, token by token.
        return [DiffSegment("equal", original)] if original else []
    a, b = tokenize(original), tokenize(corrected)
    # autojunk off: it drops frequent tokens (spaces, "the") from long texts and then
    # reports whole paragraphs as changed.
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    segments: list[DiffSegment] = []

    def add(kind: SegmentKind, tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if segments and segments[-1].kind == kind:
            segments[-1] = DiffSegment(kind, segments[-1].text + text)
        else:
            segments.append(DiffSegment(kind, text))

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return segments


def diff_stats(segments: list[DiffSegment]) -> DiffStats:
    """Count the words (not whitespace or punctuation) each side changed."""
    inserted = deleted = 0
    for segment in segments:
        words = sum(1 for token in tokenize(segment.text) if token[0].isalnum() or token[0] == "_")
        if segment.kind == "insert":
            inserted += words
        elif segment.kind == "delete":
            deleted += words
    return DiffStats(inserted, deleted)
