"""The pieces of the view reference (tests/reference/views.py) that carry a definition."""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reference.aftersales import BuyerDayRef, sales_days
from tests.reference.views import quantile_exact_inclusive

seconds = st.floats(min_value=0, max_value=1e5, allow_nan=False)


def test_quantiles_by_hand() -> None:
    values = [250.0, 10.0, 100.0, 40.0, 20.0]
    assert quantile_exact_inclusive(values, 0.5) == 40.0
    assert quantile_exact_inclusive(values, 0.9) == pytest.approx(190.0)  # 100 + 0.6 * 150
    assert quantile_exact_inclusive([7.0], 0.9) == 7.0
    assert quantile_exact_inclusive([], 0.5) is None


@given(st.lists(seconds, min_size=2, max_size=50))
def test_quantiles_are_the_inclusive_method(values: list[float]) -> None:
    """PERCENTILE.INC, R-7: what ClickHouse's quantileExactInclusive computes."""
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert quantile_exact_inclusive(values, 0.9) == pytest.approx(deciles[8], abs=1e-6)
    assert quantile_exact_inclusive(values, 0.5) == pytest.approx(
        statistics.median(values), abs=1e-6
    )


def day(buyer: str, on: int, order: str | None, agent: str = "") -> BuyerDayRef:
    amount = None if order is None else Decimal("10.00")
    return BuyerDayRef(
        "s1", buyer, date(2026, 11, on), 0, 1, 0, 0, 0,
        int(order is not None), order, None, amount, agent,
    )  # fmt: skip


def test_an_order_converting_two_buyer_days_sells_once_on_the_last() -> None:
    days = [day("b1", 23, "o1", "a1"), day("b1", 24, "o1", "a2"), day("b2", 23, None)]
    [sale] = sales_days(days)
    assert (sale.business_date, sale.conversion_agent_id) == (date(2026, 11, 24), "a2")
