"""A generated morning with planted escalations, and what the store should hold after it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from core.settings import KefuSettings, ShopSettings, WorkOrderSettings
from pipeline.generator import GenConfig, generate
from schemas.timestamps import to_epoch_ms
from sinks.store import Store
from tests.integration.replay_support import MORNING, valid_events
from tests.reference.escalations import ExpectedOrder, expected_orders

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEADS = {"s1-a1": "lead-wang", "s1-a2": "lead-wang", "s2-a1": "lead-li"}
SHOPS = {"s3": ShopSettings(oncall_owner="s3-duty")}


def escalation_settings(**base: Any) -> dict[str, Any]:
    return {"work_orders": WorkOrderSettings(leads=LEADS), "shops": SHOPS, **base}


def _at(hour: int, minute: int, second: int = 0) -> str:
    return datetime(2026, 11, 23, hour, minute, second, tzinfo=SHANGHAI).isoformat()


def _chat(
    n: int, shop: str, buyer: str, sender: str, when: str, text: str, agent: str | None
) -> dict[str, Any]:
    return {
        "event_id": f"plant-{n}",
        "type": "chat.message",
        "shop_id": shop,
        "buyer_id": buyer,
        "sender": sender,
        "agent_id": agent,
        "occurred_at": when,
        "text": text,
    }


def planted() -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    """Events, and per planted buyer the (rule, owner) its one work order must have."""
    events = [
        # Threats in their forms: full-width digits, spaced digits, mixed with a second word.
        _chat(1, "s1", "plant-fw", "buyer", _at(10, 0), "再不退款我就打１２３１５", "s1-a1"),
        _chat(2, "s1", "plant-fw", "agent", _at(10, 0, 40), "亲，马上为您处理", "s1-a1"),
        _chat(3, "s1", "plant-fw", "buyer", _at(10, 1), "我要投诉", None),
        _chat(4, "s1", "plant-fw", "agent", _at(10, 1, 20), "非常抱歉", "s1-a1"),
        _chat(5, "s2", "plant-sp", "buyer", _at(10, 5), "我要去 1 2 3 1 5 举报你们", "s2-a1"),
        _chat(6, "s2", "plant-sp", "agent", _at(10, 5, 30), "您好", "s2-a1"),
        _chat(7, "s3", "plant-case", "buyer", _at(11, 0), "给你们差评，还要曝光", None),
        _chat(8, "s3", "plant-case", "agent", _at(11, 0, 10), "您好", "s3-a4"),
        # A long wait: the reply comes after 12 minutes.
        _chat(9, "s1", "plant-wait", "buyer", _at(11, 30), "在吗", "s1-a2"),
        _chat(10, "s1", "plant-wait", "agent", _at(11, 42), "在的", "s1-a2"),
        # A dispute.
        {
            "event_id": "plant-11",
            "type": "refund",
            "shop_id": "s2",
            "buyer_id": "plant-dispute",
            "refund_id": "plant-r1",
            "order_id": "plant-o1",
            "agent_id": "s2-a1",
            "status": "requested",
            "amount": 20,
            "occurred_at": _at(12, 0),
        },
        {
            "event_id": "plant-12",
            "type": "refund",
            "shop_id": "s2",
            "buyer_id": "plant-dispute",
            "refund_id": "plant-r1",
            "order_id": "plant-o1",
            "agent_id": "s2-a1",
            "status": "dispute_opened",
            "amount": 20,
            "occurred_at": _at(12, 30),
        },
        # Calm: answered at once, no threat.
        _chat(13, "s1", "plant-calm", "buyer", _at(12, 0), "请问发货了吗", "s1-a1"),
        _chat(14, "s1", "plant-calm", "agent", _at(12, 0, 20), "已发货", "s1-a1"),
    ]
    wanted = {
        "plant-fw": ("complaint_threat", "lead-wang"),
        "plant-sp": ("complaint_threat", "lead-li"),
        "plant-case": ("complaint_threat", "s3-duty"),
        "plant-wait": ("long_wait", "lead-wang"),
        "plant-dispute": ("dispute_opened", "lead-li"),
    }
    return events, wanted


def planted_day(tmp_path: Path, seed: int) -> Path:
    """The generated morning with the planted events merged in time order."""
    lines: list[dict[str, Any]] = [
        line
        for line in generate(GenConfig(start=MORNING, days=0.25, seed=seed))
        if isinstance(line, dict)
    ]
    lines += planted()[0]
    lines.sort(key=lambda e: to_epoch_ms(e["occurred_at"]))
    path = tmp_path / "planted.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in lines))
    return path


def expected(path: Path, settings: KefuSettings, horizon_ms: int) -> list[ExpectedOrder]:
    good, _ = valid_events(path)
    unique = list({e.event_id: e for e in good}.values())
    return expected_orders(unique, settings, horizon_ms)


ORDERS_SQL = """
SELECT work_order_id, shop_id, buyer_id, agent_id, rule, priority, owner,
    toUnixTimestamp64Milli(opened_at), toUnixTimestamp64Milli(first_action_due),
    toUnixTimestamp64Milli(resolve_due), breached_first_action, breached_resolve, business_date
FROM work_orders FINAL ORDER BY work_order_id
"""


def stored_orders(store: Store) -> list[ExpectedOrder]:
    return [ExpectedOrder(*row) for row in store.query(ORDERS_SQL).rows]


def stored_rates(store: Store) -> dict[tuple[str, str, date], tuple[int, int, int]]:
    rows = store.query(
        "SELECT shop_id, agent_id, business_date, work_orders, first_action_breaches,"
        " resolve_breaches, first_action_breach_rate FROM work_order_sla_daily"
    ).rows
    for row in rows:
        assert row[6] == row[4] / row[3]
    return {(r[0], r[1], r[2]): (int(r[3]), int(r[4]), int(r[5])) for r in rows}
