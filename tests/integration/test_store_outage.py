"""A store that goes away: the worker waits for it without losing or doubling a row, says so
on /health, and exits non-zero for its supervisor when the store stays away too long.

The worker is a `kefu run` process writing through clickhouse-connect to a chDB store this
test serves over ClickHouse's HTTP interface; the outage stops that server. The outage is
the store's, so one broker is enough: the restart and re-run tests cover both brokers.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import pytest

from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import TansuBroker, free_port
from pipeline.replay import send_files
from sinks.chdb_http import StoreServer, serve
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import generated_file, valid_events
from tests.integration.worker_processes import (
    day_on_the_broker,
    finish_and_compare,
    health,
    served_store,
    start_worker,
    wait_for_rows,
    worker_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
__all__ = ["served_store"]

OUTAGE_SECONDS = 15


async def wait_for_health(port: int, status: int, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            got, text = await asyncio.to_thread(health, port)
            if got == status:
                return text
        except OSError:
            pass  # the web server is not up yet
        assert time.monotonic() < deadline, f"/health never answered {status}"
        await asyncio.sleep(0.5)


async def test_an_outage_mid_replay_loses_and_doubles_nothing(
    tansu_broker: TansuBroker,
    tmp_path: Path,
    unique_name: str,
    served_store: tuple[ChdbStore, StoreServer],
) -> None:
    store, server = served_store
    broker = Broker(kind="tansu", bootstrap=tansu_broker.bootstrap)
    settings, path, sent = await day_on_the_broker(
        broker, tmp_path, unique_name, server.url, seed=41
    )
    web_port = free_port()
    worker = start_worker(settings, tmp_path, "a", web_port=web_port)
    try:
        await wait_for_rows(store, "chat_messages", sent.events // 4)
        port = server.port
        server.stop()
        text = await wait_for_health(web_port, 503)
        assert "store failing" in text
        await asyncio.sleep(OUTAGE_SECONDS)
        assert worker.poll() is None, "the worker must wait for the store, not exit"
        with serve(store, "127.0.0.1", port):
            await wait_for_health(web_port, 200, timeout=90)
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 60)
            # Whatever the worker had not stored yet is read again and stored exactly once.
            await finish_and_compare(settings, store, path, sent.latest_ms)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    log = (tmp_path / "home-a" / "kefu.log").read_text(errors="replace")
    assert "store failing" in log and "store recovered" in log


async def test_a_store_that_stays_away_makes_the_worker_exit_non_zero(
    tansu_broker: TansuBroker,
    tmp_path: Path,
    unique_name: str,
    served_store: tuple[ChdbStore, StoreServer],
) -> None:
    """The store goes once the day is stored: with no input left to fail an insert, the
    rollup refresher is what finds it gone, through the same give-up time."""
    store, server = served_store
    broker = Broker("tansu", tansu_broker.bootstrap)
    path = generated_file(tmp_path, seed=42)
    settings = worker_settings(broker, tmp_path, unique_name, server.url)
    await ensure_topics(broker.bootstrap, settings)
    await send_files(broker.bootstrap, topics_for(settings), [path])
    good, _ = valid_events(path)
    chats = len({e.event_id for e in good if e.type == "chat.message"})
    worker = start_worker(settings, tmp_path, "a", KEFU_SINK_GIVE_UP_SECONDS="5")
    log_path = tmp_path / "home-a" / "kefu.log"
    try:
        await wait_for_rows(store, "chat_messages FINAL", chats)
        server.stop()
        code = await asyncio.to_thread(worker.wait, 120)
    except subprocess.TimeoutExpired:
        tail = log_path.read_text(errors="replace")[-4000:]
        pytest.fail(f"the worker kept running with its store gone past the give-up time:\n{tail}")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert code not in (0, -signal.SIGKILL)
    assert "giving up on the store after 5s" in log_path.read_text(errors="replace")
    console = (tmp_path / "worker-a.out").read_text(errors="replace")
    assert "kefu: " in console and "Traceback" not in console
