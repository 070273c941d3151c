"""The pipeline side of a run: settings for a bench worker, a start barrier, the first event.

A worker process imports everything and migrates its store before it says READY, then
waits for GO on stdin, so that several workers join their consumer groups together and
the clock, started at the first raw event ingest reads, times only the stream.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agents.ingest.metrics import EVENTS_IN
from bench.measure import GO, READY, Meter
from core.settings import KefuSettings, ShopSettings
from core.topics import topics_for
from pipeline.demo import demo_settings
from pipeline.runtime import Running, store_for

_POLL_SECONDS = 0.005
LIVE_EVAL_SECONDS = 10


def worker_settings(
    bootstrap: str, prefix: str, workdir: Path, partitions: int, *, live: bool = False
) -> KefuSettings:
    """Settings of one bench worker; `live` for traffic stamped with the wall clock."""
    settings = KefuSettings(
        kafka_bootstrap=bootstrap,
        home=workdir / "home",
        store_path=workdir / "store",
        app_id=prefix,
        topic_prefix=prefix,
        partitions=partitions,
    )
    if not live:
        return settings
    # Live traffic may come at night where the shops are: round the clock, as the demo runs;
    # and evaluation points every LIVE_EVAL_SECONDS, so a short run meets several of them.
    settings = demo_settings(settings)
    shop = settings.shop_defaults.model_copy(update={"eval_every_seconds": LIVE_EVAL_SECONDS})
    return settings.model_copy(update={"shop_defaults": ShopSettings(**shop.model_dump())})


async def prepare(settings: KefuSettings) -> None:
    """Migrate the store once, so that `running()` only re-checks it."""
    async with store_for(settings, serve_http=False):
        pass


def barrier() -> None:
    """READY on stdout, then block until the harness writes GO."""
    say(READY)
    line = sys.stdin.readline().strip()
    if line != GO:
        msg = f"expected {GO} from the harness, got {line!r}"
        raise RuntimeError(msg)


def events_in(settings: KefuSettings) -> int:
    """Raw messages ingest has read so far: its Prometheus counter over our raw topics."""
    raw = set(topics_for(settings).raw_all)
    return int(
        sum(
            sample.value
            for metric in EVENTS_IN.collect()
            for sample in metric.samples
            if sample.name.endswith("_total") and sample.labels.get("topic") in raw
        )
    )


async def joined(run: Running) -> None:
    """Until the faust app finished a rebalance and ingest's consumer has partitions."""
    app = run.pipeline.app
    ingest = run.pipeline.ingest._consumer  # noqa: SLF001 - no public view of its assignment
    while app.rebalancing or not app.rebalancing_count or not (ingest and ingest.assignment()):
        await asyncio.sleep(0.1)
        ingest = run.pipeline.ingest._consumer  # noqa: SLF001


def say(word: str) -> None:
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


async def hear() -> str:
    return (await asyncio.to_thread(sys.stdin.readline)).strip()


async def start_on_first_event(meter: Meter, settings: KefuSettings) -> None:
    """Start the meter when ingest has read its first poll."""
    while True:
        seen = events_in(settings)
        if seen:
            meter.start(seen)
            return
        await asyncio.sleep(_POLL_SECONDS)
