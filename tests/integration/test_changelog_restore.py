"""State checkpoints on a real broker: restore reads every part, also when parts share batches."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agents.partition import changelog
from tests.integration.conftest import Broker

pytestmark = pytest.mark.kafka


def checkpoint(offset: int, conversations: int) -> dict[str, Any]:
    return {
        "offset": offset,
        "generation": 1,
        "meta": {},
        "conversations": [["s1", f"b{i}", [f"a{offset}"]] for i in range(conversations)],
        "seen": [],
        "buyer_days": [],
        "refunds": {},
        "orders": {},
    }


async def test_the_newest_checkpoint_is_read_to_its_last_part(
    kafka_broker: Broker, unique_name: str
) -> None:
    topic = f"{unique_name}.state-changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    # Many checkpoints whose parts share record batches, as a quiet partition's frequent
    # small checkpoints do: Tansu's listed end offset then counts batches, not records.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, linger_ms=50)
    await producer.start()
    try:
        sends = [
            await producer.send(topic, part, partition=0)
            for offset in range(1, 601)
            for part in changelog.split(checkpoint(offset, 200))
        ]
        for sent in sends:
            await sent
    finally:
        await producer.stop()

    parts = list(await changelog.read(kafka_broker.bootstrap, topic, 0))
    assert len(parts) == 600
    assert parts[-1]["last"] and parts[-1]["offset"] == 600
