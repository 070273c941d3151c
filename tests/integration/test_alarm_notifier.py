"""The notifier on a real broker: at-least-once across a restart while the receiver is down,
everything delivered in order once it is back, and undeliverable alerts parked with a metric."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY

from agents.alarms.model import FIRING, RESOLVED, Alert
from agents.notify.service import NotifierService
from core.settings import KefuSettings
from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import TansuBroker
from tests.integration.prom_fixtures import Receiver, receiver

__all__ = ["receiver"]
pytestmark = pytest.mark.kafka


def alert(n: int) -> Alert:
    now = int(time.time() * 1000)
    return Alert(f"reply_rate_5m:s{n}:*:{now}", "reply_rate_5m", f"s{n}", "", FIRING, 0.5, 0.8,
                 12, now - 1_200_000, now - 300_000, now, now)  # fmt: skip


def settings(bootstrap: str, name: str, url: str, **notify: Any) -> KefuSettings:
    return KefuSettings(
        kafka_bootstrap=bootstrap, app_id=name, topic_prefix=name,
        notify={"channels": {"hook": {"kind": "webhook", "url": url}},
                "routes": [{"channels": ["hook"]}], "retry_initial_seconds": 0.05,
                "retry_max_seconds": 0.2, "max_attempts": 10_000, **notify},
    )  # fmt: skip


async def produce(bootstrap: str, topic: str, alerts: list[Alert]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for a in alerts:
            await producer.send_and_wait(topic, a.to_json(), key=a.shop_id.encode())
    finally:
        await producer.stop()


def delivered_ids(receiver: Receiver) -> list[str]:
    return [r.body["alert"]["alert_id"] for r in receiver.at("/hook")]


async def test_no_alert_is_lost_across_a_restart_while_the_receiver_is_down(
    tansu_broker: TansuBroker, unique_name: str, receiver: Receiver
) -> None:
    s = settings(tansu_broker.bootstrap, unique_name, receiver.url("/hook"))
    await ensure_topics(tansu_broker.bootstrap, s)
    first, second = [alert(i) for i in range(5)], [alert(i) for i in range(5, 10)]
    await produce(tansu_broker.bootstrap, topics_for(s).alerts, first)
    receiver.down = True
    notifier = NotifierService(s, tansu_broker.bootstrap)
    await notifier.start()
    try:
        await receiver.wait_for(lambda: receiver.refused >= 3, 30)
    finally:
        await notifier.stop()  # killed mid-retry: nothing was committed
    receiver.down = False
    await produce(tansu_broker.bootstrap, topics_for(s).alerts, second)
    restarted = NotifierService(s, tansu_broker.bootstrap)
    await restarted.start()
    try:
        want = [a.alert_id for a in first + second]
        await receiver.wait_for(lambda: set(want) <= set(delivered_ids(receiver)), 60)
    finally:
        await restarted.stop()
    got = delivered_ids(receiver)
    assert sorted(set(got), key=got.index) == want  # in topic order, none lost


async def test_undeliverable_alerts_are_parked_with_a_metric(
    tansu_broker: TansuBroker, unique_name: str
) -> None:
    s = settings(tansu_broker.bootstrap, unique_name, "http://127.0.0.1:9/hook", max_attempts=2)
    topics = topics_for(s)
    await ensure_topics(tansu_broker.bootstrap, s)
    before = (
        REGISTRY.get_sample_value(
            "kefu_notify_deliveries_total", {"channel": "hook", "outcome": "parked"}
        )
        or 0.0
    )
    alerts = [alert(i) for i in range(3)]
    await produce(tansu_broker.bootstrap, topics.alerts, alerts)
    notifier = NotifierService(s, tansu_broker.bootstrap)
    await notifier.start()
    consumer = AIOKafkaConsumer(
        topics.alerts_dead, bootstrap_servers=tansu_broker.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    parked: list[Any] = []
    try:
        async with asyncio.timeout(60):
            while len(parked) < 3:
                batch = await consumer.getmany(timeout_ms=500)
                parked += [r for records in batch.values() for r in records]
    finally:
        await consumer.stop()
        await notifier.stop()
    assert [orjson.loads(r.value)["alert_id"] for r in parked] == [a.alert_id for a in alerts]
    headers = dict(parked[0].headers)
    assert headers["kefu.channel"] == b"hook" and headers["kefu.attempts"] == b"2"
    assert b"ClientConnectorError" in headers["kefu.reason"]
    after = REGISTRY.get_sample_value(
        "kefu_notify_deliveries_total", {"channel": "hook", "outcome": "parked"}
    )
    assert after == before + 3


def agent_alert(shop: str, agent: str, at: int, group: int, state: str = FIRING) -> Alert:
    return Alert(f"reply_rate_5m:{shop}:{agent}:{at}", "reply_rate_5m", shop, agent, state,
                 0.1, 0.8, 12, at - 1_200_000, at - 300_000, at, at, group=group)  # fmt: skip


async def test_per_agent_alerts_of_one_shop_and_evaluation_are_one_message_across_a_restart(
    tansu_broker: TansuBroker, unique_name: str, receiver: Receiver
) -> None:
    """Three agents of s1 fire at t, one of s2 fires alone, s1's shop-wide alert stands
    apart; the notifier stops after reading only part of s1's group, and the restarted one
    still sends the group whole, once."""
    s = settings(tansu_broker.bootstrap, unique_name, receiver.url("/hook"))
    topic = topics_for(s).alerts
    await ensure_topics(tansu_broker.bootstrap, s)
    at = int(time.time() * 1000) // 60_000 * 60_000
    group = [agent_alert("s1", f"s1-a{i}", at, 3) for i in range(3)]
    await produce(tansu_broker.bootstrap, topic, [alert(1), *group[:2]])
    notifier = NotifierService(s, tansu_broker.bootstrap)
    await notifier.start()
    try:
        await receiver.wait_for(lambda: len(receiver.at("/hook")) >= 1, 30)
    finally:
        await notifier.stop()
    # s1's next evaluation follows the group on its partition: once it is delivered, every
    # message the group could have caused has been sent.
    after = [group[2], agent_alert("s1", "s1-a0", at + 60_000, 1, RESOLVED),
             agent_alert("s2", "s2-a1", at, 1)]  # fmt: skip
    await produce(tansu_broker.bootstrap, topic, after)
    restarted = NotifierService(s, tansu_broker.bootstrap)
    await restarted.start()
    try:
        await receiver.wait_for(lambda: len(receiver.at("/hook")) >= 4, 60)
    finally:
        await restarted.stop()
    bodies = [r.body for r in receiver.at("/hook")]
    listed = [[(a["agent_id"], a["state"]) for a in b["alerts"]] for b in bodies]
    s1 = [entry for entry in listed if entry[0][0] != "s2-a1"]
    assert s1 == [[("", FIRING)], [(f"s1-a{i}", FIRING) for i in range(3)], [("s1-a0", RESOLVED)]]
    assert [("s2-a1", FIRING)] in listed and len(listed) == 4
    grouped = bodies[[len(entry) for entry in listed].index(3)]
    assert grouped["title"] == "【告警】店铺 s1 3 位客服五分钟回复率过低"
    assert all(f"客服 s1-a{i}" in grouped["text"] for i in range(3))
