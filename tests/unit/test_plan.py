"""planning.plan's measured load: handle time per answered inquiry, concurrency per inquiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planning.errors import PlanningError
from planning.history import ObservedInterval
from planning.plan import measured_load

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
