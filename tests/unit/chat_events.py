"""Canonical chat events (as ingest packs them) for tests that drive PartitionState directly."""

from __future__ import annotations

from typing import Any


def chat(event_id: str, buyer: str, sender: str, at_ms: int, shop: str = "s1") -> dict[str, Any]:
    return {
        "event_id": event_id, "type": "chat.message", "shop_id": shop, "occurred_at": at_ms,
        "buyer_id": buyer, "sender": sender, "agent_id": "a1" if sender == "agent" else None,
        "msg_type": "text", "text": "在吗", "order_id": None,
    }  # fmt: skip
