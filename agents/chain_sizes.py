"""The byte count that decides when a chain of snapshots starts again from a full one.

The state changelog's checkpoints and the alarm snapshots are both written as a full
snapshot followed by deltas against it; a restore reads the whole chain, so once the deltas
outweigh the full snapshot, a new full one is cheaper for the next restore.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ChainSizes:
    full_bytes: int = 0
    delta_bytes: int = 0
    deltas: int = 0

    def outweighed(self, ratio: float, max_deltas: int) -> bool:
        """The deltas' bytes exceed `ratio` times the full snapshot's, or there are too many."""
        return self.delta_bytes > ratio * self.full_bytes or self.deltas >= max_deltas

    def count(self, size: int, *, full: bool) -> None:
        if full:
            self.full_bytes, self.delta_bytes, self.deltas = size, 0, 0
        else:
            self.delta_bytes += size
            self.deltas += 1
