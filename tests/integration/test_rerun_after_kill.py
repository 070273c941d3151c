"""A run killed anywhere, then the same input re-run on fresh topics, leaves exactly the truth.

Fresh topics are what a new embedded broker or a recreated topic gives: offsets start at 0
again. Row versions carry a generation above every earlier run's, so the re-run's rows win
over the killed run's, whatever offsets either reached, and the re-run's inserts are not
mistaken for repeats of the killed run's (their dedup tokens name the generation). Each
broker gets five kill points in a chain (each run killed at a later stage of its input),
then one run to the end; the stored tables must equal the batch reference.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from core.topics import ensure_topics, topics_for
from pipeline.replay import send_files
from sinks.chdb_http import StoreServer
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    BUYER_DAY_SQL,
    expected_buyer_days,
    generated_file,
    valid_events,
)
from tests.integration.worker_processes import (
    finish_and_compare,
    served_store,
    start_worker,
    worker_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
__all__ = ["served_store"]  # the fixture, imported for this module's tests

# How far each killed run gets, as a share of the chat messages it is sent.
KILL_POINTS = {"tansu": (0.1, 0.3, 0.5, 0.7, 0.9), "apache": (0.15, 0.35, 0.55, 0.75, 0.85)}


async def _wait_for_this_run(store: ChdbStore, since_ms: int, rows: int) -> None:
    """Rows this run stored: counted by when they were applied, since merges collapse the
    earlier runs' copies of the same messages at any moment."""
    deadline = time.monotonic() + 90
    sql = (
        "SELECT count() FROM chat_messages "
        "WHERE ingested_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')"
    )
    while store.query(sql, {"since": since_ms}).scalar() < rows:
        assert time.monotonic() < deadline, f"the run never stored {rows} chat messages"
        await asyncio.sleep(0.05)


async def test_reruns_on_fresh_topics_win_over_killed_runs(
    kafka_broker: Broker,
    tmp_path: Path,
    unique_name: str,
    served_store: tuple[ChdbStore, StoreServer],
) -> None:
    store, server = served_store
    # Duplicates arrive up to minutes later: some land on the other side of a checkpoint.
    path = generated_file(
        tmp_path, seed=31, disorder_seconds=20, duplicate_rate=0.05, qc_conversations=600
    )
    good, _ = valid_events(path)
    chats = len({e.event_id for e in good if e.type == "chat.message"})

    for run, share in enumerate(KILL_POINTS[kafka_broker.kind]):
        settings = worker_settings(kafka_broker, tmp_path, f"{unique_name}-{run}", server.url)
        await ensure_topics(kafka_broker.bootstrap, settings)
        await send_files(kafka_broker.bootstrap, topics_for(settings), [path])
        started_ms = int(time.time() * 1000)
        worker = start_worker(settings, tmp_path, str(run))
        try:
            await _wait_for_this_run(store, started_ms, int(chats * share))
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()

    settings = worker_settings(kafka_broker, tmp_path, f"{unique_name}-last", server.url)
    await ensure_topics(kafka_broker.bootstrap, settings)
    sent = await send_files(kafka_broker.bootstrap, topics_for(settings), [path])
    await finish_and_compare(settings, store, path, sent.latest_ms)

    unique = list({e.event_id: e for e in good}.values())
    expected = expected_buyer_days(unique, settings)
    assert store.query(BUYER_DAY_SQL).rows == expected
    generations = store.query("SELECT count(DISTINCT generation) FROM generations").scalar()
    assert generations >= len(KILL_POINTS[kafka_broker.kind]) + 1
