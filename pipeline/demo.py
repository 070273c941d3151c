"""Demo traffic for `kefu run --demo`: a generated business day, paced to the wall clock.

The day starts at 10:00 shop-local so agents are on shift, and its timestamps are moved to
now. Because now may be night where the shops are, the demo runs the shops with service
hours around the clock; otherwise every demo inquiry would wait for 08:00.
"""

from __future__ import annotations

import asyncio
import logging
import time as wall
from datetime import UTC, datetime, time, timedelta

from core.settings import KefuSettings, ShopSettings
from core.topics import topics_for
from pipeline.generator import GenConfig, Incident, generate, paced, qc_day
from pipeline.generator.ids import agent_id, shop_id
from pipeline.generator.pacing import in_thread
from pipeline.raw_producer import RawSender, raw_producer

log = logging.getLogger(__name__)

SHOPS = 4
# Measured on generated days: chat, orders, refunds and feedback per consulting buyer.
EVENTS_PER_BUYER = 16
# Conversations a day with planted QC findings: one every few seconds of a live demo, so the
# Quality board fills while you watch (a small share of the demo's buyers).
QC_CONVERSATIONS = 5000
ROUND_THE_CLOCK = {"service_start": time(0, 0), "service_end": time(23, 59, 59, 999999)}
# 10:00 in Shanghai on a fixed day; the generator's shifts and peaks follow local time.
DEMO_DAY_START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def demo_settings(settings: KefuSettings) -> KefuSettings:
    defaults = settings.shop_defaults.model_copy(update=ROUND_THE_CLOCK)
    shops = {k: v.model_copy(update=ROUND_THE_CLOCK) for k, v in settings.shops.items()}
    return settings.model_copy(
        update={"shop_defaults": ShopSettings(**defaults.model_dump()), "shops": shops}
    )


def demo_qc(settings: KefuSettings, rate_per_second: float) -> KefuSettings:
    """The demo shops' QC files (allow-lists, promotions, a script library) under home,
    unless QC files are configured: the Quality board then has scripts to rank."""
    qc = settings.qc
    if qc.shops_file is not None or qc.scripts_file is not None:
        return settings
    folder = settings.home / "demo-qc"
    folder.mkdir(parents=True, exist_ok=True)
    config = demo_config(rate_per_second)
    shops, scripts = folder / "qc-shops.yaml", folder / "scripts.yaml"
    shops.write_text(qc_day.shops_yaml(config), encoding="utf-8")
    scripts.write_text(qc_day.scripts_yaml(config), encoding="utf-8")
    update = {"shops_file": shops, "scripts_file": scripts}
    return settings.model_copy(update={"qc": qc.model_copy(update=update)})


def demo_config(rate_per_second: float) -> GenConfig:
    """Enough buyers for about `rate_per_second` events, and one agent who goes silent."""
    buyers = rate_per_second * 86_400 / (EVENTS_PER_BUYER * SHOPS)
    first_shop = shop_id(0)
    silent = Incident(
        shop_id=first_shop,
        agent_id=agent_id(first_shop, 0),
        start=DEMO_DAY_START + timedelta(minutes=3),
        end=DEMO_DAY_START + timedelta(minutes=18),
    )
    # A new seed each run mints new event ids: a restarted demo is new traffic, not duplicates.
    return GenConfig(
        seed=int(wall.time()),
        start=DEMO_DAY_START,
        days=1.0,
        shops=SHOPS,
        buyers_per_shop_day=buyers,
        incidents=[silent],
        qc_conversations=QC_CONVERSATIONS,
    )


async def feed_demo(
    bootstrap: str, settings: KefuSettings, rate: float, stop: asyncio.Event
) -> None:
    producer = raw_producer(bootstrap)
    await producer.start()
    sender = RawSender(producer, topics_for(settings))
    try:
        async for item in paced(in_thread(generate(demo_config(rate)))):
            if stop.is_set():
                break
            if isinstance(item, bytes):
                await sender.send_line(item)
            else:
                await sender.send_event(item)
    finally:
        await producer.stop()
        log.info("demo fed %d events", sender.events)
