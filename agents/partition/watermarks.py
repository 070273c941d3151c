"""Event time of one events partition when several ingest members feed it.

Each member stamps its batches with the progress of the raw partitions it reads; the
partition's clock is the slowest member heard from lately. A member that has gone (a
rebalance moved its sources to others) stops holding the clock back after `expire_s`.

A restored state takes the members' marks from its checkpoint: input after the checkpoint
may still come from a member that sends nothing for a while, and a state that forgot it would
run its clock on the others alone, ahead of that member's sources.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from schemas.packed import PackedBatch


class MemberWatermarks:
    __slots__ = ("_clock", "_marks", "expire_s")

    def __init__(self, expire_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.expire_s = expire_s
        self._clock = clock
        self._marks: dict[str, tuple[int | None, float]] = {}

    def observe(self, member: str, watermark_ms: int | None) -> int | None:
        """Record a member's watermark; return the partition's, or None while any is unknown."""
        now = self._clock()
        previous = self._marks.get(member, (None, now))[0]
        if watermark_ms is not None and previous is not None:
            watermark_ms = max(watermark_ms, previous)
        self._marks[member] = (watermark_ms, now)
        live = [mark for mark, seen in self._marks.values() if now - seen < self.expire_s]
        self._marks = {m: v for m, v in self._marks.items() if now - v[1] < self.expire_s}
        if not live or any(mark is None for mark in live):
            return None
        return min(m for m in live if m is not None)

    def dump(self) -> list[list[str | int | None]]:
        return [[member, mark] for member, (mark, _) in self._marks.items()]

    def load(self, marks: list[list[str | int | None]]) -> None:
        """Marks of a checkpoint, each heard from now: a member gone since expires as usual."""
        now = self._clock()
        self._marks = {
            str(member): (None if mark is None else int(mark), now) for member, mark in marks
        }


def batch_horizon(batch: PackedBatch, marks: MemberWatermarks, lateness_ms: int) -> int | None:
    """Event time up to which a side stage's input is complete: a replay's flush marker, else
    the slowest ingest member less the lateness (None while a member's mark is unknown)."""
    if batch.flush_ms is not None:
        return batch.flush_ms
    mark = marks.observe(batch.source, batch.watermark_ms)
    return None if mark is None else mark - lateness_ms
