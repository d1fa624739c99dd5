"""A compact set of 64-bit keys, for de-duplicating a million inputs in a few MB.

A Python set of a million ints holds ~60 MB (an object and a slot per key), so memory
would grow with the export. Here recent keys sit in a small set and are merged, every
`buffer` keys, into one sorted numpy array: 8 bytes per key, looked up by binary search.

A binary search through numpy costs microseconds per key, which counts at a million
keys, and nearly every key of an export is new. So a bitmap indexed by the key's low
bits (4 MB) answers first: a clear bit means "never seen" at once; only a set bit (a
few percent of new keys at a million, and every duplicate) asks the exact store.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeenKeys"]


class SeenKeys:
    """Keys seen so far (unsigned 64-bit ints); `add` says whether a key is new."""

    def __init__(self, *, buffer: int = 65_536, filter_bits: int = 1 << 25) -> None:
        self._buffer = buffer
        self._recent: set[int] = set()
        self._merged = np.empty(0, dtype=np.uint64)
        self._filter = bytearray(filter_bits >> 3)
        self._filter_mask = filter_bits - 1

    def __len__(self) -> int:
        return len(self._recent) + int(self._merged.size)

    def __contains__(self, key: int) -> bool:
        bit = key & self._filter_mask
        if not self._filter[bit >> 3] & (1 << (bit & 7)):
            return False
        return self._stored(key)

    def _stored(self, key: int) -> bool:
        if key in self._recent:
            return True
        merged = self._merged
        if not merged.size:
            return False
        at = int(np.searchsorted(merged, np.uint64(key)))
        return at < merged.size and int(merged[at]) == key

    def add(self, key: int) -> bool:
        """Add `key`; True when it was not seen before."""
        bit = key & self._filter_mask
        byte, flag = bit >> 3, 1 << (bit & 7)
        if self._filter[byte] & flag:
            if self._stored(key):
                return False
        else:
            self._filter[byte] |= flag
        self._recent.add(key)
        if len(self._recent) >= self._buffer:
            recent = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
            recent.sort()
            # The recent keys are new (see above): inserting them where they sort keeps
            # the array sorted in one linear pass; `np.union1d` would sort it all again
            # (seconds per merge at a million keys).
            merged = self._merged
            self._merged = np.insert(merged, np.searchsorted(merged, recent), recent)
            self._recent = set()
        return True
