"""What the planner reads from the store: a shop's observed half hours (shop_intervals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sinks.store import Store

HISTORY_SQL = """
SELECT interval_start, inquiries, answered, handle_seconds, concurrency, active_agents,
    rate_3m, rate_5m
FROM shop_intervals
WHERE shop_id = {shop:String} AND business_date >= {first:Date} AND business_date < {start:Date}
ORDER BY interval_start
"""


@dataclass(frozen=True, slots=True)
class ObservedInterval:
    """One row of shop_intervals, as much of it as the planner uses."""

    interval_start: datetime
    inquiries: int
    answered: int
    handle_seconds: float | None
    concurrency: float | None
    active_agents: int = 0
    rate_3m: float | None = None
    rate_5m: float | None = None


def read_history(store: Store, shop_id: str, start: date, days: int) -> list[ObservedInterval]:
    """The shop's half hours of the `days` business days before `start`."""
    params = {"shop": shop_id, "first": start - timedelta(days=days), "start": start}
    return [ObservedInterval(*row) for row in store.query(HISTORY_SQL, params).rows]
