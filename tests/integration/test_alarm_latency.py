"""Delay from an alarm's evaluation to the webhook request, on live-paced traffic.

Traffic is generated with a silent agent and replayed at wall-clock pace (event time is
now), so waiting-buyer warnings come every evaluation. Two delays per alert:
- from its evaluation (`raised_at`, wall clock) to the request at the receiver: the
  alarm agent, the alerts topic and the notifier;
- from its evaluation point t (event time, here equal to wall time) to the request: all of
  the above plus how far event time trails the newest event (`lateness_seconds`, ingest
  alignment and the stateful stage's flush interval).

`python -m tests.integration.test_alarm_latency SECONDS` runs a longer measurement on an
embedded Tansu broker and prints the percentiles as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.settings import KefuSettings
from core.topics import topics_for
from pipeline.embedded_broker import TansuBroker
from pipeline.generator import GenConfig, Incident, generate, paced
from pipeline.raw_producer import RawSender, raw_producer
from pipeline.runtime import running
from tests.integration.prom_fixtures import Receiver, alert_delays, percentiles, receiver

__all__ = ["receiver"]
pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# 10:00 in Shanghai: agents on shift; the traffic is re-stamped to now anyway.
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SILENT = Incident("s1", "s1-a1", START, START + timedelta(hours=1))
GRACE_SECONDS = 60.0


def live_settings(bootstrap: str, home: Path, name: str, hook: str, lateness: int) -> KefuSettings:
    return KefuSettings(
        kafka_bootstrap=bootstrap, home=home, store_path=home / "store", app_id=name,
        topic_prefix=name, lateness_seconds=lateness,
        # Short evaluation period and warning age so a short run raises many alerts; hours
        # round the clock because "now" may be night in Shanghai.
        shop_defaults={"eval_every_seconds": 5, "warn_after_seconds": 10,
                       "service_start": "00:00:00", "service_end": "23:59:59.999999"},
        notify={"channels": {"hook": {"kind": "webhook", "url": hook}},
                "routes": [{"channels": ["hook"]}]},
    )  # fmt: skip


async def measure(
    bootstrap: str, home: Path, receiver: Receiver, seconds: float, lateness: int
) -> dict[str, Any]:
    name = f"kefu-lat-{uuid.uuid4().hex[:8]}"
    settings = live_settings(bootstrap, home, name, receiver.url("/hook"), lateness)
    # Dense traffic: every events partition hears from a buyer within a second or two, so
    # no quiet source holds the consumer's event time back.
    # The generator sorts its whole span before the first event, which takes seconds on a
    # loaded machine: the span is kept near the run's, and the run's clock starts at the
    # first event sent, so a slow start cannot eat the live traffic.
    config = GenConfig(seed=9, start=START, days=(seconds + GRACE_SECONDS + 60) / 86_400,
                       shops=2, buyers_per_shop_day=150_000, incidents=[SILENT])  # fmt: skip
    async with running(settings) as run:
        producer = raw_producer(run.bootstrap)
        await producer.start()
        sender = RawSender(producer, topics_for(settings))
        stop_at: float | None = None
        try:
            async for item in paced(generate(config)):
                stop_at = stop_at or time.monotonic() + seconds
                if _done(stop_at, receiver):
                    break
                await (
                    sender.send_line(item) if isinstance(item, bytes) else sender.send_event(item)
                )
        finally:
            await producer.stop()
        # Let the last evaluation points before the end of traffic come through.
        await asyncio.sleep(settings.lateness_seconds + 5)
    received = receiver.at("/hook")
    from_event_time = [r.at - r.body["alert"]["event_time"] / 1000 for r in received]
    return {
        "from_evaluation": percentiles(alert_delays(received)),
        "from_event_time": percentiles(from_event_time),
        "lateness_seconds": settings.lateness_seconds,
    }


def _done(stop_at: float, receiver: Receiver) -> bool:
    """Past the run's length, once an alert came; a loaded worker that is still behind gets
    up to GRACE_SECONDS more of live traffic, as its evaluation points need event time to
    move on past them."""
    now = time.monotonic()
    return now > stop_at and (bool(receiver.at("/hook")) or now > stop_at + GRACE_SECONDS)


async def test_alerts_reach_the_webhook_on_live_traffic(
    tansu_broker: TansuBroker, tmp_path: Path, receiver: Receiver
) -> None:
    """Delivery, not speed: the delays are measured by `__main__` (BENCHMARKS.md)."""
    result = await measure(tansu_broker.bootstrap, tmp_path, receiver, seconds=25.0, lateness=5)
    print(json.dumps(result))
    assert result["from_evaluation"]["n"] >= 1
    assert min(alert_delays(receiver.at("/hook"))) >= 0, "a request before its evaluation"


async def _main(seconds: float) -> None:
    lateness = KefuSettings.model_fields["lateness_seconds"].default
    with tempfile.TemporaryDirectory() as home, TansuBroker(log_dir=Path(home)) as broker:
        hook = await Receiver().start()
        try:
            result = await measure(broker.bootstrap, Path(home), hook, seconds, lateness)
            print(json.dumps(result))
        finally:
            await hook.stop()


if __name__ == "__main__":
    asyncio.run(_main(float(sys.argv[1]) if len(sys.argv) > 1 else 300.0))
