"""The stateful stage checkpoints its partitions in turn under load, and a checkpoint acks
exactly the input of its own partition; at a pause, and at flush(), all of them at once."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any, cast

from agents.inquiries.hours import hours_from_settings
from agents.partition.agent import StatefulRunner, _Flush
from agents.partition.state import PartitionState
from core.settings import KefuSettings
from schemas.packed import pack
from sinks.writer import BatchWriter

SETTINGS = KefuSettings(partitions=4, checkpoint_seconds=10.0)


def runner() -> StatefulRunner:
    writer = BatchWriter(cast(Any, None), max_seconds=3600.0)
    stage = StatefulRunner(SETTINGS, "unused:9092", writer, hours_from_settings(SETTINGS))
    stage.owned.partitions = set(range(4))

    async def restored(partition: int, first: Any) -> PartitionState:
        stage.states[partition] = PartitionState(partition, stage.hours_for, lateness_ms=0)
        return stage.states[partition]

    stage._restored = restored  # type: ignore[method-assign]
    return stage


def event(partition: int, offset: int) -> Any:
    return SimpleNamespace(
        message=SimpleNamespace(partition=partition, offset=offset), value=pack([])
    )


def taken(stage: StatefulRunner) -> list[_Flush]:
    flushes = []
    while not stage._flushes.empty():
        flushes.append(stage._flushes.get_nowait())
        stage._flushes.task_done()
    return flushes


def acked(flush: _Flush) -> list[tuple[int, int]]:
    return [(e.message.partition, e.message.offset) for _, e in flush.acks]


async def feed(stage: StatefulRunner, offset: int) -> None:
    for partition in range(4):
        await stage.handle(cast(Any, "stream"), event(partition, offset))


def test_under_load_one_partition_a_flush_acking_only_its_own_input() -> None:
    async def run() -> None:
        stage = runner()
        await feed(stage, 0)
        await feed(stage, 1)
        # Every state started 3 s ago, input arriving: the first turn (10 s / 4) is due.
        now = time.monotonic()
        stage._checkpointed_at = dict.fromkeys(range(4), now - 3.0)
        await stage.flush_if_due()
        [flush] = taken(stage)
        assert [p for p, _ in flush.checkpoints] == [0]
        assert acked(flush) == [(0, 0), (0, 1)]
        assert sorted(stage._unacked) == [1, 2, 3]

        await feed(stage, 2)
        await stage.flush_if_due()
        assert taken(stage) == []  # the next turn is 2.5 s away

        stage._checkpointed_at[1] -= 10.0  # overdue
        await stage.flush_if_due()
        [flush] = taken(stage)
        assert [p for p, _ in flush.checkpoints] == [1]
        assert acked(flush) == [(1, 0), (1, 1), (1, 2)]

        # The event loop was held up for a second after the last input, which may wait in
        # faust's buffer: no pause yet, until a timer tick has seen none come for a while.
        await feed(stage, 3)
        stage._input.input_at -= 1.0  # no tick since: the timer was held up too
        await stage.flush_if_due()
        assert taken(stage) == []
        # A second later, still no input: a pause.
        stage._input.quiet_since -= 1.0  # the first tick after it, a second ago
        await stage.flush_if_due()
        [flush] = taken(stage)
        assert [p for p, _ in flush.checkpoints] == [0, 1, 2, 3]
        assert acked(flush) == [(0, 2), (0, 3), (1, 3), *((p, o) for p in (2, 3) for o in range(4))]
        assert stage._unacked == {}

    asyncio.run(run())


def test_flush_checkpoints_and_acks_every_partition() -> None:
    async def run() -> None:
        stage = runner()
        await feed(stage, 0)
        stage._checkpointed_at = dict.fromkeys(range(4), time.monotonic() - 3.0)
        await stage.flush_if_due()
        taken(stage)
        await feed(stage, 1)
        performed: list[_Flush] = []

        async def perform(flush: _Flush) -> None:
            performed.append(flush)

        stage._perform = perform  # type: ignore[method-assign]
        stage._performer = asyncio.create_task(stage._perform_all())
        await stage.flush()
        stage._performer.cancel()
        [flush] = performed
        assert [p for p, _ in flush.checkpoints] == [0, 1, 2, 3]
        assert sorted(acked(flush)) == [(0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)]

    asyncio.run(run())
