"""The event ids a QC partition saw lately, forgotten by event time at the cost of what goes.

Pruning a dict of every id by comprehension costs time for all it keeps; ids filed by
event-time bucket are dropped a bucket at a time, and only the bucket the cutoff falls in is
filtered, so forgetting costs about as much as what is forgotten.
"""

from __future__ import annotations


class RecentIds:
    """Event id -> event time (ms), for ids seen since the last `forget_before`."""

    __slots__ = ("at", "_buckets", "_width")

    def __init__(self, width_ms: int) -> None:
        self.at: dict[str, int] = {}
        self._buckets: dict[int, list[str]] = {}
        self._width = max(1, width_ms)

    def add(self, ident: str, at_ms: int) -> bool:
        """Note `ident`; False when it was seen already."""
        at = self.at
        if ident in at:
            return False
        at[ident] = at_ms
        bucket = self._buckets.get(at_ms // self._width)
        if bucket is None:
            self._buckets[at_ms // self._width] = [ident]
        else:
            bucket.append(ident)
        return True

    def forget_before(self, cutoff_ms: int) -> None:
        """Keep exactly the ids whose event time is at least `cutoff_ms`."""
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

    def __len__(self) -> int:
        return len(self.at)
