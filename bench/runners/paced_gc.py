"""bench.runners.paced with the garbage collector watched, and optionally tuned another way.

`--gc VARIANT` replaces what `pipeline.runtime.tune_gc` does at start (bench.gc_variants);
gc.callbacks time every collection by generation. `--gc-detail` also counts, at each young
collection, the objects it examines and (every tenth) their types and how many survive:
that probe costs time itself, so detail runs are for the why, not for timing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import gc_variants
from bench.measure import Meter, emit
from bench.runners import paced
from bench.worker import barrier, prepare, worker_settings
from pipeline import runtime


class GcWatch:
    """Per generation: collections, seconds in all, longest, objects collected."""

    def __init__(self, detail: bool) -> None:
        self.detail = detail
        self.reset()

    def reset(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self.collected = [0, 0, 0]
        self.examined = [0, 0, 0]  # objects in the generations collected, summed
        self.young: list[int] = []  # objects a young collection examined (detail)
        self.survived: list[int] = []  # of those, moved on to the middle generation (detail)
        self.types: Counter[str] = Counter()
        # Signatures (type, length, element types) of a sample of a young collection's
        # survivors, taken at the next one: an object young at a collection's start may be
        # under construction (a tuple with empty slots), one that survived it is complete.
        self.survivors: Counter[str] = Counter()
        self._to_sign = 0
        self._started = 0.0
        self._middle_before = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        generation = info["generation"]
        if phase == "start":
            # A list of pointers: about 1 ms per 100,000 objects, before the clock starts.
            self.examined[generation] += sum(len(gc.get_objects(g)) for g in range(generation + 1))
            if self.detail and generation == 0:
                self._examine()
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.count[generation] += 1
        self.seconds[generation] += took
        self.longest[generation] = max(self.longest[generation], took)
        self.collected[generation] += info["collected"]
        if generation > 0:
            self._to_sign = 0  # the survivors moved on with the middle generation
        if self.detail and generation == 0 and self._middle_before:
            self.survived.append(len(gc.get_objects(1)) - self._middle_before)
            self._middle_before = 0
            self._to_sign = self.survived[-1]

    def _examine(self) -> None:
        young = gc.get_objects(0)
        self.young.append(len(young))
        if len(self.young) % 10 == 1:
            self.types.update(type(o).__qualname__ for o in young)
            self._middle_before = len(gc.get_objects(1))
        del young
        if self._to_sign > 0:
            survivors = gc.get_objects(1)[-self._to_sign :]
            self.survivors.update(
                map(_signature, random.sample(survivors, min(2000, len(survivors))))
            )
            del survivors
        self._to_sign = 0

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "gc_count": self.count,
            "gc_seconds": [round(s, 3) for s in self.seconds],
            "gc_longest_ms": [round(s * 1000, 1) for s in self.longest],
            "gc_collected": self.collected,
            "gc_examined": self.examined,
            "gc_threshold": list(gc.get_threshold()),
            "gc_frozen": gc.get_freeze_count(),
        }
        if self.detail:
            out["gc_young_examined"] = self.young
            out["gc_young_survived"] = self.survived
            out["gc_young_types"] = self.types.most_common(25)
            out["gc_young_survivors"] = self.survivors.most_common(40)
        return out


def _signature(o: object) -> str:
    name = type(o).__qualname__
    if isinstance(o, tuple | list):
        return f"{name}[{len(o)}]({','.join(type(x).__qualname__ for x in o[:6])})"
    if isinstance(o, dict):
        inner = ",".join(sorted({type(v).__qualname__ for v in list(o.values())[:6]}))
        return f"dict[{min(len(o), 10)}]({inner})"
    return name


def leaked_cycles() -> dict[str, Any]:
    """Unreachable cycles kept alive only by being frozen or not yet collected at the end,
    their types, and what one full collection of everything costs."""
    gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    started = time.perf_counter()
    leaked = gc.collect()
    took = time.perf_counter() - started
    types = Counter(type(o).__qualname__ for o in gc.garbage).most_common(12)
    gc.garbage.clear()
    gc.set_debug(0)
    return {"gc_leaked": leaked, "gc_leaked_types": types, "gc_full_ms": round(took * 1000)}


def _meter_resetting(watch: GcWatch) -> type[Meter]:
    """Collections count from live input on, as the CPU and latency figures do."""

    class LiveMeter(Meter):
        def start(self, seen: int) -> None:
            if self.started is None:
                watch.reset()
            super().start(seen)

    return LiveMeter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--gc", default="base", choices=sorted(gc_variants.VARIANTS))
    parser.add_argument("--gc-detail", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = worker_settings(
        args.bootstrap, args.prefix, args.workdir, args.partitions, live=True
    )
    asyncio.run(prepare(settings))
    barrier()
    watch = GcWatch(args.gc_detail)
    runtime.tune_gc = gc_variants.VARIANTS[args.gc]
    gc.callbacks.append(watch)
    paced.Meter = _meter_resetting(watch)  # type: ignore[misc]
    result = asyncio.run(paced.serve(settings))
    gc.callbacks.remove(watch)
    result.extra.update(watch.figures(), **leaked_cycles(), gc_variant=args.gc)
    emit(result)


if __name__ == "__main__":
    main()
