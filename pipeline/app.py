"""The faust application: ingest service, stateful agent, dead-letter agent, /metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import AgentT, TransportT
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from agents import dead_letters
from agents.alarms import agent as alarm_agent
from agents.alarms import table as alerts_table
from agents.controls import table as controls_table
from agents.controls.reader import ControlReader
from agents.escalation import book as work_order_book
from agents.escalation.agent import STAGE as ESCALATION_STAGE
from agents.escalation.agent import escalation_part
from agents.ingest.service import IngestService
from agents.inquiries.hours import hours_from_settings
from agents.notify.service import NotifierService
from agents.partition import agent as stateful
from agents.qc import agent as qc_agent
from agents.qc.live_rules import LiveRules
from agents.qc.threats import BatchScans, threat_finder
from agents.snapshot_stage import Part, SnapshotStage
from agents.snapshot_stage import install as install_stage
from core.settings import KefuSettings
from core.topics import topics_for
from pipeline import faust_fetch, rollup_refresher
from pipeline.work_order_endpoint import install_work_order_endpoint
from sinks.health import SinkHealth
from sinks.store import Store
from sinks.writer import BatchWriter

# The classic text format, which every Prometheus 2.x reads; names here are all plain.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4"


STATEFUL_FLUSH_ROWS = 50_000
# How long a row may wait in the buffer: the floor of event-to-stored latency. Flushes run
# beside applying, so this costs only inserts (at most two a second per table).
STATEFUL_FLUSH_SECONDS = 0.5


class _App(faust.App):
    """faust restarts a crashed agent after the message it was applying, which is then lost
    until a rebalance; this app stops the worker instead, so its supervisor restarts it from
    the committed offsets."""

    on_crash: Callable[[BaseException, str], None] | None = None

    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> TransportT:
        # faust's own transport fixes the consumer's fetch wait at 1.5 s (pipeline.faust_fetch).
        return faust_fetch.Transport(
            self.conf.broker_consumer, self, fetch_max_wait_ms=self.fetch_max_wait_ms
        )

    async def _on_agent_error(self, agent: AgentT, exc: BaseException) -> None:
        # First: faust's own handler commits offsets, which may wait on the broker.
        if self.on_crash is not None:
            self.on_crash(exc, f"agent {agent.name} crashed")
        await super()._on_agent_error(agent, exc)

    async def crash(self, reason: BaseException) -> None:
        """A timer that raised crashes the app, which then processes nothing: stop too."""
        if self.on_crash is not None:
            self.on_crash(reason, "the app crashed")
        await super().crash(reason)


@dataclass
class Pipeline:
    app: faust.App
    runner: stateful.StatefulRunner
    ingest: IngestService
    alarms: alarm_agent.AlarmRunner | None = None
    notifier: NotifierService | None = None
    side_stages: tuple[SnapshotStage, ...] = ()


def create_app(settings: KefuSettings, bootstrap: str, store: Store, *, web: bool) -> Pipeline:
    app = _App(
        settings.app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        # faust's default data dir is "<app_id>-data" in the working directory.
        datadir=str(settings.home / "faust"),
        web_enabled=web,
        web_host=settings.web_host,
        web_port=settings.web_port,
        topic_partitions=settings.partitions,
        broker_session_timeout=settings.broker_session_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        # faust's idle leader-topic fetch stalls every refill otherwise; see BENCHMARKS.md.
        topic_disable_leader=True,
        stream_buffer_maxsize=4096,
        broker_max_poll_records=500,
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=16 * 1024 * 1024,
        # Acks wait for checkpoints already; committing them soon after keeps replay short.
        broker_commit_interval=0.2,
        # We ack only after rows and checkpoint are stored, and the agent may take new input
        # after the last flush; waiting for every delivered message to be acked would hang
        # shutdown. Unacked input is simply read again and skipped by the checkpoint offset.
        stream_wait_empty=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
    topics = topics_for(settings)
    health = SinkHealth(settings.sink_give_up_seconds)
    hours = hours_from_settings(settings)
    runner = stateful.StatefulRunner(
        settings,
        bootstrap,
        # chDB pays ~50 ms per insert whatever its size: fewer, larger flushes (see BENCHMARKS.md).
        BatchWriter(
            store,
            max_rows=STATEFUL_FLUSH_ROWS,
            max_seconds=STATEFUL_FLUSH_SECONDS,
            health=health,
        ),
        hours,
    )
    stateful.install(app, runner)
    app.on_crash = runner.fail
    dead_letters.install(app, topics, BatchWriter(store, health=health))
    ingest = IngestService(settings, bootstrap)
    app.add_dependency(ingest)
    # Silences and acks are read before alarms are raised or notified (started first).
    controls = ControlReader(settings, bootstrap)
    app.add_dependency(controls)
    alarm_runner = alarm_agent.AlarmRunner(settings, bootstrap, controls=controls.book)
    alarm_agent.install(app, alarm_runner)
    alerts_table.install(app, topics, BatchWriter(store, health=health))
    controls_table.install(app, topics, BatchWriter(store, health=health))
    notifier = NotifierService(settings, bootstrap, controls.book)
    app.add_dependency(notifier)
    # One QC dictionary serves inspection and the escalations' complaint threats, and one
    # stage feeds both the same decoded batches.
    rules = LiveRules(settings.qc)
    # With QC on, its part reuses the buyer scans the escalation part made in the same batch.
    scans = BatchScans() if settings.qc.enabled else None
    parts: list[Part[Any]] = [escalation_part(settings, hours, threat_finder(rules.current, scans))]
    if scans is not None:
        parts.append(qc_agent.qc_part(settings, hours, rules, scans))
        qc_writer = BatchWriter(store, health=health)
        qc_agent.install_tables(app, topics, qc_writer, rules)
    side = SnapshotStage(ESCALATION_STAGE, settings, bootstrap, parts)
    install_stage(app, side)
    side_stages: tuple[SnapshotStage, ...] = (side,)
    book = work_order_book.WorkOrderBook(settings, store, hours)
    work_order_book.install(app, book)
    install_work_order_endpoint(app, settings)
    rollup_refresher.install(app, BatchWriter(store, health=health), settings.rollups, runner.owned)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            # aiohttp refuses a charset inside content_type; the exposition format is UTF-8.
            return self.bytes(generate_latest(), content_type=METRICS_CONTENT_TYPE)

    @app.page("/health")
    class Health(View):
        """200 while the worker can make progress; 503 with the reason while it cannot."""

        async def get(self, request: Request) -> Response:
            problem = _problem(runner, health)
            return self.text(problem or "ok", status=503 if problem else 200)

    @app.page("/ready")
    class Ready(View):
        """200 once the worker is in its consumer group and healthy, for load balancers."""

        async def get(self, request: Request) -> Response:
            problem = "" if runner.assigned else "not yet assigned partitions"
            problem = problem or _problem(runner, health)
            return self.text(problem or "ready", status=503 if problem else 200)

    return Pipeline(
        app=app,
        runner=runner,
        ingest=ingest,
        alarms=alarm_runner,
        notifier=notifier,
        side_stages=side_stages,
    )


def _problem(runner: stateful.StatefulRunner, health: SinkHealth) -> str:
    if runner.failure is not None:
        return f"the worker is stopping: {runner.failure}"
    return health.reason()
