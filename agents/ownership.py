"""Which events partitions this worker owns right now.

A rebalance revokes partitions while an agent may hold input of theirs (a batch being
gathered, an event waiting for the lock the revocation's flush holds). Applied after the
revocation, that input would restore the partition's state again in a worker that no longer
owns it, and write beside its next owner; it is left unapplied and unacked instead, and the
next owner reads it from the last commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from faust.types import TP, EventT


class Ownership:
    __slots__ = ("closed", "partitions", "topic")

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.partitions: set[int] = set()
        self.closed = False

    def assigned(self, assignment: Iterable[TP]) -> None:
        """faust's on_partitions_assigned carries the whole new assignment."""
        if not self.closed:
            self.partitions = {tp.partition for tp in assignment if tp.topic == self.topic}

    def close(self) -> None:
        """A worker on its way out owns nothing once its last flush began: input after it is
        left for the partitions' next owner, so nothing is written beside that owner."""
        self.closed = True
        self.partitions = set()

    def of(self, events: Iterable[EventT]) -> list[EventT]:
        """The events of the partitions owned."""
        return [e for e in events if e.message.partition in self.partitions]

    def revoked(self, revoked: Iterable[TP]) -> set[int]:
        """Forget the revoked partitions; return them."""
        gone = {tp.partition for tp in revoked if tp.topic == self.topic}
        self.partitions -= gone
        return gone

    def __contains__(self, partition: object) -> bool:
        return partition in self.partitions
