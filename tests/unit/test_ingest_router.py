"""Ingest's pure routing: valid events packed by conversation partition, bad ones dead-lettered."""

from __future__ import annotations

import orjson

from agents.ingest.router import RawRecord, route
from schemas.packed import pack, partition_for, unpack


def chat(event_id: str, buyer: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "type": "chat.message",
            "shop_id": "s1",
            "occurred_at": 1763863200000,
            "buyer_id": buyer,
            "sender": "buyer",
        }
    )


def test_routes_by_conversation_and_keeps_order() -> None:
    records = [RawRecord("kefu.raw.chat", 0, i, chat(f"m{i}", f"b{i % 5}")) for i in range(50)]
    routed = route(records, 4)
    assert routed.valid == 50 and not routed.dead
    assert routed.newest == {("kefu.raw.chat", 0): 1763863200000}
    for partition, items in routed.events.items():
        events = unpack(pack(items, 5)).events
        assert all(partition_for("s1", e["buyer_id"], 4) == partition for e in events)
        ids = [int(e["event_id"][1:]) for e in events]
        assert ids == sorted(ids)


def test_bad_records_become_dead_letters_with_their_origin() -> None:
    records = [
        RawRecord("kefu.raw.chat", 2, 10, chat("m1", "b1")),
        RawRecord("kefu.raw.chat", 2, 11, b"{oops"),
        RawRecord("kefu.raw.chat", 2, 12, None),
    ]
    routed = route(records, 4)
    assert routed.valid == 1
    assert [(d.partition, d.offset, d.raw) for d in routed.dead] == [
        (2, 11, b"{oops"),
        (2, 12, b""),
    ]
    assert "Invalid JSON" in routed.dead[0].reason
    assert "null value" in routed.dead[1].reason
    headers = dict(routed.dead[0].headers())
    assert headers["kefu.offset"] == b"11" and headers["kefu.topic"] == b"kefu.raw.chat"
