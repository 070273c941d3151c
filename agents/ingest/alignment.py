"""Event-time alignment of the raw partitions one ingest consumer reads.

Each events partition merges every raw partition, and its watermark is the newest event
time it has seen. If one raw partition ran ahead of another (a catch-up after downtime,
a replay, an uneven poll), the laggard's messages would arrive behind the watermark and
count as late. So the consumer pauses a raw partition that is more than `slack_ms` of event
time ahead of the slowest partition that still has a backlog; caught-up partitions hold
nobody back, because what they receive next is new.

The same marks give the watermark that ingest stamps on every packed batch: the stateful
stage takes it as its event-time clock instead of the newest event it happens to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import TopicPartition


@dataclass
class Alignment:
    slack_ms: int
    marks: dict[TopicPartition, int] = field(default_factory=dict)

    def observe(self, tp: TopicPartition, event_ms: int) -> None:
        if event_ms > self.marks.get(tp, event_ms - 1):
            self.marks[tp] = event_ms

    def forget(self, tps: set[TopicPartition]) -> None:
        for tp in tps:
            self.marks.pop(tp, None)

    def watermark(self, backlogged: set[TopicPartition]) -> int | None:
        """Event time up to which every source has delivered, or None when unknown yet.

        A backlogged source bounds it by the newest event read from it so far; a source
        without backlog does not, since whatever it receives next happens from now on.
        """
        if any(tp not in self.marks for tp in backlogged):
            return None
        if backlogged:
            return min(self.marks[tp] for tp in backlogged)
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
