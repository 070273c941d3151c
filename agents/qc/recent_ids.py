"""The event ids a QC partition saw lately, forgotten by event time at the cost of what goes.

Pruning a dict of every id by comprehension costs time for all it keeps; ids filed by
event-time bucket are dropped a bucket at a time, and only the bucket the cutoff falls in is
filtered, so forgetting costs about as much as what is forgotten. The ids added since the
last `take_added` and the newest cutoff are what a snapshot delta carries.
"""

from __future__ import annotations


class RecentIds:
    """Event id -> event time (ms), for ids seen since the last `forget_before`."""

    __slots__ = ("at", "cutoff_ms", "_added", "_buckets", "_width")

    def __init__(self, width_ms: int) -> None:
        self.at: dict[str, int] = {}
        self.cutoff_ms: int | None = None  # of the newest `forget_before`
        self._added: list[str] = []
        self._buckets: dict[int, list[str]] = {}
        self._width = max(1, width_ms)

    def add(self, ident: str, at_ms: int) -> bool:
        """Note `ident`; False when it was seen already."""
        at = self.at
        if ident in at:
            return False
        at[ident] = at_ms
        self._added.append(ident)
        bucket = self._buckets.get(at_ms // self._width)
        if bucket is None:
            self._buckets[at_ms // self._width] = [ident]
        else:
            bucket.append(ident)
        return True

    def forget_before(self, cutoff_ms: int) -> None:
        """Keep exactly the ids whose event time is at least `cutoff_ms`."""
        self.cutoff_ms = cutoff_ms
        at, last = self.at, cutoff_ms // self._width
        for number in [b for b in self._buckets if b <= last]:
            ids = self._buckets.pop(number)
            if number < last:
                for ident in ids:
                    del at[ident]
                continue
            kept = []
            for ident in ids:
                if at[ident] >= cutoff_ms:
                    kept.append(ident)
                else:
                    del at[ident]
            if kept:
                self._buckets[number] = kept

    def take_added(self) -> list[tuple[str, int]]:
        """[id, event time] of the ids added since the last call and not forgotten since.

        Applied to the set as it was at that call, `forget_before(cutoff_ms)` then adding
        these gives this set: forgetting is exact, and what it left of the added ids is here.
        """
        at = self.at
        added = [(ident, at[ident]) for ident in self._added if ident in at]
        self._added = []
        return added

    def __len__(self) -> int:
        return len(self.at)
