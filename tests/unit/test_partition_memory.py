"""Memory horizons (docs/metrics.md#memory-horizons): what a partition forgets, and that
forgetting changes no number the batch reference gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.recalled import Recalled, unknown
from agents.partition.state import PartitionState
from core.settings import KefuSettings
from schemas.inquiry import Message
from schemas.packed import PackedBatch
from sinks.tables import INQUIRIES, REFUNDS
from tests.reference.inquiries import reference_inquiries
from tests.unit.chat_events import chat

SETTINGS = KefuSettings(shop_defaults={"service_start": "00:00", "service_end": "23:59:59"})
T0 = int(datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000
DAY = 24 * 60 * MINUTE
Rows = list[tuple[str, tuple[Any, ...]]]


def new_state() -> PartitionState:
    return PartitionState(0, hours_from_settings(SETTINGS), 30_000)


def feed(state: PartitionState, rows: Rows, *batches: PackedBatch) -> None:
    for batch in batches:
        state.apply(batch, state.offset + 1, lambda t, r: rows.append((t, r)), T0)


def newest(rows: Rows, table: str, columns: tuple[str, ...], key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t, row in rows:
        if t == table:
            d = dict(zip(columns, row, strict=True))
            out[d[key]] = d
    return out


def refund(event_id: str, status: str, at_ms: int) -> dict[str, Any]:
    return {
        "event_id": event_id, "type": "refund", "shop_id": "s1", "occurred_at": at_ms,
        "refund_id": "RF1", "order_id": "O1", "buyer_id": "b1", "status": status,
        "amount": "12.50", "agent_id": "a1", "reason": None, "responsibility": None,
    }  # fmt: skip


def test_a_conversation_silent_past_the_memory_starts_afresh_as_the_reference_says() -> None:
    messages = [
        chat("m1", "b1", "buyer", T0),
        chat("m2", "b1", "agent", T0 + MINUTE),  # a1 answers
        chat("m3", "b1", "buyer", T0 + 2 * MINUTE),  # left unanswered: missed
        chat("m4", "b1", "buyer", T0 + 8 * DAY),  # after the silence: a new inquiry, nobody's
    ]
    state, rows = new_state(), []
    # As the stream delivers them: the clock has moved past the silence when m4 arrives.
    feed(state, rows, PackedBatch(events=messages[:3]), PackedBatch(flush_ms=T0 + 8 * DAY - MINUTE))
    feed(
        state,
        rows,
        PackedBatch(events=messages[3:]),
        PackedBatch(flush_ms=T0 + 8 * DAY + 10 * MINUTE),
    )
    got = newest(rows, "inquiries", INQUIRIES, "inquiry_id")
    expected = reference_inquiries(
        [Message(e["event_id"], "s1", "b1", e["sender"], e["agent_id"] or "", e["occurred_at"]) for e in messages],
        lambda shop: (SETTINGS.shop(shop).zone, SETTINGS.shop(shop).service_start, SETTINGS.shop(shop).service_end),
        T0 + 8 * DAY + 10 * MINUTE,
    )  # fmt: skip
    assert {i.inquiry_id: (i.agent_id, i.status) for i in expected} == {
        "m1": ("a1", "answered"),
        "m3": ("a1", "missed"),
        "m4": ("", "missed"),
    }
    assert {k: (v["agent_id"], v["status"]) for k, v in got.items()} == {
        i.inquiry_id: (i.agent_id, i.status) for i in expected
    }


def test_the_silence_counts_in_event_time_even_when_the_clock_lags() -> None:
    """One batch, no watermark yet: the old conversation is still pending when m4 arrives."""
    messages = [
        chat("m1", "b1", "buyer", T0),
        chat("m2", "b1", "agent", T0 + MINUTE),
        chat("m3", "b1", "buyer", T0 + 2 * MINUTE),
        chat("m4", "b1", "buyer", T0 + 8 * DAY),
        chat("m5", "b1", "agent", T0 + 8 * DAY + MINUTE),
    ]
    state, rows = new_state(), []
    feed(
        state, rows, PackedBatch(events=messages), PackedBatch(flush_ms=T0 + 8 * DAY + 10 * MINUTE)
    )
    got = newest(rows, "inquiries", INQUIRIES, "inquiry_id")
    assert {k: (v["agent_id"], v["status"]) for k, v in got.items()} == {
        "m1": ("a1", "answered"),
        "m3": ("a1", "missed"),
        "m4": ("a1", "answered"),
    }
    assert got["m3"]["answered_at"] is None


def test_idle_conversations_leave_memory_and_the_checkpoint_says_so() -> None:
    state, rows = new_state(), []
    feed(
        state,
        rows,
        PackedBatch(events=[chat("m1", "b1", "buyer", T0), chat("m2", "b1", "agent", T0 + MINUTE)]),
    )
    state.take_checkpoint(T0, full=True)
    feed(
        state,
        rows,
        PackedBatch(events=[chat("x1", "b2", "buyer", T0 + 8 * DAY)]),
        PackedBatch(flush_ms=T0 + 8 * DAY),
    )
    delta = state.take_checkpoint(T0)
    assert ["s1", "b1", None] in delta["conversations"]
    assert ["s1", "b1", None] in delta["recency"]
    full = state.take_checkpoint(T0, full=True)
    assert [c[:2] for c in full["conversations"]] == [["s1", "b2"]]
    assert [r[:2] for r in full["recency"]] == [["s1", "b2"]]


def test_a_forgotten_refund_continues_from_its_stored_row() -> None:
    state, rows = new_state(), []
    feed(
        state,
        rows,
        PackedBatch(events=[refund("r1", "requested", T0), refund("r2", "agreed", T0 + MINUTE)]),
    )
    stored = state.refunds["RF1"]
    feed(state, rows, PackedBatch(flush_ms=T0 + 11 * DAY))
    state.take_checkpoint(T0)
    feed(state, rows, PackedBatch(flush_ms=T0 + 12 * DAY))
    assert state.refunds == {} and state.forgot_facts
    later = refund("r3", "refunded", T0 + 12 * DAY)
    assert unknown([later], state.refunds, state.orders) == [later]
    state.apply(
        PackedBatch(events=[later]), state.offset + 1, lambda t, r: rows.append((t, r)), T0,
        recalled=Recalled(refunds={"RF1": stored}),
    )  # fmt: skip
    row = newest(rows, "refunds", REFUNDS, "refund_id")["RF1"]
    assert (row["status"], row["requested_at"], row["decided_at"]) == ("refunded", T0, T0 + MINUTE)
    assert row["refunded_at"] == T0 + 12 * DAY


def test_a_refund_changed_since_the_last_checkpoint_is_kept_until_it_is_stored() -> None:
    state, rows = new_state(), []
    feed(
        state,
        rows,
        PackedBatch(events=[refund("r1", "requested", T0)]),
        PackedBatch(flush_ms=T0 + 12 * DAY),
    )
    assert "RF1" in state.refunds
    state.take_checkpoint(T0)
    feed(state, rows, PackedBatch(flush_ms=T0 + 13 * DAY))
    assert state.refunds == {}


def test_a_restore_from_a_full_snapshot_and_deltas_equals_the_state_it_was_taken_from() -> None:
    state, rows = new_state(), []
    chain: list[bytes] = []
    for day in range(12):
        at = T0 + day * DAY
        events = [
            chat(f"d{day}-{b}", f"b{b}", "buyer", at + b * MINUTE) for b in range(day % 3 + 1)
        ]
        events += [refund(f"r{day}", "requested" if day == 0 else "agreed", at)]
        feed(state, rows, PackedBatch(events=events), PackedBatch(flush_ms=at + 10 * MINUTE))
        full = day % 4 == 0
        parts = changelog.split(state.take_checkpoint(at, full), items_per_part=2)
        chain = parts if full else chain + parts
    restored = new_state()
    for part in chain:
        restored.load_checkpoint(changelog.decode(part))
    assert _everything(restored) == _everything(state)


def _everything(state: PartitionState) -> dict[str, Any]:
    full = state.take_checkpoint(0, full=True)
    return orjson.loads(
        orjson.dumps(
            {k: sorted(map(str, v)) if isinstance(v, list) else v for k, v in full.items()}
        )
    )
