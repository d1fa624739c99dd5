"""A word-by-word diff of two texts (no Qt): a correction against the original output
(review, pairwise), one prompt version's text against another (redline.prompts.diff).

Tokens are words, runs of whitespace and single punctuation marks, so a changed comma
shows as one changed comma, and joining every segment's text of one side gives that
side back exactly.

`diff_elsewhere` computes a long diff in a helper process: rapidfuzz holds the GIL for
the whole comparison (about 200 ms on 100 KB), which would freeze a GUI thread whose
every event passes through Python, even with the diff on another thread.
"""

from __future__ import annotations

import atexit
import multiprocessing
import re
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Indel

from redline.progress import Cancelled, Progress

__all__ = [
    "DiffSegment",
    "DiffStats",
    "diff_elsewhere",
    "diff_stats",
    "start_diff_process",
    "stop_diff_process",
    "tokenize",
    "word_diff",
]

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
    segments: list[DiffSegment] = []

    def add(kind: SegmentKind, tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if segments and segments[-1].kind == kind:
            segments[-1] = DiffSegment(kind, segments[-1].text + text)
        else:
            segments.append(DiffSegment(kind, text))

    # The longest common subsequence of the token lists (rapidfuzz's Indel, in C: 100 KB
    # of text in well under a second, where difflib took a minute). It reports no
    # "replace": the insertions and deletions between two equal runs are gathered, so
    # each change reads deletion first, then insertion.
    deleted: list[str] = []
    inserted: list[str] = []
    for op in Indel.opcodes(a, b):
        if op.tag == "equal":
            add("delete", deleted)
            add("insert", inserted)
            deleted, inserted = [], []
            add("equal", a[op.src_start : op.src_end])
        else:
            deleted.extend(a[op.src_start : op.src_end])
            inserted.extend(b[op.dest_start : op.dest_end])
    add("delete", deleted)
    add("insert", inserted)
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


# ============================================================ in a helper process

# How often a wait for the helper process checks whether it was cancelled.
_POLL_S = 0.05


class _HelperProcess:
    """The one helper process, started on first use (a lock: tasks ask from threads)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # "spawn": forking a process that runs Qt threads can deadlock the child.
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(1, mp_context=context)
            return self._pool

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_helper = _HelperProcess()


def start_diff_process() -> None:
    """Start the helper process now (it takes a few hundred ms), so the first long diff
    does not wait for it."""
    _helper.pool().submit(int)


def stop_diff_process() -> None:
    """Stop the helper process (on quit); the next `diff_elsewhere` starts a new one."""
    _helper.stop()


def diff_elsewhere(original: str, corrected: str, *, progress: Progress) -> list[DiffSegment]:
    """`word_diff` in the helper process; the calling thread waits without the GIL.

    Raises `Cancelled` soon after `progress` is cancelled (a newer diff superseded it).
    """
    future: Future[list[DiffSegment]] = _helper.pool().submit(word_diff, original, corrected)
    while True:
        if progress.cancelled():
            future.cancel()
            raise Cancelled
        try:
            return future.result(timeout=_POLL_S)
        except FutureTimeout:
            continue


atexit.register(stop_diff_process)
