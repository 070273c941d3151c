"""Restart safety: a worker killed mid-stream never double counts and never loses an event;
the stored inquiries, chat messages and QC findings still equal the batch reference, and the
rollups their FINAL computation.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from sinks.chdb_http import StoreServer
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.worker_processes import (
    day_on_the_broker,
    finish_and_compare,
    served_store,
    start_worker,
    wait_for_rows,
)

pytestmark = pytest.mark.kafka
__all__ = ["served_store"]  # the fixture, imported for this module's tests


async def test_killed_worker_resumes_exactly(
    kafka_broker: Broker,
    tmp_path: Path,
    unique_name: str,
    served_store: tuple[ChdbStore, StoreServer],
) -> None:
    store, server = served_store
    settings, path, sent = await day_on_the_broker(
        kafka_broker, tmp_path, unique_name, server.url, seed=21
    )

    worker = start_worker(settings, tmp_path, "a")
    try:
        await wait_for_rows(store, "chat_messages", sent.events // 4)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert store.query("SELECT count() FROM chat_messages").scalar() < sent.events * 0.9

    await finish_and_compare(settings, store, path, sent.latest_ms)
