"""Shops and their agents: shifts, reply skill and the silences injected by incidents."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random

from pipeline.generator.clock import (
    SERVICE_END_HOUR,
    SERVICE_START_HOUR,
    local_hour,
    to_ms,
    zone_offset_ms,
)
from pipeline.generator.config import GenConfig
from pipeline.generator.ids import agent_id, shop_id
from pipeline.generator.phrases import CATALOGS
from pipeline.generator.traffic import intensity

SHOP_ZONE = "Asia/Shanghai"
# Early and late shifts overlap in the afternoon; together they cover service hours.
_SHIFTS: tuple[tuple[int, int], ...] = ((8, 17), (14, 23), (8, 17), (14, 23), (9, 21))
# An idle-looking account gets this many times its share of new conversations.
_IDLE_PULL = 6.0


@dataclass
class Agent:
    """A human customer-service account and how fast it answers."""

    agent_id: str
    shift: tuple[int, int]
    median_seconds: float
    sigma: float
    tail_share: float
    silences: list[tuple[int, int]] = field(default_factory=list)

    def silent(self, ms: int) -> bool:
        return any(start <= ms < end for start, end in self.silences)

    def silence_end(self, ms: int) -> int:
        return max((end for start, end in self.silences if start <= ms < end), default=ms)

    def on_shift(self, ms: int, offset_ms: int) -> bool:
        # A silent account is still logged in: the dispatcher sees it as available.
        if self.silent(ms):
            return True
        start, end = self.shift
        return start <= local_hour(ms, offset_ms) < end

    def reply_delay_ms(self, rng: Random, load: float) -> int:
        """Most replies take 5-60 s; a tail (busy, looking something up) takes minutes."""
        if rng.random() < self.tail_share:
            seconds = rng.uniform(60.0, 420.0)
        else:
            seconds = rng.lognormvariate(math.log(self.median_seconds), self.sigma) * load
        return max(3_000, int(seconds * 1_000))


@dataclass
class Shop:
    """A store with its catalog, its agents and the shape of its source's payloads."""

    shop_id: str
    no: int
    offset_ms: int
    agents: list[Agent]
    catalog: tuple[tuple[str, int], ...]
    # Some connectors leave out null and default fields; both shapes are legal.
    compact: bool

    def staffed(self, ms: int) -> list[Agent]:
        return [agent for agent in self.agents if agent.on_shift(ms, self.offset_ms)]

    def load(self, ms: int) -> float:
        """Reply-delay multiplier: more buyers per agent on duty means slower replies."""
        staff = max(len(self.staffed(ms)), 1)
        return 0.8 + 0.6 * intensity(local_hour(ms, self.offset_ms)) / staff

    def pick_agent(self, rng: Random, ms: int, exclude: Agent | None = None) -> Agent | None:
        """The dispatcher's choice among agents on duty, favouring idle-looking accounts."""
        staff = [agent for agent in self.staffed(ms) if agent is not exclude]
        if not staff:
            return None
        weights = [_IDLE_PULL if agent.silent(ms) else 1.0 for agent in staff]
        return rng.choices(staff, weights)[0]

    def pick_responsive(self, rng: Random, ms: int, exclude: Agent | None = None) -> Agent | None:
        """An agent on duty who is actually there (a colleague taking over)."""
        staff = [a for a in self.staffed(ms) if a is not exclude and not a.silent(ms)]
        return rng.choice(staff) if staff else None


def _shift(index: int, count: int) -> tuple[int, int]:
    if count == 1:
        return SERVICE_START_HOUR, SERVICE_END_HOUR
    return _SHIFTS[index % len(_SHIFTS)]


def build_shop(config: GenConfig, index: int, rng: Random) -> Shop:
    sid = shop_id(index)
    agents = []
    for j in range(config.agents_per_shop):
        aid = agent_id(sid, j)
        silences = [
            (to_ms(incident.start), to_ms(incident.end))
            for incident in config.incidents
            if incident.kind == "silent_agent" and incident.agent_id == aid
        ]
        agents.append(
            Agent(
                agent_id=aid,
                shift=_shift(j, config.agents_per_shop),
                median_seconds=rng.uniform(10.0, 30.0),
                sigma=rng.uniform(0.55, 0.9),
                tail_share=rng.uniform(0.02, 0.06),
                silences=silences,
            )
        )
    return Shop(
        shop_id=sid,
        no=index + 1,
        offset_ms=zone_offset_ms(SHOP_ZONE, config.start),
        agents=agents,
        catalog=CATALOGS[index % len(CATALOGS)],
        compact=index % 2 == 1,
    )
