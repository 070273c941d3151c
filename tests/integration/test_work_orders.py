"""Planted escalations on a replayed morning open exactly their work orders; the lifecycle
moves them through `kefu orders` and the worker's HTTP endpoint; on both brokers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from core.settings import KefuSettings
from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import free_port
from pipeline.replay import send_files, wait_stored
from pipeline.runtime import running
from sinks.chdb_http import StoreServer, serve
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from sinks.store import Store
from tests.integration.conftest import Broker
from tests.integration.escalation_support import (
    LEADS,
    SHOPS,
    escalation_settings,
    expected,
    planted,
    planted_day,
    stored_orders,
    stored_rates,
)
from tests.integration.replay_support import settings_for
from tests.reference.escalations import breach_rates

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
KEFU = str(Path(sys.executable).with_name("kefu"))
TOKEN = "test-token-0123"


def check_planted(store: Store, settings: KefuSettings, path: Path, horizon_ms: int) -> None:
    orders = stored_orders(store)
    assert orders == expected(path, settings, horizon_ms)
    for buyer, (rule, owner) in planted()[1].items():
        mine = [(o.rule, o.owner) for o in orders if o.buyer_id == buyer]
        assert mine == [(rule, owner)], buyer
    assert not [o for o in orders if o.buyer_id == "plant-calm"]
    assert stored_rates(store) == breach_rates(orders)
    escalations = store.query("SELECT count() FROM escalations FINAL").scalar()
    assert escalations == len(orders)


async def test_planted_escalations_open_exactly_their_work_orders(
    kafka_broker: Broker, tmp_path: Path, unique_name: str
) -> None:
    settings = settings_for(kafka_broker, tmp_path, unique_name, **escalation_settings())
    path = planted_day(tmp_path, seed=5)
    await ensure_topics(kafka_broker.bootstrap, settings)
    sent = await send_files(kafka_broker.bootstrap, topics_for(settings), [path])
    assert sent.latest_ms is not None
    async with running(settings) as run:
        await wait_stored(run, sent.latest_ms)
        check_planted(run.store, settings, path, sent.latest_ms)
        alerts = run.store.query(
            "SELECT count() FROM alerts FINAL WHERE rule LIKE 'work_order_%'"
        ).scalar()
        breaches = run.store.query(
            "SELECT sum(breached_first_action + breached_resolve) FROM work_orders FINAL"
        ).scalar()
        assert alerts == breaches > 0


async def wait_for(store: Store, sql: str, value: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while store.query(sql).scalar() != value:
        assert time.monotonic() < deadline, f"{sql} never gave {value!r}"
        await asyncio.sleep(0.1)


async def test_lifecycle_through_the_cli_and_the_endpoint(
    kafka_broker: Broker, tmp_path: Path, unique_name: str
) -> None:
    port = free_port()
    settings = settings_for(
        kafka_broker,
        tmp_path,
        unique_name,
        web_port=port,
        work_orders={"leads": {"s1-a1": "lead-wang"}, "http_token": TOKEN},
    )
    path = planted_day(tmp_path, seed=6)
    await ensure_topics(kafka_broker.bootstrap, settings)
    sent = await send_files(kafka_broker.bootstrap, topics_for(settings), [path])
    async with running(settings, web=True) as run:
        await wait_stored(run, sent.latest_ms)
        order = run.store.query(
            "SELECT work_order_id FROM work_orders FINAL WHERE buyer_id = 'plant-fw'"
        ).scalar()
        state = f"SELECT state FROM work_orders FINAL WHERE work_order_id = '{order}'"
        env = dict(
            os.environ, KEFU_KAFKA_BOOTSTRAP=kafka_broker.bootstrap, KEFU_TOPIC_PREFIX=unique_name
        )

        def kefu(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [KEFU, "orders", *args], env=env, capture_output=True, text=True, check=False
            )

        done = kefu("assign", order, "--to", "lead-zhao", "--by", "lead-wang")
        assert done.returncode == 0, done.stderr
        await wait_for(run.store, state, "assigned")
        assert (
            run.store.query(
                f"SELECT owner FROM work_orders FINAL WHERE work_order_id = '{order}'"
            ).scalar()
            == "lead-zhao"
        )
        bad = kefu("assign", order)
        assert (bad.returncode, bad.stderr.count("\n")) == (1, 1)
        assert "--to" in bad.stderr

        url = f"http://127.0.0.1:{port}/work-orders/{order}"
        async with aiohttp.ClientSession() as http:
            refused = await http.post(f"{url}/act/", json={"by": "x"})
            assert refused.status == 401
            wrong = await http.post(f"{url}/act/", headers={"Authorization": "Bearer nope"})
            assert wrong.status == 401
            auth = {"Authorization": f"Bearer {TOKEN}"}
            unknown = await http.post(f"{url}/close/", headers=auth)
            assert unknown.status == 400
            acted = await http.post(f"{url}/act/", headers=auth, json={"by": "lead-zhao"})
            assert acted.status == 202
            await wait_for(run.store, state, "acted")
            resolved = await http.post(f"{url}/resolve/", headers=auth, json={"by": "lead-zhao"})
            assert resolved.status == 202
        await wait_for(run.store, state, "resolved")
        assert kefu("reopen", order).returncode == 0
        await wait_for(run.store, state, "acted")
        assert kefu("resolve", order, "--by", "lead-zhao").returncode == 0
        await wait_for(run.store, state, "resolved")
        actions = run.store.query(
            "SELECT groupArray(action) FROM (SELECT action FROM work_order_events FINAL"
            f" WHERE work_order_id = '{order}' AND by != 'kefu' ORDER BY at)"
        ).scalar()
        assert actions == ["assigned", "acted", "resolved", "reopened", "resolved"]


@pytest.fixture
def served_store(tmp_path: Path) -> Iterator[tuple[ChdbStore, StoreServer]]:
    with ChdbStore(tmp_path / "store") as store:
        migrate(store, "kefu", 180)
        with serve(store, "127.0.0.1", 0) as server:
            yield store, server


async def test_a_worker_killed_mid_replay_changes_nothing(
    kafka_broker: Broker,
    tmp_path: Path,
    unique_name: str,
    served_store: tuple[ChdbStore, StoreServer],
) -> None:
    """The production shape: `kefu run` processes writing to a ClickHouse over HTTP."""
    store, server = served_store
    settings = KefuSettings(
        kafka_bootstrap=kafka_broker.bootstrap,
        clickhouse_url=server.url,
        home=tmp_path / "home",
        app_id=unique_name,
        topic_prefix=unique_name,
        ingest_max_records=100,  # small polls: the worker is still busy when it is killed
        **escalation_settings(),
    )
    path = planted_day(tmp_path, seed=7)
    await ensure_topics(kafka_broker.bootstrap, settings)
    sent = await send_files(kafka_broker.bootstrap, topics_for(settings), [path])
    assert sent.latest_ms is not None
    env = dict(
        os.environ,
        KEFU_KAFKA_BOOTSTRAP=kafka_broker.bootstrap,
        KEFU_CLICKHOUSE_URL=server.url,
        KEFU_HOME=str(tmp_path / "home-a"),
        KEFU_APP_ID=unique_name,
        KEFU_TOPIC_PREFIX=unique_name,
        KEFU_INGEST_MAX_RECORDS="100",
        KEFU_WEB_PORT=str(free_port()),
        KEFU_WORK_ORDERS__LEADS=orjson.dumps(LEADS).decode(),
        KEFU_SHOPS=orjson.dumps({s: c.model_dump(mode="json") for s, c in SHOPS.items()}).decode(),
    )
    log = (tmp_path / "worker.out").open("wb")
    worker = subprocess.Popen([KEFU, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while store.query("SELECT count() FROM escalations").scalar() < 20:
            assert time.monotonic() < deadline, "the first worker raised no escalations"
            await asyncio.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert store.query("SELECT count() FROM chat_messages").scalar() < sent.events

    async with running(settings) as run:
        await wait_stored(run, sent.latest_ms)
    check_planted(store, settings, path, sent.latest_ms)
