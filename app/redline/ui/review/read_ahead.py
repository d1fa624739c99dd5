"""The samples read ahead of the reviewer (the next rows of the queue), ready to show.

A plain cache, no Qt and no tasks: the controller starts the reads and hands their
results here. Every write bumps an epoch; a read that started before a write touching its
sample (or any write, for a store-wide change) is never kept, so a read that raced a
write is never shown.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType

from redline.review.types import Changes
from redline.ui.review.background import LoadedSample

__all__ = ["READ_AHEAD", "ReadAhead"]

# Samples read ahead and kept ready to show (the next rows of the queue).
READ_AHEAD = 3


class ReadAhead:
    """Samples read ahead, the reads in flight, and the epoch that tells stale reads.

    Attributes:
        ready: the samples kept ready to show, oldest first (read-only view).
        epoch: bumped by every write (`forget`); a read remembers the epoch it began in.
    """

    def __init__(self, keep: int = 2 * READ_AHEAD) -> None:
        self._keep = keep
        self._ready: OrderedDict[uuid.UUID, LoadedSample] = OrderedDict()
        self._epoch = 0
        self._changed_at: dict[uuid.UUID, int] = {}
        self._all_changed_at = 0
        self._reading: set[uuid.UUID] = set()

    @property
    def ready(self) -> Mapping[uuid.UUID, LoadedSample]:
        return MappingProxyType(self._ready)

    @property
    def epoch(self) -> int:
        return self._epoch

    def wanted(self, sample_id: uuid.UUID) -> bool:
        """Whether `sample_id` is neither ready nor being read."""
        return sample_id not in self._ready and sample_id not in self._reading

    def is_reading(self, sample_id: uuid.UUID) -> bool:
        return sample_id in self._reading

    def start_reading(self, sample_id: uuid.UUID) -> None:
        """A read of `sample_id` began (each sample is read once at a time)."""
        self._reading.add(sample_id)

    def done_reading(self, sample_id: uuid.UUID) -> None:
        """The read of `sample_id` ended (delivered, failed or superseded)."""
        self._reading.discard(sample_id)

    def take(self, sample_id: uuid.UUID) -> LoadedSample | None:
        """The ready sample `sample_id`, removed from the cache; None if not ready."""
        return self._ready.pop(sample_id, None)

    def is_fresh(self, loaded: LoadedSample, epoch: int) -> bool:
        """Whether `loaded`, read in `epoch`, was not written since."""
        changed = max(self._all_changed_at, self._changed_at.get(loaded.detail.id, -1))
        return changed <= epoch

    def keep(self, loaded: LoadedSample) -> None:
        """Keep `loaded` ready, dropping the oldest beyond the cache's size."""
        self._ready[loaded.detail.id] = loaded
        while len(self._ready) > self._keep:
            self._ready.popitem(last=False)

    def forget(self, changes: Changes) -> None:
        """A write happened: drop what it touched and make reads in flight stale."""
        # Per sample: a submit must not spoil the read-ahead of the samples after it.
        self._epoch += 1
        if changes.samples or not changes.sample_ids:
            self._all_changed_at = self._epoch
            self._changed_at.clear()
            self._ready.clear()
            return
        for sample_id in changes.sample_ids:
            self._changed_at[sample_id] = self._epoch
            self._ready.pop(sample_id, None)

    def clear(self) -> None:
        """Drop the samples kept ready (reads in flight still arrive and are kept)."""
        self._ready.clear()
