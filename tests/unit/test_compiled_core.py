"""The compiled core (core.compiled) does what the pure-Python modules do, event for event.

Random event streams (those of test_checkpoint_restore: chats of a few buyers, late and
duplicate messages, silences past the conversation memory, orders, refunds) are applied in
random batches, down to one event, to a compiled PartitionState and to one of the .py files
imported beside it. After every batch both must have emitted the same rows, inquiry changes
and counts; at random cuts both take a checkpoint, which must be the same, and at some both
restart from the pure one's (as a worker switched between the two would). Either buyer-day
form. Skipped when the core is not built or switched off; `.ci/run` builds it and sets
KEFU_REQUIRE_COMPILED=1, which turns that skip into a failure.
"""

from __future__ import annotations

import os
from dataclasses import astuple
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.inquiries import hours
from agents.partition import buyer_days, changelog, state
from core import compiled
from core.settings import KefuSettings
from schemas.packed import PackedBatch
from tests.unit.test_checkpoint_restore import _STEP, DAY, NOW_MS, stream

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTINGS = KefuSettings()
# After each batch: (checkpoint?, full?, restart both from the pure one's checkpoint?)
_CUT = st.tuples(st.booleans(), st.booleans(), st.booleans())


def _require_compiled() -> None:
    used, why = compiled.status()
    if used:
        return
    reason = f"compiled core {why}: nothing to compare the pure-Python one with"
    if os.environ.get("KEFU_REQUIRE_COMPILED"):
        pytest.fail(reason)
    pytest.skip(reason)


class Side:
    """One implementation's PartitionState, with what it emitted since last asked."""

    def __init__(self, modules: tuple[ModuleType, ModuleType, ModuleType], compact: bool) -> None:
        self.state_module, self.hours_module, self.buyer_days_module = modules
        self.compact = compact
        self.state = self._new()
        self.rows: list[tuple[str, tuple[Any, ...]]] = []

    def _new(self) -> Any:
        fresh = self.state_module.PartitionState(
            0, self.hours_module.hours_from_settings(SETTINGS), 30_000
        )
        fresh.buyer_days = self.buyer_days_module.BuyerDays(compact=self.compact)
        return fresh

    def apply(self, batch: PackedBatch, offset: int) -> tuple[Any, ...]:
        """What one batch did: its rows, its inquiry changes, its counts and the engine's."""
        self.rows = []
        stats = self.state.apply(batch, offset, lambda t, r: self.rows.append((t, r)), NOW_MS)
        outbox = [astuple(change) for change in self.state.take_outbox()]
        engine = astuple(self.state.engine.stats)
        return self.rows, outbox, astuple(stats), engine, self.state.held()

    def checkpoint(self, full: bool) -> bytes:
        return orjson.dumps(self.state.take_checkpoint(NOW_MS, full))

    def restore(self, parts: list[bytes]) -> None:
        self.state = self._new()
        for part in parts:
            self.state.load_checkpoint(changelog.decode(part))


def sides(compact: bool) -> tuple[Side, Side]:
    pure = compiled.pure(
        "agents.partition.state", "agents.inquiries.hours", "agents.partition.buyer_days"
    )
    assert all(str(module.__file__).endswith(".py") for module in pure)
    assert not str(state.__file__).endswith(".py")
    return Side((state, hours, buyer_days), compact), Side((pure[0], pure[1], pure[2]), compact)


def replay(events: list[dict[str, Any]], sizes: list[int], cuts: list[Any], compact: bool) -> None:
    fast, pure = sides(compact)
    offset, start = 0, 0
    for size, (checkpoint, full, restart) in zip(sizes, cuts, strict=False):
        batch = events[start : start + size]
        start += size
        watermark = max((e["occurred_at"] for e in batch), default=None)
        packed = PackedBatch(batch, watermark_ms=watermark)
        assert fast.apply(packed, offset) == pure.apply(packed, offset), f"batch {offset}"
        offset += 1
        if checkpoint or restart:
            taken = pure.checkpoint(full or restart)
            assert fast.checkpoint(full or restart) == taken, f"checkpoint after batch {offset}"
            if restart:
                parts = changelog.split(orjson.loads(taken))
                fast.restore(parts)
                pure.restore(parts)
    end = max(e["occurred_at"] for e in events) + DAY
    for packed in (PackedBatch(events[start:]), PackedBatch(flush_ms=end)):
        assert fast.apply(packed, offset) == pure.apply(packed, offset)
        offset += 1
    assert fast.checkpoint(True) == pure.checkpoint(True)


@PROPERTY
@given(
    st.lists(_STEP, min_size=5, max_size=60),
    st.lists(st.integers(1, 8), min_size=1, max_size=20),
    st.lists(_CUT, min_size=20, max_size=20),
    st.booleans(),
)
def test_the_compiled_state_emits_and_keeps_what_the_pure_one_does(
    steps: list[tuple[Any, ...]], sizes: list[int], cuts: list[Any], compact: bool
) -> None:
    _require_compiled()
    replay(stream(steps), sizes, cuts, compact)


def test_pure_imports_the_py_files_beside_the_compiled_ones() -> None:
    _require_compiled()
    (pure_state,) = compiled.pure("agents.partition.state")
    assert str(pure_state.__file__).endswith("agents/partition/state.py")
    assert "build/compiled" in str(state.__file__)
    assert pure_state.PartitionState is not state.PartitionState
    assert str(pure_state.rows.__file__).endswith("agents/partition/rows.py")
    # Every other import still gets the compiled modules.
    from agents.partition import rows
    from agents.partition.state import PartitionState

    assert PartitionState is state.PartitionState
    assert rows.__file__ is not None and not rows.__file__.endswith(".py")
