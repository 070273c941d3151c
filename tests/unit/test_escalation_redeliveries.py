"""The escalations' redelivery verdicts equal a model that remembers every id, and a restore
from a full dump and its deltas gives the live set back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.escalation.redeliveries import Redeliveries

WINDOW = 1_000

arrivals = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5_000)), max_size=80)


@given(arrivals)
def test_a_redelivery_is_an_id_applied_before_within_the_window_behind_the_newest(
    events: list[tuple[int, int]],
) -> None:
    live, applied, newest = Redeliveries(WINDOW), set[str](), 0
    for n, at in events:
        ident = f"e{n}@{at}"  # a redelivery carries its event time again
        newest = max(newest, at)
        expected = ident in applied and at >= newest - WINDOW
        assert live.seen(ident, at) == expected
        applied.add(ident)


@given(arrivals, st.lists(st.sampled_from(("full", "delta", None)), max_size=80))
def test_a_restore_from_a_full_dump_and_deltas_gives_the_live_set(
    events: list[tuple[int, int]], snapshots: list[str | None]
) -> None:
    live, chain = Redeliveries(WINDOW), []
    for (n, at), kind in zip(events, snapshots, strict=False):
        live.seen(f"e{n}@{at}", at)
        if kind == "full" or (kind == "delta" and not chain):
            chain = [live.dump()]
        elif kind == "delta":
            chain.append(live.dump_delta())
    if not chain:
        return
    chain.append(live.dump_delta())
    restored = Redeliveries(WINDOW)
    restored.load(chain[0])
    for delta in chain[1:]:
        restored.load_delta(delta)
    assert restored.dump() == live.dump()
