"""The shared raw topic, created with explicit retention so every client can read its config.

Tansu answers DescribeConfigs only with what a topic was created with; Quix Streams
derives its changelog and repartition topics from `retention.ms`, so it is set here.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

RETENTION = {"retention.ms": "-1", "retention.bytes": "-1"}


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        if name not in set(await admin.list_topics()):
            topic = NewTopic(name, partitions, replication_factor=1, topic_configs=RETENTION)
            await admin.create_topics([topic])
    finally:
        await admin.close()
