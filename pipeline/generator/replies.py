"""Who answers a buyer and when: shifts, night backlog, slow tails and silent agents."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from pipeline.generator.clock import MINUTE, SECOND, in_service, next_service_start
from pipeline.generator.world import Agent, Shop

# The morning shift logs in a few minutes early and works through the night's backlog.
_EARLY_MS = 3 * MINUTE
_BACKLOG_MS = 6 * MINUTE
# Agents finish what they picked up before their shift ended.
_WRAP_UP_MS = 10 * MINUTE
# Chance that a colleague notices a waiting buyer and takes over from a silent agent.
_TAKEOVER_SHARE = 0.5


@dataclass(frozen=True)
class Reply:
    """The first human reply to an inquiry."""

    agent: Agent
    at: int
    # Someone other than the assigned agent answered (colleague, next shift).
    transferred: bool


def _morning(shop: Shop, ms: int, rng: Random) -> tuple[int, int]:
    """(service start, when the backlog reply goes out) for a buyer waiting since `ms`."""
    opening = next_service_start(ms, shop.offset_ms)
    return opening, opening - _EARLY_MS + int(rng.uniform(0, _BACKLOG_MS))


def first_reply(shop: Shop, assigned: Agent | None, opened: int, rng: Random) -> Reply | None:
    """When the inquiry opened at `opened` gets its first human answer, and from whom."""
    if in_service(opened, shop.offset_ms):
        staffed_at = start = opened
    else:
        staffed_at, start = _morning(shop, opened, rng)
    if assigned is not None and assigned.on_shift(staffed_at, shop.offset_ms):
        responder: Agent | None = assigned
    else:
        responder = shop.pick_agent(rng, staffed_at)
    if responder is None:
        return None
    at = start + responder.reply_delay_ms(rng, shop.load(staffed_at))
    if responder.silent(start) or responder.silent(at):
        responder, at = _wait_out_silence(shop, responder, start, at, rng)
    if not _still_there(shop, responder, max(at, staffed_at)):
        relief = shop.pick_responsive(rng, at, exclude=responder)
        if relief is None:
            staffed_at, at = _morning(shop, at, rng)
            relief = shop.pick_responsive(rng, staffed_at)
            if relief is None:
                return None
        else:
            at += int(rng.uniform(10 * SECOND, 60 * SECOND))
        responder = relief
    return Reply(responder, at, transferred=assigned is not None and responder is not assigned)


def _still_there(shop: Shop, agent: Agent, ms: int) -> bool:
    return agent.on_shift(ms, shop.offset_ms) or agent.on_shift(ms - _WRAP_UP_MS, shop.offset_ms)


def _wait_out_silence(
    shop: Shop, silent: Agent, start: int, at: int, rng: Random
) -> tuple[Agent, int]:
    """The buyer waits until the agent is back, unless a colleague takes over first."""
    moment = start if silent.silent(start) else at
    back = silent.silence_end(moment) + int(rng.uniform(20 * SECOND, 6 * MINUTE))
    colleague = shop.pick_responsive(rng, start, exclude=silent)
    takeover = start + int(rng.uniform(6 * MINUTE, 25 * MINUTE))
    if (
        colleague is not None
        and rng.random() < _TAKEOVER_SHARE
        and takeover < back
        and colleague.on_shift(takeover, shop.offset_ms)
    ):
        return colleague, takeover
    return silent, back
