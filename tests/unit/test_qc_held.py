"""QC's held messages and recent ids: the bucketed forms behave exactly as the heap and the
pruned dict they replace, on random arrivals, horizons and cutoffs."""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st

from agents.qc.findings import Message
from agents.qc.held import HeldMessages
from agents.qc.recent_ids import RecentIds

TIMES = st.integers(min_value=-5_000, max_value=20_000)
STEPS = st.lists(
    st.one_of(st.tuples(st.just("hold"), TIMES), st.tuples(st.just("release"), TIMES)),
    max_size=200,
)


def _message(n: int, at_ms: int) -> Message:
    return Message(f"e{n}", "s1", "b1", "", "buyer", at_ms, "在吗")


@given(STEPS)
def test_released_in_the_order_a_heap_gives(steps: list[tuple[str, int]]) -> None:
    held, arrived = HeldMessages(), 0
    heap: list[tuple[int, int, str]] = []
    for n, (action, at_ms) in enumerate(steps):
        if action == "hold":
            arrived += 1
            held.hold(_message(n, at_ms))
            heapq.heappush(heap, (at_ms, arrived, f"e{n}"))
            continue
        expected = []
        while heap and heap[0][0] <= at_ms:
            expected.append(heapq.heappop(heap)[2])
        assert [m.event_id for m in held.release(at_ms)] == expected
        assert len(held) == len(heap)
    assert sorted((at, n, m.event_id) for at, n, m in held.entries()) == sorted(heap)


@given(st.lists(st.tuples(st.integers(0, 40), TIMES)), st.lists(TIMES, max_size=8))
def test_recent_ids_keep_what_the_pruned_dict_keeps(
    adds: list[tuple[int, int]], cutoffs: list[int]
) -> None:
    recent, plain = RecentIds(700), dict[str, int]()
    for i, (ident, at_ms) in enumerate(adds):
        key = f"e{ident}"
        assert recent.add(key, at_ms) == (key not in plain)
        plain.setdefault(key, at_ms)
        if i < len(cutoffs):
            recent.forget_before(cutoffs[i])
            plain = {k: at for k, at in plain.items() if at >= cutoffs[i]}
        assert recent.at == plain
    for cutoff in cutoffs:
        recent.forget_before(cutoff)
        plain = {k: at for k, at in plain.items() if at >= cutoff}
        assert list(recent.at.items()) == list(plain.items())
