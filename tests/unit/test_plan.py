"""planning.plan's measured load (handle time per answered inquiry, concurrency per inquiry)
and planning.model_check's predicted against observed reply rates."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from planning.errors import PlanningError
from planning.history import ObservedInterval
from planning.model_check import check_model
from planning.plan import MeasuredLoad, measured_load

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_half_hours_weigh_by_their_inquiries() -> None:
    history = [
        ObservedInterval(AT, 10, 9, 100.0, 2.0),
        ObservedInterval(AT, 2, 1, 10.0, 1.0),
        ObservedInterval(AT, 0, 0, None, 0.5),  # an agent at work, no inquiry: no weight
        ObservedInterval(AT, 3, 0, None, None),  # nothing answered, nobody active
    ]
    load = measured_load(history)
    assert load.handle_seconds == pytest.approx((9 * 100 + 1 * 10) / 10)
    assert load.concurrency == pytest.approx((10 * 2.0 + 2 * 1.0) / 12)


def test_without_answers_there_is_no_handle_time() -> None:
    with pytest.raises(PlanningError, match="no answered inquiries"):
        measured_load([ObservedInterval(AT, 3, 0, None, None)])


def test_the_model_check_weighs_half_hours_by_inquiries() -> None:
    load = MeasuredLoad(handle_seconds=180, concurrency=1.0)
    history = [
        # 10 inquiries, 2 agents: 1 - e^-1 / 3 predicted (tests/unit/test_erlang.py), 0.7 seen.
        ObservedInterval(AT, 10, 10, 180.0, 1.0, active_agents=2, rate_3m=0.7),
        # 5 inquiries, 1 agent: 1 - 0.5 e^-0.5 predicted, 0.9 seen.
        ObservedInterval(AT, 5, 5, 180.0, 1.0, active_agents=1, rate_3m=0.9),
        ObservedInterval(AT, 4, 0, None, None, active_agents=0, rate_3m=0.0),  # nobody on
    ]
    check = check_model(history, load, 180)
    assert check is not None
    two, one = 1 - math.exp(-1) / 3, 1 - 0.5 * math.exp(-0.5)
    assert check.intervals == 2
    assert check.predicted == pytest.approx((10 * two + 5 * one) / 15)
    assert check.observed == pytest.approx((10 * 0.7 + 5 * 0.9) / 15)
    assert check.mean_abs_difference == pytest.approx((10 * (two - 0.7) + 5 * (0.9 - one)) / 15)
    assert check_model(history, load, 240) is None  # no observed 4-minute rate
