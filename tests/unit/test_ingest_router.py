"""Ingest's pure routing: valid events packed by conversation partition, bad ones dead-lettered."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.ingest.router import DeadLetter, RawRecord, Routed, route
from core.errors import BadMessage
from schemas.packed import canonical_json, pack, partition_for, unpack
from schemas.validate import parse_event


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


def pydantic_route(records: list[RawRecord], partitions: int) -> Routed:
    """route() as it was before the chat fast path: every event through pydantic."""
    routed = Routed()
    for record in records:
        try:
            if record.value is None:
                raise BadMessage("empty message (null value)")
            event = parse_event(record.value)
        except BadMessage as exc:
            raw = record.value or b""
            routed.dead.append(
                DeadLetter(record.topic, record.partition, record.offset, str(exc), raw)
            )
            continue
        source = (record.topic, record.partition)
        routed.newest[source] = max(routed.newest.get(source, 0), event.occurred_at)
        target = partition_for(event.shop_id, event.buyer_id, partitions)
        routed.events.setdefault(target, []).append(canonical_json(event))
        routed.valid += 1
    return routed


def variants(*values: object) -> st.SearchStrategy[object]:
    return st.sampled_from(values)


ABSENT = object()
chat_messages = st.fixed_dictionaries(
    {
        "event_id": variants("m-1", "m-2", "", "x" * 129, 7),
        "type": variants("chat.message", "chat.message", "chat.message", "refund", ABSENT),
        "shop_id": variants("s1", "s2", "店铺", "", None),
        "occurred_at": variants(
            1763863200000,
            "2026-11-23T10:00:05.250+08:00",
            "2026-11-23T02:00:05.250Z",
            "2026-11-23T10:00:05+08:00",
            "2026-11-23T10:00:05.250",
            1763863200,
            1763863200000.0,
            True,
            ABSENT,
        ),
        "buyer_id": variants("b1", "b2", "", 3, ABSENT),
        "sender": variants("buyer", "agent", "bot", "robot"),
        "agent_id": variants(None, "a1", "", ABSENT),
        "msg_type": variants("text", "image", "video", None, ABSENT),
        "text": variants("在吗？", None, 5, ABSENT),
        "client": variants("ios", [1, {"a": 2}], 1.5, 2**64 - 1, ABSENT),
    }
).map(lambda event: orjson.dumps({k: v for k, v in event.items() if v is not ABSENT}))
other_events = st.sampled_from(
    [
        b'{"event_id":"o1","type":"order","shop_id":"s1","occurred_at":1763863200000,'
        b'"order_id":"O1","buyer_id":"b1","status":"paid","amount":"59.90"}',
        b'{"event_id":"r1","type":"rating","shop_id":"s1","occurred_at":1763863200000,'
        b'"buyer_id":"b1","score":9}',
        b"{oops",
        b"[1,2]",
        None,
    ]
)
raw_records = st.lists(
    st.tuples(st.integers(0, 2), chat_messages | other_events | st.binary(max_size=12)),
    max_size=25,
).map(lambda items: [RawRecord("kefu.raw.chat", p, i, v) for i, (p, v) in enumerate(items)])


@settings(max_examples=150, deadline=None)
@given(raw_records)
def test_route_is_byte_identical_to_routing_through_pydantic(records: list[RawRecord]) -> None:
    assert route(records, 4) == pydantic_route(records, 4)
