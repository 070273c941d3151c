"""Bring up what the workers need: a broker (embedded Tansu unless configured), the store, topics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from core import collector
from core.settings import KefuSettings
from core.topics import ensure_topics
from pipeline.app import Pipeline, create_app
from pipeline.embedded_broker import TansuBroker
from sinks import rollups
from sinks.credentials import store_password
from sinks.kpi_views import apply_kpi_views
from sinks.migrate import migrate
from sinks.open import open_store
from sinks.store import Store

log = logging.getLogger(__name__)


@dataclass
class Running:
    settings: KefuSettings
    bootstrap: str
    store: Store
    pipeline: Pipeline
    store_http_port: int | None


@asynccontextmanager
async def broker_for(settings: KefuSettings) -> AsyncIterator[str]:
    """The configured Kafka, or an embedded Tansu broker that lives as long as the context."""
    if not settings.embedded_kafka:
        assert settings.kafka_bootstrap is not None
        yield settings.kafka_bootstrap
        return
    broker = TansuBroker(log_dir=settings.home)
    await asyncio.to_thread(broker.start)
    try:
        log.info("embedded Tansu broker on %s", broker.bootstrap)
        yield broker.bootstrap
    finally:
        await asyncio.to_thread(broker.stop)


@asynccontextmanager
async def store_for(
    settings: KefuSettings, *, serve_http: bool
) -> AsyncIterator[tuple[Store, int | None]]:
    """The migrated store; an embedded one is also served over ClickHouse's HTTP interface."""
    store = await asyncio.to_thread(open_store, settings)
    try:
        await asyncio.to_thread(
            migrate, store, settings.clickhouse_database, settings.raw_text_ttl_days
        )
        # The scorecard views read weights, roles, stages and time zones from the settings.
        await asyncio.to_thread(apply_kpi_views, store, settings)
        await asyncio.to_thread(rollups.apply_ttls, store, settings.rollups)
        if not (serve_http and settings.embedded_store):
            yield store, None
            return
        from sinks.chdb_http import serve
        from sinks.chdb_store import ChdbStore

        assert isinstance(store, ChdbStore)
        password = store_password(settings)
        server = serve(
            store,
            "127.0.0.1",
            settings.store_http_port,
            user=settings.clickhouse_user,
            password=password,
        )
        try:
            yield store, server.port
        finally:
            server.stop()
    finally:
        store.close()


@asynccontextmanager
async def running(
    settings: KefuSettings, *, web: bool = False, serve_http: bool = False
) -> AsyncIterator[Running]:
    """Broker, store and a started faust worker; everything stops in reverse order."""
    settings.home.mkdir(parents=True, exist_ok=True)
    log.info("effective configuration: %s", settings.masked())
    async with AsyncExitStack() as stack:
        bootstrap = await stack.enter_async_context(broker_for(settings))
        store, http_port = await stack.enter_async_context(
            store_for(settings, serve_http=serve_http)
        )
        await ensure_topics(bootstrap, settings)
        pipeline = create_app(settings, bootstrap, store, web=web)
        await pipeline.runner.start()
        stack.push_async_callback(pipeline.runner.stop)
        await pipeline.app.start()
        stack.push_async_callback(pipeline.app.stop)
        tune_gc()
        # A worker run inside a process that goes on (the tests) leaves its collector as found.
        stack.callback(collector.uninstall)
        full = asyncio.create_task(
            collector.collect_all_every(collector.FULL_EVERY_SECONDS), name="kefu-gc-full"
        )
        stack.callback(full.cancel)
        # Runs first on the way out: store and ack what is pending while the consumer still runs.
        stack.push_async_callback(pipeline.runner.close)
        for stage in pipeline.side_stages:
            stack.push_async_callback(stage.stop)
        yield Running(settings, bootstrap, store, pipeline, http_port)


def tune_gc() -> None:
    """The engine holds millions of small, long-lived objects; the default collector thresholds
    rescan them all the time (about a third of the engine's time, measured). Everything
    allocated during start-up is frozen, and so is whatever survives a young collection
    (core.collector): on the paced run at 4,500 events/s that cut the objects examined from
    24.3 to 13.0 million and the GC time from 11.8 to 7.6 s (held_out included), and its
    longest pause from about 1 s (a middle collection) to 0.1-0.3 s (BENCHMARKS.md, Latency).
    """
    collector.freeze_survivors(200_000)
