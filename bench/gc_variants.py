"""Ways to set up the garbage collector at worker start, compared by bench.gc_paced."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from pipeline.runtime import tune_gc


def _thresholds(*triple: int) -> Callable[[], None]:
    def tune() -> None:
        gc.freeze()
        gc.set_threshold(*triple)

    return tune


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 0:
        gc.freeze()


def _freeze_after_young() -> None:
    tune_gc()
    gc.callbacks.append(_freeze_survivors)


def _freeze_after_young_at(*triple: int) -> Callable[[], None]:
    def tune() -> None:
        _freeze_after_young()
        gc.set_threshold(*triple)

    return tune


VARIANTS: dict[str, Callable[[], None]] = {
    "base": tune_gc,
    # the middle generation as often in time as at the base's 100,000 young and 50
    "t200k": _thresholds(200_000, 25, 100),
    "t400k": _thresholds(400_000, 12, 100),
    "freeze_young": _freeze_after_young,
    "freeze_t200k": _freeze_after_young_at(200_000, 50, 100),
}
