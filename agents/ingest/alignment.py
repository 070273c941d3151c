"""Event-time alignment of the raw partitions one ingest consumer reads.

Each events partition merges every raw partition, so its clock must be the progress of the
slowest source, not the newest event seen. A source holds the clock at its newest event
time while it is active: it still has a backlog, or it delivered data within `idle_after_s`.
A source quiet for longer is idle and holds nobody back (a quiet feedback topic must not
stop the clock); the price is that an idle source waking up with old events delivers them
late, where they are applied as corrections and counted.

The same marks pace the consumer: a raw partition more than `slack_ms` of event time ahead
of the slowest backlogged one is paused, so no source runs far ahead of the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import TopicPartition


@dataclass
class Alignment:
    slack_ms: int
    idle_after_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    marks: dict[TopicPartition, int] = field(default_factory=dict)
    last_data: dict[TopicPartition, float] = field(default_factory=dict)
    assigned_at: dict[TopicPartition, float] = field(default_factory=dict)

    def assigned(self, tps: set[TopicPartition]) -> None:
        """Track the current assignment: a source is new from the moment it is assigned."""
        now = self.clock()
        for tp in tps - self.assigned_at.keys():
            self.assigned_at[tp] = now
        self.forget(self.assigned_at.keys() - tps)

    def observe(self, tp: TopicPartition, event_ms: int) -> None:
        self.last_data[tp] = self.clock()
        if event_ms > self.marks.get(tp, event_ms - 1):
            self.marks[tp] = event_ms

    def forget(self, tps: set[TopicPartition]) -> None:
        for tp in set(tps):
            self.marks.pop(tp, None)
            self.last_data.pop(tp, None)
            self.assigned_at.pop(tp, None)

    def watermark(self, backlogged: set[TopicPartition]) -> int | None:
        """Event time up to which every active source has delivered; None while unknown.

        A backlogged source never read yet is unknown, so nothing may advance past it; so is
        a newly assigned source that has delivered nothing, until it has been idle a while.
        """
        if any(tp not in self.marks for tp in backlogged):
            return None
        now = self.clock()
        # A source that has delivered nothing yet may be about to receive its first, old
        # events (a producer still filling it): unknown until it has been quiet long enough.
        if any(
            tp not in self.marks and now - since < self.idle_after_s
            for tp, since in self.assigned_at.items()
        ):
            return None
        active = [
            mark
            for tp, mark in self.marks.items()
            if tp in backlogged or now - self.last_data[tp] < self.idle_after_s
        ]
        if active:
            return min(active)
        return max(self.marks.values(), default=None)

    def ahead(self, backlogged: set[TopicPartition]) -> set[TopicPartition]:
        """Partitions to pause: those too far ahead of the slowest backlogged partition.

        A backlogged partition never read yet counts as the slowest of all, so it is
        fetched before anyone moves on; the slowest partition itself is never paused.
        """
        if not backlogged:
            return set()
        if any(tp not in self.marks for tp in backlogged):
            return set(self.marks)
        floor = min(self.marks[tp] for tp in backlogged)
        return {tp for tp, mark in self.marks.items() if mark > floor + self.slack_ms}
