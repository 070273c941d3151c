"""One shop's traffic, an hour at a time: who arrives, what they want, and orders without chat."""

from __future__ import annotations

from collections import deque
from random import Random

from pipeline.generator import sessions
from pipeline.generator.chat import Conversation
from pipeline.generator.config import GenConfig
from pipeline.generator.events import EventFactory
from pipeline.generator.feedback import wrap_up
from pipeline.generator.orders import basket, place_order
from pipeline.generator.traffic import arrivals, day_factor
from pipeline.generator.world import Agent

# Buyers who come back (a second question, a delivery check) find their last agent.
_RETURNING = 0.15
_LOGISTICS = 0.12
_ORDER_FIRST = 0.10


class ShopSimulation:
    """Spawns the conversations and silent orders of one shop, slot by slot."""

    def __init__(self, config: GenConfig, out: EventFactory, rng: Random) -> None:
        self._config = config
        self._out = out
        self._rng = rng
        # (buyer, agent, busy until): bounded, so memory does not grow with the days.
        self._recent: deque[tuple[str, Agent | None, int]] = deque(maxlen=400)

    def run_slot(self, start: int, end: int) -> None:
        shop, rng, config = self._out.shop, self._rng, self._config
        # An hour slot lies within one local day (zones are whole hours from UTC).
        days = day_factor(
            start, shop.offset_ms, config.weekly, frozenset(config.promotion_days),
            config.promotion_multiplier,
        )  # fmt: skip
        for t0 in arrivals(rng, config.buyers_per_shop_day * days, start, end, shop.offset_ms):
            self._conversation(t0)
        silent_orders = config.orders_without_chat_per_shop_day
        for t0 in arrivals(rng, silent_orders, start, end, shop.offset_ms):
            _, fen = basket(rng, shop.catalog)
            place_order(self._out, rng, self._out.mint.buyer_id(), t0, fen)

    def _buyer(self, t0: int) -> tuple[str, Agent | None]:
        shop = self._out.shop
        if self._recent and self._rng.random() < _RETURNING:
            buyer, agent, busy_until = self._rng.choice(self._recent)
            if busy_until < t0:
                if agent is not None and agent.on_shift(t0, shop.offset_ms):
                    return buyer, agent
                return buyer, shop.pick_agent(self._rng, t0)
        return self._out.mint.buyer_id(), shop.pick_agent(self._rng, t0)

    def _conversation(self, t0: int) -> None:
        rng, config = self._rng, self._config
        buyer, agent = self._buyer(t0)
        conv = Conversation(self._out, rng, buyer, agent, config.bot_share)
        draw = rng.random()
        if draw < config.refund_probability:
            outcome = sessions.aftersale(conv, rng, t0)
        elif draw < config.refund_probability + _LOGISTICS:
            outcome = sessions.logistics(conv, rng, t0)
        elif draw < config.refund_probability + _LOGISTICS + _ORDER_FIRST:
            outcome = sessions.order_first(conv, rng, t0)
        else:
            outcome = sessions.presale(conv, rng, t0, config.order_probability)
        wrap_up(
            conv,
            rng,
            outcome.end,
            rating_probability=config.rating_probability,
            complaint_probability=config.complaint_probability,
            topic=outcome.topic,
            order_id=outcome.order_id,
            rejected=outcome.rejected,
        )
        self._recent.append((buyer, conv.assigned, max(outcome.end, conv.clock)))
