"""Erlang C adapted to concurrent chats: how many agents an interval needs (docs/metrics.md#staffing).

Arrivals over the interval and the mean handle time give the offered load
A = arrivals / interval × handle (in Erlangs). N agents each carrying c chats at once act as
m = floor(N × c) servers of one queue, and the share of inquiries answered within T is

    service level = 1 − C(m, A) × exp(−(m − A) × T / handle)

with C(m, A) the Erlang-C probability that an inquiry waits at all (1 when m ≤ A: the queue
grows without bound). C comes from the Erlang-B recursion, which stays exact for hundreds of
servers where the textbook sum of A^k / k! overflows.

Written here rather than taken from pyworkforce: its releases that support Python 3.11
(up to 0.5.1) pull in OR-Tools for their scheduling half, and its ErlangC counts servers as
whole agents, with no way to give an agent several chats at once; the formula is a dozen
lines.
"""

from __future__ import annotations

import math

from planning.errors import PlanningError

INTERVAL_SECONDS = 1800
MAX_AGENTS = 10_000


def offered_load(arrivals: float, handle_seconds: float, interval_seconds: int) -> float:
    """Erlangs: the chats in progress on average if every inquiry were taken at once."""
    return arrivals / interval_seconds * handle_seconds


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits, with `servers` servers and `load` Erlangs."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    blocking = 1.0  # Erlang B with 0 servers
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return servers * blocking / (servers - load * (1 - blocking))


def service_level(
    agents: int,
    arrivals: float,
    handle_seconds: float,
    concurrency: float,
    answer_seconds: float,
    interval_seconds: int = INTERVAL_SECONDS,
) -> float:
    """Share of the interval's inquiries answered within `answer_seconds` by `agents` agents.

    A concurrency under 1 (agents idle part of the half hour) counts as 1: an agent can
    always carry one chat. Without handle time nothing waits for a busy agent.
    """
    if arrivals <= 0:
        return 1.0
    if agents <= 0:
        return 0.0
    if handle_seconds <= 0:
        return 1.0
    servers = math.floor(agents * max(concurrency, 1.0))
    load = offered_load(arrivals, handle_seconds, interval_seconds)
    waiting = erlang_c(servers, load)
    if waiting >= 1.0:
        return 0.0
    return 1.0 - waiting * math.exp(-(servers - load) * answer_seconds / handle_seconds)


def required_agents(
    arrivals: float,
    handle_seconds: float,
    concurrency: float,
    target_rate: float = 0.80,
    answer_seconds: float = 180,
    interval_seconds: int = INTERVAL_SECONDS,
) -> int:
    """The fewest agents whose service level reaches `target_rate`; 0 without arrivals."""
    if arrivals <= 0:
        return 0
    for agents in range(1, MAX_AGENTS + 1):
        level = service_level(
            agents, arrivals, handle_seconds, concurrency, answer_seconds, interval_seconds
        )
        if level >= target_rate:
            return agents
    msg = f"more than {MAX_AGENTS} agents for {arrivals} inquiries in {interval_seconds} s"
    raise PlanningError(msg)
