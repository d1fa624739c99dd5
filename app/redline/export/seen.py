"""A compact set of 64-bit keys, for de-duplicating a million inputs in a few MB.

A Python set of a million ints holds ~60 MB (an object and a slot per key), so memory
would grow with the export. Here recent keys sit in a small set and are merged, every
`buffer` keys, into one sorted numpy array: 8 bytes per key, looked up by binary search.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeenKeys"]


class SeenKeys:
    """Keys seen so far (unsigned 64-bit ints); `add` says whether a key is new."""

    def __init__(self, *, buffer: int = 65_536) -> None:
        self._buffer = buffer
        self._recent: set[int] = set()
        self._merged = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._recent) + int(self._merged.size)

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        merged = self._merged
        if not merged.size:
            return False
        at = int(np.searchsorted(merged, np.uint64(key)))
        return at < merged.size and int(merged[at]) == key

    def add(self, key: int) -> bool:
        """Add `key`; True when it was not seen before."""
        if key in self:
            return False
        self._recent.add(key)
        if len(self._recent) >= self._buffer:
            recent = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
            self._merged = np.union1d(self._merged, recent)
            self._recent = set()
        return True
