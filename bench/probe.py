"""When rows become visible in the store: a wrapper around one Store's `insert`.

The pipeline's BatchWriters call `store.insert(table, columns, rows, token)` from their
sink threads; once it returns, the rows are queryable. The probe records, after that
return, the wall time at which each inquiry was first stored (with its `opened_at`) and
each alert state change (with its evaluation point `event_time` and `raised_at`). No
pipeline code changes: the attribute is replaced on the store object of this process.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sinks.store import Store


def _ms(moment: datetime | int) -> int:
    """Epoch ms of a time column: the stateful stage's rows carry ints, the alerts' datetimes."""
    return moment if isinstance(moment, int) else round(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class StoredAlert:
    rule: str
    event_ms: int  # the evaluation point (event time)
    raised_ms: int  # wall time at which the alarm agent evaluated it
    stored_ms: int


@dataclass
class StoredProbe:
    store: Store
    inquiries: dict[str, tuple[int, int]] = field(default_factory=dict)  # id: (opened, stored)
    alerts: dict[tuple[str, str, int], StoredAlert] = field(default_factory=dict)

    def install(self) -> None:
        inner = self.store.insert

        def insert(
            table: str,
            columns: Sequence[str],
            rows: Sequence[Sequence[Any]],
            dedup_token: str | None = None,
        ) -> None:
            inner(table, columns, rows, dedup_token)
            if table == "inquiries":
                self._inquiries(columns, rows)
            elif table == "alerts":
                self._alerts(columns, rows)

        self.store.insert = insert  # type: ignore[method-assign]

    def _inquiries(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        stored = int(time.time() * 1000)
        key, opened = columns.index("inquiry_id"), columns.index("opened_at")
        seen = self.inquiries
        for row in rows:
            if row[key] not in seen:
                seen[row[key]] = (_ms(row[opened]), stored)

    def _alerts(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        stored = int(time.time() * 1000)
        at = {name: columns.index(name) for name in ("alert_id", "state", "rule")}
        event, raised = columns.index("event_time"), columns.index("raised_at")
        for row in rows:
            event_ms = _ms(row[event])
            key = (row[at["alert_id"]], row[at["state"]], event_ms)
            if key not in self.alerts:
                self.alerts[key] = StoredAlert(row[at["rule"]], event_ms, _ms(row[raised]), stored)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by nearest rank; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return float(ordered[rank])
