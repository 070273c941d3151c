"""Alarm snapshots as a full one and deltas: restoring a chain gives the live state at any
cut point, a delta applies only to its own base, and a full one comes when it is due."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.alarms import snapshot
from agents.alarms import window as window_module
from agents.alarms.partition import AlarmPartition
from schemas.inquiry_changes import ChangedInquiry, ChangesMessage
from tests.unit.test_alarm_partition import MIN, SOURCES, T0, inquiry, settings_for

SHOPS = ("s1", "s2", "s3")

changes = st.lists(
    st.tuples(
        st.sampled_from(SHOPS),
        st.integers(0, 40),  # buyer and inquiry number: few, so rows are rewritten
        st.integers(0, 25 * 60),  # opened this many seconds before the horizon
        st.sampled_from([None, 20.0, 299.0, 400.0]),  # answered after, s
        st.integers(1, 3),  # version
        st.booleans(),  # deleted
    ),
    max_size=8,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("input"), st.integers(0, SOURCES - 1), st.integers(0, 300), changes),
        st.tuples(st.just("snapshot"), st.booleans()),  # True: a full one
    ),
    min_size=1,
    max_size=60,
)


def change(shop: str, n: int, opened: int, answer: float | None, version: int,
           deleted: bool) -> ChangedInquiry:  # fmt: skip
    return replace(inquiry(n, opened, answer, f"{shop}-a{n % 3}", shop, version), deleted=deleted)


def canonical(state: AlarmPartition) -> dict[str, Any]:
    """Everything a snapshot holds, rows in key order."""
    data = state.dump()
    for shop in data["shops"].values():
        shop["rows"] = sorted(shop["rows"], key=lambda row: (row[0], row[1]))
    return data


def written(data: dict[str, Any], base: bytes | None) -> snapshot.Snapshot:
    """A snapshot through its bytes on the wire, cut into several parts."""
    return snapshot.assemble(snapshot.encode(data, part_bytes=300, base=base))


@settings(max_examples=150, deadline=None)
@given(steps=steps, slack=st.sampled_from([0, 1000]))
def test_restoring_full_and_deltas_equals_the_live_state_at_every_cut(
    steps: list[Any], slack: int
) -> None:
    live = AlarmPartition(0, SOURCES)
    log: list[snapshot.Snapshot] = []  # newest first
    horizon, offset = T0, 0
    # slack 0: a window's changed keys soon outgrow its rows and deltas carry whole windows.
    with mock.patch.object(window_module, "_CHANGED_SLACK", slack):
        for step in steps:
            if step[0] == "input":
                _, source, advance_s, rows = step
                horizon += advance_s * 1000
                batch = [change(s, n, horizon - ago * 1000, *rest) for s, n, ago, *rest in rows]
                live.apply(ChangesMessage(source, horizon, batch), offset, settings_for)
                offset += 1
                live.evaluate(settings_for, now_ms=0)
                continue
            full = step[1] or not log
            data = live.take_full() if full else live.take_delta()
            log.insert(0, written(data, None if full else log[0].id))
            chain = snapshot.chain_of(log)
            assert chain is not None and chain[-1] is log[0]
            restored = AlarmPartition(0, SOURCES)
            restored.restore([s.state for s in chain])
            assert canonical(restored) == canonical(live)


def test_a_restored_chain_goes_on_exactly() -> None:
    """After a restore from a full snapshot and deltas, input redelivered from the start
    raises exactly the alerts of the state that never stopped."""
    rows = [inquiry(i, T0 + i * 20_000, None if 60 <= i < 150 and i % 2 else 30)
            for i in range(300)]  # fmt: skip
    messages = [
        ChangesMessage(source, T0 + minute * MIN, [
            r for r in rows if T0 + (minute - 2) * MIN <= r.effective_opened_at_ms
            < T0 + minute * MIN and hash(r.buyer_id) % SOURCES == source
        ])
        for minute in range(0, 100, 2) for source in range(SOURCES)
    ]  # fmt: skip
    live = AlarmPartition(0, SOURCES)
    log: list[snapshot.Snapshot] = []
    alerts = []
    for offset, message in enumerate(messages):
        live.apply(message, offset, settings_for)
        alerts.append(live.evaluate(settings_for, now_ms=0))
        full = offset % 40 == 0
        data = live.take_full() if full else live.take_delta()
        log.insert(0, written(data, None if full else log[0].id))
    assert any(alerts)
    for cut in (17, 41, 63, 99):
        chain = snapshot.chain_of(log[len(messages) - 1 - cut :])
        assert chain is not None and chain[-1].state["offset"] == cut
        restored = AlarmPartition(0, SOURCES)
        restored.restore([s.state for s in chain])
        after = []
        for offset, message in enumerate(messages):
            restored.apply(message, offset, settings_for)  # at or below the cut: skipped
            after.append(restored.evaluate(settings_for, now_ms=0))
        assert after[cut + 1 :] == alerts[cut + 1 :]
        assert canonical(restored) == canonical(live)


def snap(name: str, base: str | None) -> snapshot.Snapshot:
    return snapshot.Snapshot(name.encode(), None if base is None else base.encode(), {"n": name})


def names(chain: list[snapshot.Snapshot] | None) -> list[str]:
    return [] if chain is None else [s.id.decode() for s in chain]


def test_a_delta_applies_only_to_the_snapshot_its_base_names() -> None:
    full, d1, d2 = snap("f", None), snap("d1", "f"), snap("d2", "d1")
    assert names(snapshot.chain_of([d2, d1, full])) == ["f", "d1", "d2"]
    # A writer that lost its producer and another that took over: each chain stays its own.
    other = snap("x", "f")
    assert names(snapshot.chain_of([other, d2, d1, full])) == ["f", "x"]
    assert names(snapshot.chain_of([d2, other, d1, full])) == ["f", "d1", "d2"]
    # A base that is gone (or newer than its delta) never resolves: the newest whole chain wins.
    assert names(snapshot.chain_of([snap("y", "gone"), d1, full])) == ["f", "d1"]
    assert names(snapshot.chain_of([full, snap("z", "f")])) == ["f"]
    assert snapshot.chain_of([d2, d1]) is None
    assert snapshot.chain_of([]) is None


def test_a_full_snapshot_is_due_after_k_deltas_or_when_they_outweigh_it() -> None:
    chain = snapshot.Chain()
    assert chain.full_due(every=3, ratio=1.0, now=0.0)
    chain.wrote(b"f", 1000, full=True, now=0.0)
    for n in range(3):
        assert not chain.full_due(every=3, ratio=1.0, now=10.0 * n)
        chain.wrote(f"d{n}".encode(), 10, full=False, now=10.0 * n)
    assert chain.full_due(every=3, ratio=1.0, now=30.0)
    assert not chain.full_due(every=4, ratio=1.0, now=30.0)
    assert chain.full_due(every=4, ratio=0.02, now=30.0)  # 30 bytes of deltas > 2% of 1000
    assert chain.full_due(every=4, ratio=1.0, now=snapshot.MAX_CHAIN_SECONDS)
    assert snapshot.Chain(last=b"f", full_bytes=1).full_due(every=0, ratio=1.0, now=0.0)


def test_a_shop_that_did_not_change_is_left_out_of_a_delta() -> None:
    state = AlarmPartition(0, SOURCES)
    for shop in ("s1", "s2"):
        state.apply(ChangesMessage(0, T0, [inquiry(1, T0, None, shop=shop)]), state.offset + 1,
                    settings_for)  # fmt: skip
    state.take_full()
    assert state.take_delta()["changed"] == {}
    state.apply(ChangesMessage(0, T0, [inquiry(2, T0, None, shop="s2")]), state.offset + 1,
                settings_for)  # fmt: skip
    delta = state.take_delta()
    assert list(delta["changed"]) == ["s2"] and len(delta["changed"]["s2"]["rows"]) == 1
    assert "shops" not in delta  # a reader from before deltas fails instead of loading it whole
