"""A state restored from its changelog parts is the state they were taken from.

Random event streams (chats of a few buyers with late and duplicate messages, silences past
the conversation memory, orders and refunds) are applied in random batches to two
partitions, one steady and one restarted at random cuts from its own chain of checkpoints
(the newest full one and the deltas after it, encoded and decoded as the changelog does).
At every cut both take a full snapshot, which must be equal, and to the end both must emit
the same rows. Either buyer-day form. And a changelog written by the release before the
compact format restores, also with new checkpoints on top of its chain.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.buyer_days import BuyerDays
from agents.partition.state import PartitionState
from core.settings import KefuSettings
from schemas.packed import PackedBatch

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTINGS = KefuSettings()
T0 = int(datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000
DAY = 24 * 60 * MINUTE
NOW_MS = T0 + 30 * DAY
V1_CHAIN = Path(__file__).parent / "data" / "changelog_v1.json.gz"
Rows = list[tuple[str, tuple[Any, ...]]]

_CHAT = st.tuples(
    st.just("chat"),
    st.sampled_from(["b1", "b2", "b3"]),
    st.sampled_from(["buyer", "buyer", "agent", "bot", "system"]),
    st.sampled_from(["a1", "a2", ""]),
)
_ORDER = st.tuples(
    st.just("order"),
    st.sampled_from(["O1", "O2"]),
    st.sampled_from(["b1", "b2"]),
    st.sampled_from(["created", "paid", "paid", "grouped"]),
)
_REFUND = st.tuples(st.just("refund"), st.sampled_from(["requested", "agreed", "refunded"]))
# Seconds to minutes between events, now and then hours or past the conversation memory.
_GAP = st.sampled_from([0, 1_000, 20_000, MINUTE, 4 * MINUTE, 3 * 60 * MINUTE, 8 * DAY])
_STEP = st.tuples(st.one_of(_CHAT, _CHAT, _CHAT, _ORDER, _REFUND), _GAP, st.integers(0, 40_000))
# After each batch: (checkpoint?, full?, restart the second partition?, parts of how many items)
_CUT = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.sampled_from([1, 3, 4000]))


def stream(steps: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Events in delivery order: each up to 40 s behind the clock, every eighth one twice."""
    out: list[dict[str, Any]] = []
    clock = T0
    for n, (what, gap, behind) in enumerate(steps):
        clock += gap
        event = _event(f"e{n}", what, clock - behind)
        out += [event, event] if n % 8 == 7 else [event]
    return out


def _event(event_id: str, what: tuple[Any, ...], at: int) -> dict[str, Any]:
    base = {"event_id": event_id, "shop_id": "s1", "occurred_at": at}
    if what[0] == "chat":
        _, buyer, sender, agent = what
        return base | {
            "type": "chat.message", "buyer_id": buyer, "sender": sender,
            "agent_id": agent if sender in ("buyer", "agent") and agent else None,
            "msg_type": "text", "text": "在吗", "order_id": None,
        }  # fmt: skip
    if what[0] == "order":
        _, order_id, buyer, status = what
        return base | {
            "type": "order", "order_id": order_id, "buyer_id": buyer, "status": status,
            "amount": "59.90",
        }  # fmt: skip
    return base | {
        "type": "refund", "refund_id": "RF1", "order_id": "O1", "buyer_id": "b1",
        "status": what[1], "amount": "12.50", "agent_id": "a1", "reason": None,
        "responsibility": None,
    }  # fmt: skip


class Partition:
    """One partition's state, the rows it emitted and its chain of checkpoint parts."""

    def __init__(self, compact: bool) -> None:
        self.compact = compact
        self.state = self._new()
        self.rows: Rows = []
        self.chain: list[bytes] = []

    def _new(self) -> PartitionState:
        state = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
        state.buyer_days = BuyerDays(compact=self.compact)
        return state

    def apply(self, batch: PackedBatch, offset: int) -> None:
        self.state.apply(batch, offset, lambda t, r: self.rows.append((t, r)), NOW_MS)

    def checkpoint(self, full: bool, items_per_part: int) -> dict[str, Any]:
        taken = self.state.take_checkpoint(NOW_MS, full)
        parts = changelog.split(taken, items_per_part=items_per_part)
        self.chain = parts if full else self.chain + parts
        return taken

    def restart(self) -> None:
        self.state = self._new()
        for part in self.chain:
            self.state.load_checkpoint(changelog.decode(part))


def snapshot(partition: Partition) -> dict[str, Any]:
    """A full checkpoint, decoded: what is held, in one order.

    Without what only a delta needs: the keys forgotten since the checkpoint before (a
    restore settles what the horizon passed at once, and forgets what that empties).
    """
    taken = orjson.loads(orjson.dumps(partition.checkpoint(full=True, items_per_part=4000)))
    for name in ("conversations", "buyer_days", "recency"):
        taken[name] = [entry for entry in taken[name] if entry[2] is not None]
    taken.pop("gone_refunds")
    taken.pop("gone_orders")
    # Ids older than the dedup window (they judge nothing) go at the window's next pruning;
    # a restore drops those of earlier checkpoints at once, the later ones at its next.
    horizon = partition.state.seen.horizon_ms
    taken["seen"] = [entry for entry in taken["seen"] if entry[1] >= horizon]
    return {k: sorted(map(orjson.dumps, v)) if isinstance(v, list) else v for k, v in taken.items()}


def replay(events: list[dict[str, Any]], sizes: list[int], cuts: list[Any], compact: bool) -> None:
    steady, restarted = Partition(compact), Partition(compact)
    restarted.checkpoint(full=True, items_per_part=4000)
    steady.checkpoint(full=True, items_per_part=4000)
    offset, start = 0, 0
    for size, (checkpoint, full, restart, per_part) in zip(sizes, cuts, strict=False):
        batch = events[start : start + size]
        start += size
        watermark = max((e["occurred_at"] for e in batch), default=None)
        for p in (steady, restarted):
            p.apply(PackedBatch(batch, watermark_ms=watermark), offset)
        offset += 1
        if restart:
            for p in (steady, restarted):
                p.checkpoint(full, per_part)
            restarted.restart()
            assert snapshot(restarted) == snapshot(steady)
        elif checkpoint:
            for p in (steady, restarted):
                p.checkpoint(full, per_part)
    end = max(e["occurred_at"] for e in events) + DAY
    for p in (steady, restarted):
        p.apply(PackedBatch(events[start:]), offset)
        p.apply(PackedBatch(flush_ms=end), offset + 1)
    assert restarted.rows == steady.rows
    assert snapshot(restarted) == snapshot(steady)


@PROPERTY
@given(
    st.lists(_STEP, min_size=5, max_size=60),
    st.lists(st.integers(1, 8), min_size=1, max_size=20),
    st.lists(_CUT, min_size=20, max_size=20),
    st.booleans(),
)
def test_a_restored_state_is_the_state_its_checkpoints_were_taken_from(
    steps: list[tuple[Any, ...]], sizes: list[int], cuts: list[Any], compact: bool
) -> None:
    replay(stream(steps), sizes, cuts, compact)


def v1_chain() -> dict[str, Any]:
    """Events and the changelog parts the release before the compact format wrote for them.

    Written at commit a13d367 (plain JSON parts, states spelled out, no `v`): 360 generated
    events with orders and refunds, packed in batches of 40, a checkpoint after each, full
    ones at batches 0 and 6; the file holds the events and the chain after the last batch.
    """
    data: dict[str, Any] = orjson.loads(gzip.decompress(V1_CHAIN.read_bytes()))
    return data


def applied(v1: dict[str, Any]) -> PartitionState:
    """What the v1 chain was taken from: its events applied as the writer applied them."""
    events, batch = v1["events"], v1["batch"]
    state = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    for offset, start in enumerate(range(0, len(events), batch)):
        part = events[start : start + batch]
        watermark = max(e["occurred_at"] for e in part) - v1["watermark_lag_ms"]
        state.apply(PackedBatch(part, watermark_ms=watermark), offset, lambda t, r: None, NOW_MS)
    state.take_checkpoint(v1["parts"][-1]["snapshot_ms"])  # taken, as the writer took it
    return state


def held_then(partition: Partition) -> dict[str, Any]:
    """`snapshot` as that release restored it: its sweeps started afresh, and the ingest
    members' clocks were not in its checkpoints."""
    held = snapshot(partition)
    del held["swept"], held["members"]
    return held


def test_a_changelog_of_the_release_before_restores_and_takes_new_deltas_on_top() -> None:
    v1 = v1_chain()
    assert all("v" not in part for part in v1["parts"])
    restored = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    for part in v1["parts"]:
        restored.load_checkpoint(changelog.decode(orjson.dumps(part)))
    steady_p, restored_p = Partition(compact=True), Partition(compact=True)
    steady_p.state, restored_p.state = applied(v1), restored
    assert held_then(restored_p) == held_then(steady_p)
    # The new release goes on from there: a delta in the new format on the old chain.
    later = [e | {"event_id": f"{e['event_id']}-next", "occurred_at": e["occurred_at"] + DAY}
             for e in v1["events"][:80]]  # fmt: skip
    v1_parts = [orjson.dumps(part) for part in v1["parts"]]
    for p in (steady_p, restored_p):
        p.apply(PackedBatch(later, watermark_ms=later[-1]["occurred_at"]), 100)
        p.chain = v1_parts if p is restored_p else []
        p.checkpoint(full=False, items_per_part=7)
    assert changelog.decode(restored_p.chain[-1])["v"] == changelog.FORMAT
    restored_p.restart()
    assert restored_p.rows == steady_p.rows
    assert snapshot(restored_p) == snapshot(steady_p)


def test_a_higher_delta_ratio_writes_fewer_full_checkpoints() -> None:
    chain = changelog.Chain(base=0)
    chain.wrote(1000, full=True)
    for _ in range(3):
        chain.wrote(600, full=False)
    assert chain.full_due(1.0) and not chain.full_due(2.0) and chain.full_due(1.5)
    assert changelog.Chain().full_due(100.0), "the first checkpoint of a chain is full"
