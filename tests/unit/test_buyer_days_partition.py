"""Buyer-days through PartitionState, without a broker: generated days equal the batch
reference, also when the state is checkpointed, cut into changelog parts and restored
midway (the restart path of the stateful stage)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.state import PartitionState
from core.errors import BadMessage
from core.settings import KefuSettings
from pipeline.generator import GenConfig, generate
from schemas.events import ChatMessage, Complaint, Order, Rating, Refund
from schemas.inquiry import Message
from schemas.packed import PackedBatch, canonical_json, partition_for
from schemas.validate import parse_event
from sinks.tables import BUYER_DAYS
from tests.reference import aftersales as ref
from tests.reference.inquiries import reference_inquiries

PARTITIONS = 3
BATCH = 200
NOW_MS = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)
AnyEvent = ChatMessage | Refund | Order | Rating | Complaint
SETTINGS = KefuSettings(shops={"s2": {"timezone": "Asia/Tokyo"}})


def events(days: float, seed: int) -> list[AnyEvent]:
    config = GenConfig(
        seed=seed,
        start=datetime(2026, 11, 22, 16, tzinfo=UTC),
        days=days,
        buyers_per_shop_day=40,
        orders_without_chat_per_shop_day=20,
        disorder_seconds=20,
        duplicate_rate=0.02,
    )
    out: list[AnyEvent] = []
    for line in generate(config):
        if isinstance(line, dict):
            try:
                out.append(parse_event(orjson.dumps(line)))
            except BadMessage:
                continue
    return out


class Table:
    """What `buyer_days FINAL` returns: the highest version per key, deletions dropped."""

    def __init__(self) -> None:
        self.rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def emit(self, table: str, row: tuple[Any, ...]) -> None:
        if table == "buyer_days":
            key = row[:3]
            if key not in self.rows or row[-2] >= self.rows[key][-2]:
                self.rows[key] = row

    def final(self) -> dict[tuple[Any, ...], dict[str, Any]]:
        out = {}
        for key, row in self.rows.items():
            d = dict(zip(BUYER_DAYS, row, strict=True))
            if not d["is_deleted"]:  # time columns carry epoch ms, as the reference does
                out[key] = {c: d[c] for c in BUYER_DAYS[3:13]}
        return out


def run(stream: list[AnyEvent], restart: bool = False) -> Table:
    """Each partition's events in delivery order, packed in batches, then the flush marker."""
    hours = hours_from_settings(SETTINGS)
    table = Table()
    parts: dict[int, list[dict[str, Any]]] = {p: [] for p in range(PARTITIONS)}
    for e in stream:
        parts[partition_for(e.shop_id, e.buyer_id, PARTITIONS)].append(
            orjson.loads(canonical_json(e))
        )
    latest = max(e.occurred_at for e in stream)
    for p, evs in parts.items():
        state = PartitionState(p, hours, 30_000)
        batches = [PackedBatch(events=evs[i : i + BATCH]) for i in range(0, len(evs), BATCH)]
        batches.append(PackedBatch(flush_ms=latest))
        checkpoint: list[bytes] = []
        restart_at = len(batches) // 2 if restart else -1
        for offset, batch in enumerate(batches):
            if offset == restart_at:
                # A new worker: every checkpoint part written so far, replayed in order.
                state = PartitionState(p, hours, 30_000)
                for part in checkpoint:
                    state.load_checkpoint(changelog.decode(part))
                assert state.buyer_days.take_dirty() == [], "a restored state is clean"
            state.apply(batch, offset, table.emit, NOW_MS)
            # A full snapshot now and then, as the changelog writes them: a restore reads the
            # newest one and the deltas after it.
            full = offset % 5 == 0
            parts = changelog.split(state.take_checkpoint(NOW_MS, full), items_per_part=50)
            checkpoint = parts if full else checkpoint + parts
    return table


def expected(stream: list[AnyEvent]) -> dict[tuple[Any, ...], dict[str, Any]]:
    unique = list({e.event_id: e for e in stream}.values())
    messages = [
        Message(e.event_id, e.shop_id, e.buyer_id, e.sender, e.agent_id or "", e.occurred_at)
        for e in unique
        if isinstance(e, ChatMessage)
    ]

    def hours(shop: str) -> Any:
        s = SETTINGS.shop(shop)
        return (s.zone, s.service_start, s.service_end)

    inquiries = reference_inquiries(messages, hours, max(e.occurred_at for e in unique))
    days = ref.buyer_days(inquiries, ref.fold_orders(unique))
    return {
        (b.shop_id, b.buyer_id, b.business_date): {
            "first_inquiry_at": b.first_inquiry_at,
            "inquiries": b.inquiries,
            "missed_30s": b.missed_30s,
            "missed_3m": b.missed_3m,
            "missed_5m": b.missed_5m,
            "converted": b.converted,
            "order_id": b.order_id,
            "paid_at": b.paid_at,
            "order_amount": b.order_amount,
            "conversion_agent_id": b.conversion_agent_id,
        }
        for b in days
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_days_equal_the_reference(seed: int) -> None:
    stream = events(6, seed)
    want = expected(stream)
    assert sum(row["converted"] for row in want.values()) > 50
    assert run(stream).final() == want


def test_a_restart_midway_changes_nothing() -> None:
    stream = events(6, 3)
    assert run(stream, restart=True).final() == run(stream).final() == expected(stream)
