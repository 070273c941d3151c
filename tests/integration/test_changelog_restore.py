"""State checkpoints on a real broker: restore reads the newest chain (full snapshot and the
deltas after it) to its last part, also when parts share batches; older chains are deleted;
a chain written by the release before the compact format restores, with new deltas on it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.state import PartitionState
from bench.apache_kafka import ApacheKafka
from core.settings import KefuSettings
from core.topics import ensure_topics, topics_for
from schemas.packed import PackedBatch
from tests.integration.conftest import Broker
from tests.unit.test_checkpoint_restore import DAY, NOW_MS, SETTINGS, Partition, snapshot, v1_chain

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

    parts = (await changelog.read(kafka_broker.bootstrap, topic, 0)).parts
    assert len(parts) == 600, "written before checkpoints had keys: all of them are the state"
    assert parts[-1]["last"] and parts[-1]["offset"] == 600


async def test_restore_reads_the_newest_full_snapshot_and_the_deltas_after_it(
    kafka_broker: Broker, unique_name: str
) -> None:
    settings = KefuSettings(topic_prefix=unique_name, partitions=1)
    await ensure_topics(kafka_broker.bootstrap, settings)
    topic = topics_for(settings).changelog
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, linger_ms=5)
    await producer.start()
    chain = changelog.Chain()
    written: list[tuple[int, bool]] = []
    try:
        for offset in range(1, 41):
            full = chain.full_due()
            data = checkpoint(offset, 300 if full else 40) | {"full": full}
            await changelog.write(producer, topic, 0, data, chain)
            written.append((offset, full))
        # A checkpoint cut short by a crash: its first part only.
        broken = changelog.split(
            checkpoint(41, 30_000) | {"full": True}, head={"seq": chain.seq, "base": chain.base}
        )
        await (await producer.send(topic, broken[0], key=f"{chain.seq}/0".encode(), partition=0))
    finally:
        await producer.stop()

    restored = await changelog.read(kafka_broker.bootstrap, topic, 0)
    last_full = max(o for o, full in written if full)
    assert [p["offset"] for p in restored.parts if p["last"]] == list(range(last_full, 41))
    assert restored.parts[0]["full"] and sum(p["full"] for p in restored.parts if p["last"]) == 1
    assert restored.chain.base >= 0 and restored.chain.seq == chain.seq + 1
    assert restored.chain.keys == chain.keys
    assert f"{chain.seq}/0" in restored.chain.retire, "the broken checkpoint goes at the next full"
    assert sum(1 for o, full in written if full) >= 3, "deltas outgrew the snapshot several times"


async def test_the_changelog_is_compacted_and_never_expires(
    apache_kafka: ApacheKafka, unique_name: str
) -> None:
    """Topic configuration is what Apache Kafka keeps and enforces; Tansu keeps none."""
    settings = KefuSettings(topic_prefix=unique_name, partitions=1)
    await ensure_topics(apache_kafka.bootstrap, settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=apache_kafka.bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topics_for(settings).changelog)]
        )
    finally:
        await admin.close()
    configs = {c[0]: c[1] for c in described.resources[0][4]}
    assert configs["cleanup.policy"] == "compact"
    assert configs["segment.ms"] == str(3600 * 1000)


async def test_a_chain_of_the_release_before_restores_with_new_deltas_on_it(
    kafka_broker: Broker, unique_name: str
) -> None:
    settings = KefuSettings(topic_prefix=unique_name, partitions=1)
    await ensure_topics(kafka_broker.bootstrap, settings)
    topic = topics_for(settings).changelog
    v1 = v1_chain()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, linger_ms=5)
    await producer.start()
    try:
        for part in v1["parts"]:  # as that release wrote them: plain JSON, keyed seq/index
            key = f"{part['seq']}/{part['index']}".encode()
            await (await producer.send(topic, orjson.dumps(part), key=key, partition=0))
        restored = await changelog.read(kafka_broker.bootstrap, topic, 0)
        seq = restored.chain.seq
        live = Partition(compact=True)
        for part in restored.parts:
            live.state.load_checkpoint(part)
        later = [e | {"event_id": f"{e['event_id']}-next", "occurred_at": e["occurred_at"] + DAY}
                 for e in v1["events"][:80]]  # fmt: skip
        live.apply(PackedBatch(later, watermark_ms=later[-1]["occurred_at"]), 100)
        checkpoint = live.state.take_checkpoint(NOW_MS)
        await changelog.write(producer, topic, 0, checkpoint, restored.chain)
    finally:
        await producer.stop()

    again = await changelog.read(kafka_broker.bootstrap, topic, 0)
    assert [p.get("v") for p in again.parts if p["last"]] == [None, None, None, changelog.FORMAT]
    assert again.chain.seq == seq + 1
    state = PartitionState(0, hours_from_settings(SETTINGS), 30_000)
    for part in again.parts:
        state.load_checkpoint(part)
    read_back = Partition(compact=True)
    read_back.state = state
    assert snapshot(read_back) == snapshot(live)
