"""A stateful flush's insert dedup token: stable for its retries, never shared with the flush
of another copy of the same state (the copy a killed worker or a revoked partition lost)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from agents.inquiries.hours import hours_from_settings
from agents.partition.agent import Input, _span
from agents.partition.state import PartitionState
from core.settings import KefuSettings

SETTINGS = KefuSettings()


def state() -> PartitionState:
    return PartitionState(0, hours_from_settings(SETTINGS), lateness_ms=0)


def inputs(*offsets: int) -> list[Input]:
    events = [SimpleNamespace(message=SimpleNamespace(partition=0, offset=o)) for o in offsets]
    return [(cast(Any, None), cast(Any, event)) for event in events]


def test_a_restored_copy_covering_the_same_offsets_takes_another_token() -> None:
    lost = state()
    lost.generation = 7
    restored = state()
    restored.load_checkpoint(lost.take_checkpoint(full=True))
    pending = inputs(5, 3, 9)

    assert restored.generation == lost.generation
    assert _span(pending, {0: lost}) == _span(pending, {0: lost})
    assert _span(pending, {0: lost}).endswith(":3-9")
    assert _span(pending, {0: restored}) != _span(pending, {0: lost})
