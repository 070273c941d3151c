"""Ways to set up the garbage collector at worker start, compared by bench.gc_paced."""

from __future__ import annotations

import gc
from collections.abc import Callable

from core import collector
from pipeline.runtime import tune_gc


def _thresholds(*triple: int) -> Callable[[], None]:
    def tune() -> None:
        gc.freeze()
        gc.set_threshold(*triple)

    return tune


def _freezing(young: int, held_out: bool) -> Callable[[], None]:
    def tune() -> None:
        collector.freeze_survivors(young)
        # held_out() takes effect only with survivors frozen; off, it must not freeze
        collector._held_out = held_out  # noqa: SLF001 - a bench switch

    return tune


VARIANTS: dict[str, Callable[[], None]] = {
    # pipeline.runtime.tune_gc before survivors were frozen (14d0c81)
    "base": _thresholds(100_000, 50, 100),
    "worker": tune_gc,
    # the middle generation as often in time as at the base's 100,000 young and 50
    "t200k": _thresholds(200_000, 25, 100),
    "t400k": _thresholds(400_000, 12, 100),
    "freeze_young": _freezing(100_000, held_out=False),
    "freeze_t200k": _freezing(200_000, held_out=False),
    "held_t200k": _freezing(200_000, held_out=True),
    "held_t100k": _freezing(100_000, held_out=True),
}
