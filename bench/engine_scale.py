"""Engine memory and per-event cost at 10k, 100k and 1M open conversations.

Each size runs in fresh processes (bench.runners.engine): one for the resident-set growth
and the per-event time, one under tracemalloc for the bytes Python holds for the engine
(skipped above `TRACED_UP_TO`, where tracemalloc's own slowdown would take minutes).
Beside it, the dedup window's cost per remembered event id, since the stateful stage keeps
every id for `SEEN_RETENTION_MS` of event time.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from agents.partition.dedup import SeenWindow
from agents.partition.state import SEEN_RETENTION_MS
from bench.spawn import run_once

TRACED_UP_TO = 100_000
_SEEN_SAMPLE = 100_000


@dataclass(frozen=True)
class EngineRow:
    conversations: int
    us_per_event: float
    rss_bytes: int  # growth of the resident set while building
    traced_bytes: int | None  # what tracemalloc saw allocated, None when skipped
    build_seconds: float


def engine_row(conversations: int, workdir: Path) -> EngineRow:
    args = ["--conversations", str(conversations)]
    timed = run_once("bench.runners.engine", args, workdir)
    traced = None
    if conversations <= TRACED_UP_TO:
        result = run_once("bench.runners.engine", [*args, "--memory", "tracemalloc"], workdir)
        traced = int(result.extra["grown_bytes"])
    return EngineRow(
        conversations=conversations,
        us_per_event=timed.seconds / timed.events * 1e6,
        rss_bytes=int(timed.extra["grown_bytes"]),
        traced_bytes=traced,
        build_seconds=float(timed.extra["build_seconds"]),
    )


def seen_bytes_per_event() -> float:
    """Bytes the dedup window holds per remembered event id (ids shaped like ours)."""
    window = SeenWindow(SEEN_RETENTION_MS)
    tracemalloc.start()
    try:
        for index in range(_SEEN_SAMPLE):
            window.first_time(f"bm-7-{index:010d}", 1_763_863_200_000 + index)
        window.take_new()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return held / _SEEN_SAMPLE


def engine_curve(sizes: tuple[int, ...], workdir: Path) -> list[EngineRow]:
    return [engine_row(size, workdir) for size in sizes]
