"""core.collector: survivors of a young collection are frozen; held_out freezes what it makes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from core import collector


@pytest.fixture
def restored() -> Iterator[None]:
    threshold, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield
    gc.callbacks[:] = callbacks
    gc.set_threshold(*threshold)
    gc.unfreeze()
    collector._frozen_survivors = False  # noqa: SLF001


def _made() -> list[list[int]]:
    return [[i] for i in range(1000)]


@pytest.mark.usefixtures("restored")
def test_held_out_does_nothing_unless_survivors_are_frozen() -> None:
    gc.unfreeze()
    with collector.held_out():
        made = _made()
    assert gc.get_freeze_count() == 0
    assert made


@pytest.mark.usefixtures("restored")
def test_survivors_of_a_young_collection_are_frozen() -> None:
    collector.freeze_survivors(100_000)
    collector.freeze_survivors(100_000)  # once is enough, a second call adds no callback
    assert gc.get_threshold()[0] == 100_000
    assert gc.callbacks.count(collector._freeze_after_young) == 1  # noqa: SLF001
    made = _made()
    frozen = gc.get_freeze_count()
    gc.collect(0)
    assert gc.get_freeze_count() >= frozen + len(made)
    assert gc.get_count()[0] < 100


@pytest.mark.usefixtures("restored")
def test_held_out_freezes_what_is_made_inside_after_a_young_collection() -> None:
    collector.freeze_survivors(100_000)
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle  # young garbage made before: collected, not frozen
    collected: list[int] = []
    gc.callbacks.append(lambda phase, info: collected.append(info.get("collected", 0)))
    frozen = gc.get_freeze_count()
    with collector.held_out():
        made = _made()
    assert sum(collected) >= 1
    assert gc.get_freeze_count() >= frozen + len(made)
    del made
    assert gc.get_freeze_count() < frozen + 1000  # frozen objects are still freed
