"""Workers as separate `kefu run` processes, writing through clickhouse-connect to a store
served over ClickHouse's HTTP interface: the production shape (many workers, one ClickHouse),
since one chDB directory belongs to one process. Shared by the restart, rebalance, outage and
re-run tests.
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

from bench.spawn import worker_env
from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings, QcSettings, RollupSettings
from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import free_port
from pipeline.raw_producer import RawSender
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

KEFU = str(Path(sys.executable).with_name("kefu"))
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
        worker_env(settings, tmp_path / f"home-{tag}", web_port or free_port()),
        KEFU_INGEST_MAX_RECORDS=str(settings.ingest_max_records),
        KEFU_LATENESS_SECONDS=str(settings.lateness_seconds),
        KEFU_ROLLUPS__REFRESH_SECONDS=str(settings.rollups.refresh_seconds),
        KEFU_ROLLUPS__SETTLE_SECONDS=str(settings.rollups.settle_seconds),
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
    await finish_and_compare_tables(settings, store, path, latest_ms)
    assert_rollups_refreshed(store)


async def finish_and_compare_tables(
    settings: KefuSettings, store: ChdbStore, path: Path, latest_ms: int | None
) -> None:
    """Run a worker to the end of the input; the stored inquiries, chat messages and QC
    findings must equal the batch reference."""
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


def assert_rollups_refreshed(store: ChdbStore) -> None:
    """The rollups as the workers refreshed them, and after a last refresh, equal FINAL.

    A failure of the first says whether the last refresh mends it: mended, a period was
    fresh without rows its stamp covers; not mended, the rollup's computation differs.
    """
    workers: AssertionError | None = None
    try:
        assert_rollups_equal_final(store)
    except AssertionError as exc:
        workers = exc
    rollups.refresh(store, settle_seconds=0)
    try:
        assert_rollups_equal_final(store)
    except AssertionError as refreshed:
        before = workers or "equal"
        msg = f"as the workers refreshed them: {before}; after a last refresh: {refreshed}"
        raise AssertionError(msg) from None
    if workers is not None:
        msg = f"as the workers refreshed them (a last refresh mends it): {workers}"
        raise AssertionError(msg) from None


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
