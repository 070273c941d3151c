"""A side-stage part's snapshots as `agents.snapshot_stage` writes them, for the stage tests:
full ones, deltas on the chain since the newest full one, and a restore from the chain."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import orjson
from hypothesis import strategies as st

# Per batch: no snapshot, a full one, or a delta.
KINDS = st.lists(st.sampled_from((None, "full", "delta", "delta")), max_size=12)


class Snapshotted(Protocol):
    def dump(self) -> dict[str, Any]: ...
    def dump_delta(self) -> dict[str, Any]: ...
    def load(self, data: dict[str, Any]) -> None: ...
    def load_delta(self, data: dict[str, Any]) -> None: ...


S = TypeVar("S", bound=Snapshotted)


def _wire(data: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(data))
    return loaded


class Chain:
    def __init__(self) -> None:
        self.snapshots: list[dict[str, Any]] = []

    def take(self, state: Snapshotted, kind: str | None) -> None:
        """A delta needs a full snapshot before it, as on the broker."""
        if kind == "full" or (kind == "delta" and not self.snapshots):
            self.snapshots = [_wire(state.dump())]
        elif kind == "delta":
            self.snapshots.append(_wire(state.dump_delta()))

    def restore(self, fresh: S) -> S:
        """`fresh` loaded from the chain; the next snapshot of it starts a new chain."""
        fresh.load(self.snapshots[0])
        for delta in self.snapshots[1:]:
            fresh.load_delta(delta)
        self.snapshots = []
        return fresh
