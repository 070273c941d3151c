"""How a worker sets up the garbage collector (issue 16; BENCHMARKS.md, Latency, "The garbage
collector on the paced worker").

A worker holds millions of small container objects for minutes (conversations, buyer-days,
the seen ids, the alarm and QC windows), and about half of what a young collection examines
survives it; the collections find almost no cyclic garbage (about 0.1 % of what they
examine, measured), but each object examined costs about half a microsecond (cache misses
in a heap of 1.5 GB). So:

- `freeze_survivors`: what survives one young collection is frozen (gc.freeze), never
  examined again: no middle collections (about 1 s each, one a minute at 4,500 events/s)
  or full ones over the long-lived state. A frozen object is still freed when its last
  reference goes; only a cycle that becomes garbage after surviving a young collection
  stays (aiokafka's metadata and futures, tracebacks: about a thousand objects a minute),
  until `collect_all` runs, every FULL_EVERY_SECONDS.
- `held_out`: a checkpoint's or snapshot's containers live until they are written, often
  across a young collection; taken inside it they are frozen at birth, never examined.
- `uninstall`: the collector as it was before, for a process that goes on after its worker
  (the tests run workers inside pytest's processes).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# A full collection of a worker's heap took 1.2-1.7 s after two minutes at 4,500 events/s:
# one every ten minutes is 0.3 % of the time, and bounds the frozen garbage to ten minutes'.
FULL_EVERY_SECONDS = 600.0


@dataclass
class _Installed:
    """What the first `freeze_survivors` found, put back by the last `uninstall`."""

    thresholds: tuple[int, int, int]
    # Runtimes side by side in one process (tests) each install and uninstall once.
    depth: int = 1


_installed: _Installed | None = None
_held_out = True  # bench.gc_variants compares without


def _freeze_after_young(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 0:
        gc.freeze()


def freeze_survivors(young_threshold: int) -> None:
    """Freeze what exists now, then what survives each young collection of `young_threshold`."""
    global _installed  # noqa: PLW0603 - one collector per process
    if _installed is None:
        _installed = _Installed(gc.get_threshold())
        gc.callbacks.append(_freeze_after_young)
    else:
        _installed.depth += 1
    gc.freeze()
    gc.set_threshold(young_threshold, 50, 100)


def uninstall() -> None:
    """Undo one `freeze_survivors` (nothing if none is installed). The last one puts back the
    thresholds and unfreezes everything, so that the garbage cycles frozen meanwhile are
    collected again; whatever else had frozen objects before loses that too.
    """
    global _installed  # noqa: PLW0603 - one collector per process
    if _installed is None:
        return
    _installed.depth -= 1
    if _installed.depth > 0:
        return
    gc.callbacks.remove(_freeze_after_young)
    gc.set_threshold(*_installed.thresholds)
    gc.unfreeze()
    _installed = None


def installed() -> bool:
    return _installed is not None


@contextmanager
def held_out() -> Iterator[None]:
    """What is made inside (synchronous code only) is frozen at the end, with survivors frozen.

    A young collection first, so that only what is made inside is frozen unexamined, not
    young garbage made before it. Without `freeze_survivors` this does nothing: freezing
    would take the middle generation out of collection too.
    """
    if _installed is None or not _held_out:
        yield
        return
    gc.collect(0)
    try:
        yield
    finally:
        gc.freeze()


def collect_all() -> int:
    """One full collection, frozen objects included; what survives it is frozen again."""
    gc.unfreeze()
    try:
        return gc.collect()
    finally:
        gc.freeze()


async def collect_all_every(seconds: float) -> None:
    """With survivors frozen, the garbage cycles among them are found here only."""
    while True:
        await asyncio.sleep(seconds)
        if _installed is not None:
            collect_all()
