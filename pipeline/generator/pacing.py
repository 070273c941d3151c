"""Replaying generated traffic at wall-clock pace, re-stamped to now, for live demos."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime

from core.errors import ConfigError
from pipeline.generator.clock import SECOND, format_rfc3339, parse_occurred_at
from pipeline.generator.config import GenConfig
from pipeline.generator.delivery import Line
from pipeline.generator.generate import generate

# Below this, sleeping costs more than the lateness it avoids.
_MIN_SLEEP_S = 0.005


async def in_thread(events: Iterator[Line], chunk: int = 2000) -> AsyncIterator[Line]:
    """Advance a generator in a worker thread, a chunk at a time.

    Generating a busy shop-hour takes seconds of CPU; on the event loop that would stall
    every consumer heartbeat and the live view with it.
    """
    while True:
        batch = await asyncio.to_thread(list, itertools.islice(events, chunk))
        if not batch:
            return
        for item in batch:
            yield item


async def _each(events: Iterable[Line] | AsyncIterable[Line]) -> AsyncIterator[Line]:
    if isinstance(events, AsyncIterable):
        async for item in events:
            yield item
    else:
        for item in events:
            yield item


async def paced(
    events: Iterable[Line] | AsyncIterable[Line],
    speedup: float = 1.0,
    *,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Line]:
    """Yield each event when its turn comes, with `occurred_at` moved to wall time.

    The first event lands at "now"; later ones keep their distance from it divided by
    `speedup` (60 plays an hour in a minute). Disorder and duplicates survive, because
    the new stamp depends only on the old one. Malformed lines pass through untouched.
    """
    if speedup <= 0:
        msg = f"speedup must be > 0, got {speedup}"
        raise ConfigError(msg)
    origin: int | None = None
    wall_origin = 0
    async for item in _each(events):
        if isinstance(item, bytes):
            yield item
            continue
        source_ms, offset_ms = parse_occurred_at(item["occurred_at"])
        if origin is None:
            origin, wall_origin = source_ms, int(clock() * SECOND)
        new_ms = wall_origin + round((source_ms - origin) / speedup)
        wait = new_ms / SECOND - clock()
        if wait > _MIN_SLEEP_S:
            await asyncio.sleep(wait)
        stamped = dict(item)
        if isinstance(item["occurred_at"], int):
            stamped["occurred_at"] = new_ms
        else:
            stamped["occurred_at"] = format_rfc3339(new_ms, offset_ms)
        yield stamped


def live(config: GenConfig, speedup: float = 1.0) -> AsyncIterator[Line]:
    """Traffic starting now (ids differ from any earlier run), paced to wall time."""
    now = datetime.now(UTC).replace(microsecond=0)
    return paced(generate(dataclasses.replace(config, start=now)), speedup)
