"""The escalation stage gives the same escalations and clocks however input is batched and
wherever a restore from its snapshots (full ones and deltas) cuts it; its messages survive
the wire."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.escalation.stage import EscalationPartition
from agents.escalation.wire import decode, escalation_json, lifecycle_json, person_event
from agents.inquiries.hours import hours_from_settings
from agents.qc.dictionary import reload
from agents.qc.threats import threat_finder
from core.settings import KefuSettings
from schemas.packed import pack, pack_flush
from tests.unit.snapshot_chains import KINDS, Chain

SETTINGS = KefuSettings()
RULES = reload()
THREATS = threat_finder(lambda: RULES)
HOURS = hours_from_settings(SETTINGS)
T0 = int(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1000)
MIN = 60_000
TEXTS = ("在吗", "我要投诉", "打１２３１５", "好的", "")


@st.composite
def days(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Buyer and agent messages of three buyers over hours, in time order but for some
    redelivered ones."""
    count = draw(st.integers(1, 40))
    gaps = draw(st.lists(st.integers(0, 6 * MIN), min_size=count, max_size=count))
    events, at = [], T0
    for n, gap in enumerate(gaps):
        at += gap
        sender = draw(st.sampled_from(("buyer", "buyer", "agent", "bot")))
        events.append(
            {
                "event_id": f"e{n}",
                "type": "chat.message",
                "shop_id": "s1",
                "buyer_id": draw(st.sampled_from(("b1", "b2", "b3"))),
                "sender": sender,
                "agent_id": "a1" if sender == "agent" else None,
                "text": draw(st.sampled_from(TEXTS)),
                "occurred_at": at,
            }
        )
    # Redeliveries: an event sent again later, within the dedup window or long after it.
    for source, later in draw(
        st.lists(st.tuples(st.integers(0, 39), st.integers(1, 20)), max_size=4)
    ):
        if source < len(events):
            events.insert(min(len(events), source + later), events[source])
    return events


def run(
    events: list[dict[str, Any]],
    cuts: list[int],
    kinds: Sequence[str | None] = (),
    restore_at: int | None = None,
) -> list[Any]:
    """Feed packed batches split at `cuts`, snapshotting after batch i as `kinds[i]` says
    and after batch `restore_at`, then restoring from the snapshots there."""
    bounds = [0, *sorted({min(c, len(events)) for c in cuts}), len(events)]
    batches = [events[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    stage = EscalationPartition(SETTINGS, HOURS, THREATS)
    chain = Chain()
    out: list[Any] = []
    for offset, batch in enumerate(batches):
        raw = pack([orjson.dumps(e) for e in batch], watermark_ms=batch[-1]["occurred_at"])
        out += stage.apply(raw, offset)
        kind = kinds[offset] if offset < len(kinds) else None
        chain.take(stage, kind or ("delta" if offset == restore_at else None))
        if offset == restore_at:
            restored = chain.restore(EscalationPartition(SETTINGS, HOURS, THREATS))
            assert same_state(restored, stage)
            stage = restored
    got = stage.apply(pack_flush(events[-1]["occurred_at"] + 600 * MIN), len(batches))
    return out + got


def same_state(a: EscalationPartition, b: EscalationPartition) -> bool:
    """Equal but for the order conversations were added in, which nothing reads."""
    one, two = a.dump(), b.dump()
    return {**one, "conversations": sorted(map(repr, one["conversations"]))} == {
        **two,
        "conversations": sorted(map(repr, two["conversations"])),
    }


@settings(max_examples=150, deadline=None)
@given(days(), st.lists(st.integers(0, 40), max_size=6), KINDS, st.integers(0, 12))
def test_batching_and_snapshots_change_nothing(
    events: list[dict[str, Any]], cuts: list[int], kinds: list[str | None], restore_at: int
) -> None:
    one_by_one = run(events, list(range(1, len(events))))
    found = run(events, cuts, kinds, restore_at)
    assert sorted(map(repr, found)) == sorted(map(repr, one_by_one))


def test_a_redelivered_message_counts_once() -> None:
    buyer = {"type": "chat.message", "shop_id": "s1", "buyer_id": "b", "sender": "buyer"}
    events = [buyer | {"event_id": "x", "occurred_at": T0}] * 3
    assert run(events, [1, 2]) != run(
        [buyer | {"event_id": f"x{i}", "occurred_at": T0} for i in range(3)], [1, 2]
    )
    assert not [e for e in run(events, [1, 2]) if getattr(e, "rule", "") == "repeated_unanswered"]


def test_wire_round_trip_and_person_actions() -> None:
    out = run(
        [
            {
                "event_id": "t",
                "type": "chat.message",
                "shop_id": "s1",
                "buyer_id": "b",
                "sender": "buyer",
                "text": "我要投诉",
                "occurred_at": T0,
            }
        ],
        [],
    )
    escalation, clock = out[0], out[-1]
    assert decode(escalation_json(escalation)) == escalation
    assert decode(lifecycle_json(clock)) == clock
    with pytest.raises(ValueError, match="not an escalation"):
        decode(b'{"v": 1}')
    with pytest.raises(ValueError, match="unknown action"):
        person_event("w1", "first_action_due", "me", "", T0)
    with pytest.raises(ValueError, match="assign needs"):
        person_event("w1", "assigned", "me", " ", T0)


def test_a_clock_rung_between_snapshots_stays_rung_after_a_restore() -> None:
    """A long wait opens an order after the full snapshot; its first-action clock rings
    before the delta; restored from both, the clock stays rung."""
    buyer = {"type": "chat.message", "shop_id": "s1", "sender": "buyer", "text": "在吗"}
    events = [
        buyer | {"event_id": "w", "buyer_id": "b1", "occurred_at": T0},
        buyer | {"event_id": "x", "buyer_id": "b2", "occurred_at": T0 + 30 * MIN},
        buyer | {"event_id": "y", "buyer_id": "b3", "occurred_at": T0 + 120 * MIN},
    ]
    out = run(events, [1, 2], ["full"], restore_at=2)
    assert sorted(map(repr, out)) == sorted(map(repr, run(events, [1, 2])))
    assert [e for e in out if getattr(e, "action", "") == "first_action_due"]
