"""The event ids one partition's escalations have applied, for the dedup window behind the
newest event time seen (docs/metrics.md, "Escalations and work orders").

The newest event time is a running maximum over the input in order, not the horizon, so a
verdict does not depend on how the input was batched: an event is a redelivery when its id
was applied before and its event time is within the window behind the newest. An older
event is applied: memory holds the window only. Forgetting drops only ids that can no
longer be judged redeliveries, so when it runs changes no verdict.

One set for the partition, not one per conversation: a conversation's set lived as long
as the conversation (two days) and went whole into every snapshot delta that touched it.
"""

from __future__ import annotations

from typing import Any

from agents.qc.recent_ids import RecentIds

# Forget in eighths of the window: each pass drops about an eighth of the ids.
PRUNE_PARTS = 8


class Redeliveries:
    __slots__ = ("newest_ms", "pruned_ms", "_ids", "_step", "_window")

    def __init__(self, window_ms: int) -> None:
        self._window = window_ms
        self._step = max(1, window_ms // PRUNE_PARTS)
        self._ids = RecentIds(self._step)
        self.newest_ms = 0
        self.pruned_ms = 0  # the newest `forget_before`

    def __len__(self) -> int:
        return len(self._ids)

    def seen(self, ident: str, at_ms: int) -> bool:
        """Whether the event was applied already; else it is noted as applied now."""
        if at_ms > self.newest_ms:
            self.newest_ms = at_ms
            floor = at_ms - self._window
            if floor - self.pruned_ms >= self._step:
                self._ids.forget_before(floor)
                self.pruned_ms = floor
        if at_ms < self.newest_ms - self._window:
            return False
        return not self._ids.add(ident, at_ms)

    def remember(self, ident: str, at_ms: int) -> None:
        """An id applied by a release that kept ids per conversation (its snapshots)."""
        self._ids.add(ident, at_ms)

    def dump(self) -> dict[str, Any]:
        self._ids.take_added()
        # A dict copy, not pairs: orjson writes a dict fast, and a list of two million
        # tuples costs more to build than to write.
        return {**self._head(), "ids": dict(self._ids.at)}

    def dump_delta(self) -> dict[str, Any]:
        """The ids added since the last dump and still held, and where forgetting stands:
        `load_delta` on the set as it was then gives this set (see RecentIds.take_added)."""
        return {**self._head(), "ids": self._ids.take_added()}

    def load(self, data: dict[str, Any]) -> None:
        self._ids = RecentIds(self._step)
        self.load_delta(data)

    def load_delta(self, data: dict[str, Any]) -> None:
        self.newest_ms, self.pruned_ms = data["newest"], data["pruned"]
        self._ids.forget_before(self.pruned_ms)
        ids = data["ids"]  # a dict in a full dump, pairs in a delta
        for ident, at in ids.items() if isinstance(ids, dict) else ids:
            self._ids.add(ident, at)
        self._ids.take_added()

    def _head(self) -> dict[str, Any]:
        return {"newest": self.newest_ms, "pruned": self.pruned_ms}
