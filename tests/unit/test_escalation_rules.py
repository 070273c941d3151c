"""Escalation rules on event time: one escalation per conversation, rule and day."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agents.escalation.detector import Detector
from agents.escalation.rules import Escalation
from agents.inquiries.hours import hours_from_settings
from agents.qc.dictionary import reload
from agents.qc.threats import threat_finder
from core.settings import KefuSettings, ShopSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN = 60_000
T0 = int(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).timestamp() * 1000)
SETTINGS = KefuSettings(
    shops={"s2": ShopSettings(escalation_rules={"dispute_opened": "warning"})},
)
RULES = reload()
THREATS = threat_finder(lambda: RULES)


def chat(
    sender: str, minute: float, text: str = "", buyer: str = "b1", shop: str = "s1"
) -> dict[str, Any]:
    agent = "a1" if sender == "agent" else None
    return {
        "type": "chat.message",
        "shop_id": shop,
        "buyer_id": buyer,
        "occurred_at": T0 + int(minute * MIN),
        "sender": sender,
        "agent_id": agent,
        "text": text,
    }


def event(kind: str, minute: float, shop: str = "s1", **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "shop_id": shop,
        "buyer_id": "b1",
        "occurred_at": T0 + int(minute * MIN),
    } | fields


def run(events: list[dict[str, Any]], horizon_minute: float | None = None) -> list[Escalation]:
    detector = Detector(SETTINGS, hours_from_settings(SETTINGS), THREATS)
    out = [esc for ev in events for esc in detector.apply(ev)]
    if horizon_minute is not None:
        out += detector.advance(T0 + int(horizon_minute * MIN))
    return out


def rules(escalations: list[Escalation]) -> list[tuple[str, int, str]]:
    return [(e.rule, (e.occurred_at - T0) // MIN, e.detail) for e in escalations]


def test_threats_raise_once_per_conversation() -> None:
    found = run(
        [
            chat("agent", 0, "您好"),
            chat("buyer", 1, "不发货我就去投诉"),
            chat("agent", 1.5, "马上处理"),
            chat("buyer", 2, "打１２３１５"),
        ]
    )
    assert rules(found) == [("complaint_threat", 1, "去投诉")]
    assert found[0].agent_id == "a1"
    assert found[0].severity == "critical"


def test_a_long_wait_ends_at_the_same_moment_by_reply_or_by_horizon() -> None:
    by_reply = run([chat("buyer", 0), chat("agent", 9)])
    by_horizon = run([chat("buyer", 0)], horizon_minute=8)
    assert rules(by_reply) == rules(by_horizon) == [("long_wait", 8, "")]
    assert by_reply[0].escalation_id == by_horizon[0].escalation_id
    assert run([chat("buyer", 0), chat("agent", 7.9)], horizon_minute=60) == []


def test_a_bot_reply_does_not_stop_the_wait_and_night_waits_start_at_service_start() -> None:
    assert rules(run([chat("buyer", 0), chat("bot", 0.1)], horizon_minute=8)) == [
        ("long_wait", 8, "")
    ]
    night = run([chat("buyer", -180)], horizon_minute=-170)  # 07:00, before 08:00 service start
    assert night == []
    assert rules(run([chat("buyer", -180)], horizon_minute=-112)) == [("long_wait", -112, "")]


def test_three_unanswered_messages_raise_at_the_third() -> None:
    found = run(
        [
            chat("buyer", 0),
            chat("buyer", 1),
            chat("agent", 2),
            chat("buyer", 3),
            chat("buyer", 4),
            chat("buyer", 5),
        ]
    )
    assert rules(found) == [("repeated_unanswered", 5, "3 messages")]


def test_disputes_and_second_rejections_of_one_refund() -> None:
    found = run(
        [
            event("refund", 0, refund_id="r1", status="rejected", agent_id="a2"),
            event("refund", 1, refund_id="r2", status="rejected"),
            event("refund", 2, refund_id="r1", status="rejected", agent_id="a2"),
            event("refund", 3, refund_id="r1", status="dispute_opened"),
        ]
    )
    assert rules(found) == [("refund_rejected_twice", 2, "r1"), ("dispute_opened", 3, "r1")]
    assert found[0].agent_id == "a2"


def test_low_rating_needs_a_comment() -> None:
    found = run(
        [
            event("rating", 0, score=1, agent_id="a1"),
            event("rating", 1, score=3, agent_id="a1", comment="一般"),
            event("rating", 2, score=2, agent_id="a1", comment="  太慢了 "),
        ]
    )
    assert rules(found) == [("low_rating", 2, "score 2: 太慢了")]


def test_per_shop_rules_and_severities() -> None:
    found = run(
        [
            event("refund", 0, shop="s2", refund_id="r", status="dispute_opened"),
            chat("buyer", 1, "投诉", shop="s2"),
        ]
    )
    assert [(e.rule, e.severity) for e in found] == [("dispute_opened", "warning")]


def test_ids_are_deterministic_and_distinct_per_buyer() -> None:
    first = run(
        [chat("buyer", 0, "我要投诉", buyer="b1"), chat("buyer", 0, "我要投诉", buyer="b2")]
    )
    again = run(
        [chat("buyer", 0, "我要投诉", buyer="b1"), chat("buyer", 0, "我要投诉", buyer="b2")]
    )
    assert [e.escalation_id for e in first] == [e.escalation_id for e in again]
    assert len({e.escalation_id for e in first}) == 2
