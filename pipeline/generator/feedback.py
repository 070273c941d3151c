"""Ratings and complaints at the end of a conversation; slow service makes both worse."""

from __future__ import annotations

from random import Random

from pipeline.generator import phrases
from pipeline.generator.chat import Conversation
from pipeline.generator.clock import HOUR, MINUTE, SECOND

_SLOW_MS = 5 * MINUTE
_SCORES = (1, 2, 3, 4, 5)
_HAPPY = (0.04, 0.02, 0.06, 0.18, 0.70)
_UNHAPPY = (0.25, 0.15, 0.20, 0.20, 0.20)


def wrap_up(
    conv: Conversation,
    rng: Random,
    end: int,
    *,
    rating_probability: float,
    complaint_probability: float,
    topic: str,
    order_id: str | None = None,
    rejected: bool = False,
) -> None:
    """Maybe a rating of the agent, maybe a complaint; `topic` picks the usual category."""
    slow = conv.longest_wait_ms > _SLOW_MS
    agent = conv.last_agent
    if agent is not None and rng.random() < rating_probability:
        named = agent.agent_id if rng.random() < 0.92 else None
        score = rng.choices(_SCORES, _UNHAPPY if slow else _HAPPY)[0]
        moment = end + int(rng.uniform(30 * SECOND, 30 * MINUTE))
        conv.out.rating(moment, conv.buyer_id, named, score)
    chance = complaint_probability * (8 if slow else 1) * (4 if rejected else 1)
    if rng.random() < min(chance, 1.0):
        if slow:
            category = "slow_reply"
        elif topic == "refund":
            category = "refund"
        else:
            category = rng.choice(phrases.COMPLAINT_CATEGORIES)
        moment = end + int(rng.uniform(5 * MINUTE, 6 * HOUR))
        named = agent.agent_id if agent else None
        conv.out.complaint(moment, conv.buyer_id, named, order_id, category)
