"""Alarm state snapshots on a real broker: the newest complete one wins, a torn one is skipped,
and a chain of deltas restores to its last complete point."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agents.alarms import snapshot
from agents.alarms.partition import AlarmPartition
from pipeline.embedded_broker import TansuBroker
from tests.integration.conftest import Broker
from tests.integration.test_brokers import _create_topic as create_topic
from tests.unit.test_alarm_partition import MIN, SOURCES, T0, day, feed
from tests.unit.test_alarm_snapshot_deltas import canonical

pytestmark = pytest.mark.kafka


async def test_the_newest_complete_snapshot_is_restored(
    tansu_broker: TansuBroker, unique_name: str
) -> None:
    topic = f"{unique_name}.alarm-state"
    admin = AIOKafkaAdminClient(bootstrap_servers=tansu_broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    assert await snapshot.read_chain(tansu_broker.bootstrap, topic, 0) is None

    producer = AIOKafkaProducer(bootstrap_servers=tansu_broker.bootstrap, acks="all")
    await producer.start()
    try:
        await snapshot.write(producer, topic, 0, {"offset": 1, "shops": {}})
        big = {"offset": 2, "rows": [f"row-{i}-{i * 7919 % 104729}" for i in range(200_000)]}
        parts = snapshot.encode(big, part_bytes=64 * 1024)
        assert len(parts) > 2
        # Sent together, so the parts share record batches (Tansu then lists a wrong end).
        sends = [await producer.send(topic, v, partition=0, headers=h) for v, h in parts]
        for sent in sends:
            await sent
        # A worker killed mid-write leaves the first parts of a newer snapshot behind.
        torn = snapshot.encode({"offset": 3, "rows": big["rows"]}, part_bytes=64 * 1024)
        for value, headers in torn[:-1]:
            await producer.send_and_wait(topic, value, partition=0, headers=headers)
        await snapshot.write(producer, topic, 1, {"offset": 9})
    finally:
        await producer.stop()

    restored = await snapshot.read_chain(tansu_broker.bootstrap, topic, 0)
    assert restored == [big]
    assert await snapshot.read_chain(tansu_broker.bootstrap, topic, 1) == [{"offset": 9}]


async def test_a_chain_cut_short_restores_its_last_complete_delta(
    kafka_broker: Broker, unique_name: str
) -> None:
    """A full snapshot and deltas: a delta torn by a crash is skipped, one whose base is gone
    is never applied, and the restore is the last state a whole chain reaches."""
    topic = f"{unique_name}.alarm-state"
    await create_topic(kafka_broker.bootstrap, topic, 1)
    rows = day(20, 40)
    live, states, offset = AlarmPartition(0, SOURCES), [], 0
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    await producer.start()
    try:
        base = None
        for minute in range(10, 70, 10):
            _, offset = feed(live, rows, T0 + minute * MIN, offset=offset)
            data = live.take_delta() if base else live.take_full()
            base, _ = await snapshot.write(producer, topic, 0, data, base)
            states.append(canonical(live))
        # Killed mid-write: the first parts of the next delta only.
        _, offset = feed(live, rows, T0 + 80 * MIN, offset=offset)
        torn = snapshot.encode(live.take_delta(), part_bytes=100, base=base)
        assert len(torn) > 2
        for value, headers in torn[:-1]:
            await producer.send_and_wait(topic, value, partition=0, headers=headers)
        assert await restored(kafka_broker.bootstrap, topic) == states[-1]
        # A whole delta on a base that is not there (written by a chain that is gone).
        await snapshot.write(producer, topic, 0, live.take_delta(), b"gone")
        assert await restored(kafka_broker.bootstrap, topic) == states[-1]
        # The writer's next snapshot after a failure is full, and its deltas chain to it.
        base, _ = await snapshot.write(producer, topic, 0, live.take_full())
        _, offset = feed(live, rows, T0 + 90 * MIN, offset=offset)
        await snapshot.write(producer, topic, 0, live.take_delta(), base)
    finally:
        await producer.stop()
    assert await restored(kafka_broker.bootstrap, topic) == canonical(live)


async def restored(bootstrap: str, topic: str) -> dict[str, Any]:
    chain = await snapshot.read_chain(bootstrap, topic, 0)
    assert chain is not None
    state = AlarmPartition(0, SOURCES)
    state.restore(chain)
    return canonical(state)
