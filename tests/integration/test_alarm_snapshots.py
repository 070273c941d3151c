"""Alarm state snapshots on a real broker: the newest complete one wins, a torn one is skipped."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agents.alarms import snapshot
from pipeline.embedded_broker import TansuBroker

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
