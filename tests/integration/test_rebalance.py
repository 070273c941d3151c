"""Rebalance safety: a second worker joining and then leaving while input flows never double
counts and never loses an event; the stored inquiries, chat messages, QC findings and
buyer-days still equal the batch reference, and the rollups their FINAL computation.
"""

from __future__ import annotations

import signal
from collections import deque
from pathlib import Path

import pytest

from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import free_port
from pipeline.raw_producer import RawSender, raw_producer
from sinks.chdb_http import StoreServer
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import generated_file
from tests.integration.worker_processes import (
    assert_buyer_days_equal_reference,
    assert_rollups_refreshed,
    finish_and_compare_tables,
    produce_until,
    ready,
    served_store,
    start_worker,
    stop,
    wait_for_rows,
    wait_ingested,
    worker_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
__all__ = ["served_store"]  # the fixture, imported for this module's tests
LOADED_LATENESS_SECONDS = 1800  # about six polls of the generated day's event time


# The rollups are compared strictly: while partition 0, and with it the refresher, moves
# between workers, two refreshers of one period may insert in the other order than they
# stamped, and since sql/0029 a rollup keeps the newer stamp on merge, as rollup_state does
# (before it, one loaded run in eight lacked an hour here).


async def test_a_worker_joining_and_leaving_under_load_loses_and_doubles_nothing(
    kafka_broker: Broker,
    tmp_path: Path,
    unique_name: str,
    served_store: tuple[ChdbStore, StoreServer],
) -> None:
    """Worker A consumes a replay; B joins, then leaves, each while input is still produced;
    A alone ingests the rest. Both rebalances move partitions whose state is in flight."""
    store, server = served_store
    path = generated_file(
        tmp_path, seed=22, disorder_seconds=20, duplicate_rate=0.02, qc_conversations=600
    )
    # A poll of this sparse day spans minutes of event time, where a poll of real traffic
    # spans well under the 30 s lateness; two ingest members a poll apart must stay within
    # the lateness here too, as they do in production.
    settings = worker_settings(kafka_broker, tmp_path, unique_name, server.url).model_copy(
        update={"lateness_seconds": LOADED_LATENESS_SECONDS}
    )
    await ensure_topics(kafka_broker.bootstrap, settings)
    lines = path.read_bytes().splitlines()
    # A third first, then 40 % flowing across the join, the rest across the leave.
    joining = deque(lines[len(lines) // 3 : len(lines) * 11 // 15])
    leaving = deque(lines[len(lines) * 11 // 15 :])
    producer = raw_producer(kafka_broker.bootstrap)
    await producer.start()
    sender = RawSender(producer, topics_for(settings))
    first = start_worker(settings, tmp_path, "a")
    try:
        await produce_until(sender, deque(lines[: len(lines) // 3]), lambda: True)
        await wait_for_rows(store, "chat_messages", len(lines) // 6)
        port = free_port()
        second = start_worker(settings, tmp_path, "b", web_port=port)
        try:
            await produce_until(sender, joining, lambda: ready(port))
            await wait_for_rows(store, "chat_messages", len(lines) // 2)
        finally:
            second.send_signal(signal.SIGTERM)
            await produce_until(sender, leaving, lambda: second.poll() is not None)
            left = await stop(second)
        assert left == 0, f"the second worker exited with {left} instead of leaving its group"
        await wait_ingested(kafka_broker, settings)
    finally:
        await producer.stop()
        await stop(first)
    assert sender.events == len(lines)

    await finish_and_compare_tables(settings, store, path, sender.latest_ms)
    assert_buyer_days_equal_reference(store, settings, path)
    assert_rollups_refreshed(store)
