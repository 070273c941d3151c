"""The entry point: a configuration in, a stream of events in delivery order out."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from pipeline.generator import qc_day
from pipeline.generator.clock import to_ms
from pipeline.generator.config import GenConfig
from pipeline.generator.delivery import Delivery, Line
from pipeline.generator.events import EventFactory
from pipeline.generator.ids import Mint, run_tag
from pipeline.generator.simulation import ShopSimulation
from pipeline.generator.traffic import hour_slots
from pipeline.generator.world import build_shop


def generate(config: GenConfig) -> Iterator[Line]:
    """Events (dicts) and, when `malformed_rate` > 0, broken lines (bytes), streamed.

    Works an hour at a time: every shop's arrivals in the hour are simulated, then all
    buffered events before the hour's end are released. Only conversations still
    running and lifecycle steps scheduled for later (shipping, refunds) stay buffered.
    """
    tag = run_tag(*config.world_key())
    start_ms, end_ms = to_ms(config.start), to_ms(config.end)
    # Separate random streams: delivery noise never changes the events themselves, and
    # one shop's incident never changes another shop's traffic.
    delivery = Delivery(config, Random(f"{config.seed}:delivery"), tag)
    shops = []
    for index in range(config.shops):
        rng = Random(f"{config.seed}:shop{index}")
        shop = build_shop(config, index, rng)
        out = EventFactory(
            shop,
            Mint(tag, index + 1),
            Random(f"{config.seed}:shop{index}:format"),
            delivery.push,
            end_ms,
            config.epoch_ms_share,
        )
        shops.append(ShopSimulation(config, out, rng))
    for line in qc_day.planted(config, tag) if config.qc_conversations else ():
        delivery.push(line.occurred_at_ms, qc_day.event(line))
    for slot_start, slot_end in hour_slots(start_ms, end_ms):
        for simulation in shops:
            simulation.run_slot(slot_start, slot_end)
        yield from delivery.release(slot_end)
    yield from delivery.release()
