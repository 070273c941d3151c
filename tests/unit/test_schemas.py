"""The wire contract of docs/events.md: what is accepted, what is rejected and why."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import orjson
import pytest

from core.errors import BadMessage
from schemas.events import ChatMessage, Refund
from schemas.packed import canonical, canonical_json, pack, pack_flush, partition_for, unpack
from schemas.timestamps import from_epoch_ms, to_epoch_ms
from schemas.validate import parse_canonical, parse_event

CHAT = {
    "event_id": "m-1",
    "type": "chat.message",
    "shop_id": "s1",
    "occurred_at": "2026-11-23T10:00:05.250+08:00",
    "buyer_id": "b1",
    "sender": "buyer",
    "agent_id": None,
    "text": "这款敏感肌能用吗？",
}


def raw(**changes: object) -> bytes:
    event = {**CHAT, **changes}
    return orjson.dumps({k: v for k, v in event.items() if v is not ...})


def test_spec_example_parses_to_utc_milliseconds() -> None:
    event = parse_event(raw())
    assert isinstance(event, ChatMessage)
    assert event.occurred_at == 1795399205250
    assert from_epoch_ms(event.occurred_at).isoformat() == "2026-11-23T02:00:05.250000+00:00"


def test_epoch_milliseconds_and_offsets_agree() -> None:
    assert to_epoch_ms(1795399200000) == to_epoch_ms("2026-11-23T10:00:00+08:00")
    assert to_epoch_ms("2026-11-23T02:00:00Z") == 1795399200000


def test_unknown_fields_are_kept() -> None:
    event = parse_event(raw(channel="app", vip=True))
    assert event.extra_fields() == {"channel": "app", "vip": True}
    assert b'"channel":"app"' in canonical_json(event)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "Invalid JSON"),
        (b"[1,2]", "object"),
        (raw(event_id=...), "event_id: Field required"),
        (raw(event_id=""), "event_id"),
        (raw(type="chat.reaction"), "does not match any of the expected tags"),
        (raw(occurred_at="2026-11-23T10:00:00"), "has no UTC offset"),
        (raw(occurred_at=1763863200), "outside 2000..2100"),
        (raw(occurred_at=True), "occurred_at"),
        (raw(sender="agent"), "agent_id is required"),
        (raw(sender="robot"), "sender"),
        (raw(shop_id="x" * 65), "shop_id"),
    ],
)
@pytest.mark.parametrize("parse", [parse_event, parse_canonical])
def test_bad_messages_say_why(parse: Callable[[bytes], object], line: bytes, reason: str) -> None:
    with pytest.raises(BadMessage, match=reason):
        parse(line)


def test_canonical_form_is_the_same_on_either_path() -> None:
    for line in (raw(), raw(occurred_at=1795399205250, channel="app"), raw(sender="bot")):
        assert parse_canonical(line) == canonical(parse_event(line))
    assert parse_canonical(raw())[:3] == ("s1", "b1", 1795399205250)


def test_impossible_values_are_rejected() -> None:
    refund = {
        "event_id": "r-1",
        "type": "refund",
        "shop_id": "s1",
        "occurred_at": 1763863200000,
        "refund_id": "R1",
        "order_id": "O1",
        "buyer_id": "b1",
        "status": "requested",
        "amount": "59.90",
    }
    parsed = parse_event(orjson.dumps(refund))
    assert isinstance(parsed, Refund) and parsed.amount == Decimal("59.90")
    with pytest.raises(BadMessage, match="greater than or equal to 0"):
        parse_event(orjson.dumps({**refund, "amount": -1}))
    rating = {
        "event_id": "x",
        "type": "rating",
        "shop_id": "s1",
        "occurred_at": 1763863200000,
        "buyer_id": "b",
        "score": 9,
    }
    with pytest.raises(BadMessage, match="less than or equal to 5"):
        parse_event(orjson.dumps(rating))


def test_packed_batches_round_trip() -> None:
    event = parse_event(raw())
    batch = unpack(pack([canonical_json(event), canonical_json(event)]))
    assert [e["event_id"] for e in batch.events] == ["m-1", "m-1"]
    assert batch.events[0]["occurred_at"] == 1795399205250
    assert unpack(pack_flush(42)).flush_ms == 42


def test_partition_is_stable_and_spread() -> None:
    assert partition_for("s1", "b1", 8) == partition_for("s1", "b1", 8)
    spread = {partition_for("s1", f"b{i}", 8) for i in range(200)}
    assert spread == set(range(8))
