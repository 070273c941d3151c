"""Messages held until event time passes them, released in (event time, arrival) order.

A heap pays a dozen tuple comparisons per message at this size (the lateness holds tens of
thousands); messages filed by second of event time and sorted a second at a time, when the
horizon passes it, come out in the same order for a fraction of that (bench.qc_cost).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator

from agents.qc.findings import Message

Held = tuple[int, int, Message]  # occurred_at_ms, arrival number, message
BUCKET_MS = 1000


def _time(held: Held) -> int:
    return held[0]


class HeldMessages:
    """The messages waiting for the horizon; `arrived` numbers them in arrival order."""

    __slots__ = ("_buckets", "arrived", "_count", "_new")

    def __init__(self) -> None:
        self._buckets: dict[int, list[Held]] = {}
        self.arrived = 0
        self._count = 0
        self._new: list[Held] = []  # held since the last `take_new`

    def hold(self, msg: Message) -> None:
        self.arrived += 1
        held = (msg.occurred_at_ms, self.arrived, msg)
        self._new.append(held)
        self._file(held)

    def take_new(self, horizon_ms: int) -> list[Held]:
        """Those held since the last call and still held at `horizon_ms` (the newest release):
        the held messages then, less what `release(horizon_ms)` lets go, plus these, are the
        held messages now."""
        new = [held for held in self._new if held[0] > horizon_ms]
        self._new = []
        return new

    def _file(self, held: Held) -> None:
        self._count += 1
        bucket = self._buckets.get(held[0] // BUCKET_MS)
        if bucket is None:
            self._buckets[held[0] // BUCKET_MS] = [held]
        else:
            bucket.append(held)

    def release(self, horizon_ms: int) -> list[Message]:
        """The held messages at or before `horizon_ms`, oldest first, ties in arrival order."""
        out: list[Message] = []
        last = horizon_ms // BUCKET_MS
        for number in sorted(b for b in self._buckets if b <= last):
            bucket = self._buckets.pop(number)
            bucket.sort()  # (time, arrival): arrival numbers are unique, messages never compared
            if number == last and bucket[-1][0] > horizon_ms:
                cut = bisect_right(bucket, horizon_ms, key=_time)
                self._buckets[number] = bucket[cut:]
                bucket = bucket[:cut]
            self._count -= len(bucket)
            out += [held[2] for held in bucket]
        return out

    def entries(self) -> Iterator[Held]:
        for bucket in self._buckets.values():
            yield from bucket

    def load(self, entries: Iterable[Held]) -> None:
        for held in entries:
            self._file(held)
            self.arrived = max(self.arrived, held[1])

    def __len__(self) -> int:
        return self._count
