"""How long a partition remembers (docs/metrics.md#memory-horizons): state past its horizon is forgotten.

A conversation whose buyer and agents have been silent longer than the conversation memory
starts afresh: its open inquiry stays as it was (missed), and its last agent no longer
takes the next inquiry. Refunds and orders without an event for the fact memory leave
memory; their rows stay in the store, and a later event starts from the stored row.
Sweeps run once per hour of event time, so forgetting costs nothing per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]
DAY_MS = 24 * 3600 * 1000
SWEEP_EVERY_MS = 3600 * 1000
_NEVER = -(1 << 62)


@dataclass(slots=True)
class Recency:
    """The event time of each conversation's newest message."""

    last: dict[Key, int] = field(default_factory=dict)
    changed: set[Key] = field(default_factory=set)

    def seen(self, key: Key, at_ms: int) -> int | None:
        """Note a message; returns the conversation's newest message time before it."""
        previous = self.last.get(key)
        if previous is None or at_ms > previous:
            self.last[key] = at_ms
            self.changed.add(key)
        return previous

    def idle(self, before_ms: int) -> list[Key]:
        return [key for key, at in self.last.items() if at < before_ms]

    def forget(self, key: Key) -> None:
        self.last.pop(key, None)
        self.changed.add(key)

    def take(self, full: bool) -> list[list[Any]]:
        """[shop, buyer, newest ms or None] of what changed since the last take (or of all)."""
        keys = self.last.keys() if full else self.changed
        out = [[key[0], key[1], self.last.get(key)] for key in keys]
        self.changed = set()
        return out

    def load(self, entries: list[list[Any]]) -> None:
        for shop_id, buyer_id, at in entries:
            if at is None:
                self.last.pop((shop_id, buyer_id), None)
            else:
                self.last[(shop_id, buyer_id)] = at


@dataclass(slots=True)
class Sweeps:
    """When the next sweep is due, in event time."""

    every_ms: int = SWEEP_EVERY_MS
    swept_at: int = _NEVER

    def due(self, horizon_ms: int) -> bool:
        if horizon_ms - self.swept_at < self.every_ms:
            return False
        self.swept_at = horizon_ms
        return True
