"""planning.erlang against values worked out by hand (and one textbook table value)."""

from __future__ import annotations

import math

import pytest

from planning.erlang import erlang_c, offered_load, required_agents, service_level
from planning.errors import PlanningError


def test_erlang_c_by_hand() -> None:
    # One server at load 0.5 is M/M/1: an arrival waits with probability rho.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    # Two servers, one Erlang: (A^2/2! * 2/(2-1)) / (1 + A + A^2/2! * 2/(2-1)) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # Three servers, one Erlang: (1/6 * 3/2) / (1 + 1 + 1/2 + 1/4) = 1/11.
    assert erlang_c(3, 1.0) == pytest.approx(1 / 11)
    # The textbook case: 10 Erlangs on 12 servers wait 44.94 % of the time.
    assert erlang_c(12, 10.0) == pytest.approx(0.4494, abs=5e-5)


def test_a_queue_at_or_over_capacity_always_waits() -> None:
    assert erlang_c(2, 2.0) == 1.0
    assert erlang_c(2, 3.5) == 1.0
    assert erlang_c(3, 0.0) == 0.0


def test_erlang_c_stays_finite_for_large_floors() -> None:
    assert 0 < erlang_c(400, 380.0) < 1


def test_offered_load() -> None:
    # 10 inquiries in half an hour, 180 s handling each: one chat in progress on average.
    assert offered_load(10, 180, 1800) == pytest.approx(1.0)


def test_service_level_by_hand() -> None:
    # 10 inquiries, 180 s handle (A = 1), target 180 s = the handle time, so the exponent is
    # -(m - A): with one agent carrying two chats, 1 - (1/3) e^-1.
    assert service_level(1, 10, 180, 2.0, 180) == pytest.approx(1 - math.exp(-1) / 3)
    # Concurrency 2.5 still makes two whole chat slots.
    assert service_level(1, 10, 180, 2.5, 180) == pytest.approx(1 - math.exp(-1) / 3)
    # Two agents of one chat each are the same two servers.
    assert service_level(2, 10, 180, 1.0, 180) == pytest.approx(1 - math.exp(-1) / 3)
    # Three servers: 1 - (1/11) e^-2.
    assert service_level(3, 10, 180, 1.0, 180) == pytest.approx(1 - math.exp(-2) / 11)
    # A measured concurrency under 1 counts as one chat per agent.
    assert service_level(1, 5, 180, 0.4, 180) == pytest.approx(1 - 0.5 * math.exp(-0.5))


def test_service_level_edges() -> None:
    assert service_level(0, 10, 180, 1.0, 180) == 0.0
    assert service_level(1, 10, 180, 1.0, 180) == 0.0  # A = m = 1: the queue never clears
    assert service_level(1, 0, 180, 1.0, 180) == 1.0
    assert service_level(1, 10, 0, 1.0, 180) == 1.0


def test_required_agents_by_hand() -> None:
    # Service levels for 10 inquiries at 180 s: 1 agent 0, 2 agents 0.877, 3 agents 0.988.
    assert required_agents(10, 180, 1.0, 0.80, 180) == 2
    assert required_agents(10, 180, 1.0, 0.90, 180) == 3
    assert required_agents(10, 180, 2.0, 0.80, 180) == 1
    assert required_agents(0, 180, 1.0) == 0
    assert required_agents(0.2, 0, 1.0) == 1


def test_required_agents_grow_with_arrivals_and_shrink_with_concurrency() -> None:
    by_arrivals = [required_agents(a, 240, 1.5) for a in (10, 40, 160, 640)]
    assert by_arrivals == sorted(by_arrivals)
    assert by_arrivals[0] < by_arrivals[-1]
    assert required_agents(160, 240, 3.0) < required_agents(160, 240, 1.0)


def test_an_impossible_interval_says_so() -> None:
    with pytest.raises(PlanningError, match="more than"):
        required_agents(1e9, 1800, 1.0)
