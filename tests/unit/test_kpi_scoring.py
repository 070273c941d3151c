"""Scoring rules of docs/metrics.md#kpi-score: clamped linear interpolation, weighted mean, coaching hint."""

from __future__ import annotations

import pytest

from core.kpi.settings import DEFAULT_WEIGHTS, KpiSettings, MetricTarget
from tests.reference.kpi_scoring import metric_score, scorecard


@pytest.mark.parametrize(
    ("value", "floor", "target", "score"),
    [
        (0.30, 0.10, 0.50, 50.0),  # halfway
        (0.10, 0.10, 0.50, 0.0),  # at the floor
        (0.50, 0.10, 0.50, 100.0),  # at the target
        (0.05, 0.10, 0.50, 0.0),  # below the floor: clamped
        (0.90, 0.10, 0.50, 100.0),  # above the target: clamped
        (70.0, 120.0, 20.0, 50.0),  # lower is better: floor above target
        (10.0, 120.0, 20.0, 100.0),
        (300.0, 120.0, 20.0, 0.0),
    ],
)
def test_metric_score_interpolates_and_clamps(
    value: float, floor: float, target: float, score: float
) -> None:
    assert metric_score(value, floor, target) == pytest.approx(score)


def test_no_value_no_score() -> None:
    assert metric_score(None, 0.1, 0.5) is None


def test_score_is_the_weighted_sum() -> None:
    table = KpiSettings().table("presale", "launch")
    card = scorecard(
        {"response_speed": 70.0, "conversion_rate": 0.5, "positive_rating_rate": 0.6}, table
    )
    # 0.3 * 50 + 0.4 * 100 + 0.3 * 0
    assert card.score == pytest.approx(55.0)
    assert [(p.metric, p.score, p.weight) for p in card.metrics] == [
        ("response_speed", pytest.approx(50.0), 0.3),
        ("conversion_rate", pytest.approx(100.0), 0.4),
        ("positive_rating_rate", pytest.approx(0.0), 0.3),
    ]
    assert card.weakest == "positive_rating_rate"


def test_metrics_without_a_value_leave_the_weights_rescaled() -> None:
    table = KpiSettings().table("presale", "launch")
    card = scorecard({"response_speed": 70.0, "conversion_rate": 0.5}, table)
    # (0.3 * 50 + 0.4 * 100) / 0.7
    assert card.score == pytest.approx(55.0 / 0.7)
    assert card.weakest == "response_speed"


def test_nothing_to_score() -> None:
    card = scorecard({}, KpiSettings().table("aftersale", "steady"))
    assert (card.score, card.weakest) == (None, None)
    assert all(p.score is None for p in card.metrics)


def test_coaching_ties_go_to_the_heavier_then_the_earlier_metric() -> None:
    table = {
        "response_speed": MetricTarget(weight=0.25, floor=120, target=20),
        "conversion_rate": MetricTarget(weight=0.5, floor=0.1, target=0.5),
        "positive_rating_rate": MetricTarget(weight=0.25, floor=0.6, target=0.95),
    }
    everything_at_zero = {
        "response_speed": 500.0,
        "conversion_rate": 0.0,
        "positive_rating_rate": 0.0,
    }
    assert scorecard(everything_at_zero, table).weakest == "conversion_rate"
    no_conversion = {"response_speed": 500.0, "positive_rating_rate": 0.0}
    assert scorecard(no_conversion, table).weakest == "response_speed"


def test_nothing_to_coach_at_target() -> None:
    table = KpiSettings().table("presale", "launch")
    card = scorecard(
        {"response_speed": 10.0, "conversion_rate": 0.6, "positive_rating_rate": 1.0}, table
    )
    assert (card.score, card.weakest) == (100.0, None)


def test_the_weakest_metric_maps_to_its_training_topic() -> None:
    kpi = KpiSettings()
    table = kpi.table("presale", "launch")
    slow = scorecard(
        {"response_speed": 300.0, "conversion_rate": 0.4, "positive_rating_rate": 0.9}, table
    )
    assert "conversation drills" in kpi.topic(slow.weakest or "")
    unsold = scorecard(
        {"response_speed": 15.0, "conversion_rate": 0.05, "positive_rating_rate": 0.9}, table
    )
    assert "cross-selling" in kpi.topic(unsold.weakest or "")


def test_defaults_follow_metrics_md() -> None:
    presale = DEFAULT_WEIGHTS["presale"]["launch"]
    assert {m: t["weight"] for m, t in presale.items()} == {
        "response_speed": 0.30,
        "conversion_rate": 0.40,
        "positive_rating_rate": 0.30,
    }
    aftersale = DEFAULT_WEIGHTS["aftersale"]["steady"]
    assert {m: t["weight"] for m, t in aftersale.items()} == {
        "dispute_resolution_rate": 0.50,
        "complaint_rate": 0.30,
        "refund_speed": 0.20,
    }
    steady = DEFAULT_WEIGHTS["presale"]["steady"]
    assert steady["conversion_rate"]["weight"] < presale["conversion_rate"]["weight"]
    assert {"avg_order_value", "repeat_purchase_rate"} <= set(steady)
