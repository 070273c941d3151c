"""Scoring rules of docs/metrics.md#kpi-score, as plain functions: the view `agent_scores` does the same in SQL.

- A metric scores 100 * (value - floor) / (target - floor), clamped to 0..100: linear
  between the floor (0) and the target (100), whichever way round they lie.
- The score is the weighted mean of the metrics that have a value. A metric without one
  (no ratings that day, no closed dispute in 30 days) is left out and the remaining weights
  are rescaled, so an agent is neither punished nor rewarded for an empty denominator.
- The coaching hint names the weakest scored metric: the lowest score, then the higher
  weight (it costs more), then the order of `core.kpi.metrics.METRICS`. An agent at the
  target on every scored metric gets none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from core.kpi.metrics import NAMES
from core.kpi.settings import Table

_ORDER = {name: i for i, name in enumerate(NAMES)}


def metric_score(value: float | None, floor: float, target: float) -> float | None:
    if value is None:
        return None
    share = (value - floor) / (target - floor)
    return 100.0 * min(1.0, max(0.0, share))


@dataclass(frozen=True, slots=True)
class MetricScore:
    metric: str
    value: float | None
    score: float | None
    weight: float


@dataclass(frozen=True, slots=True)
class Scorecard:
    score: float | None
    metrics: tuple[MetricScore, ...]
    weakest: str | None


def scorecard(values: Mapping[str, float | None], table: Table) -> Scorecard:
    """Score one agent's metric values with one role-and-stage table."""
    parts = tuple(
        MetricScore(
            name, values.get(name), metric_score(values.get(name), t.floor, t.target), t.weight
        )
        for name, t in sorted(table.items(), key=lambda item: _ORDER[item[0]])
    )
    scored = [p for p in parts if p.score is not None]
    if not scored:
        return Scorecard(None, parts, None)
    weight = math.fsum(p.weight for p in scored)
    total = math.fsum(p.weight * p.score for p in scored if p.score is not None) / weight
    weakest = min(scored, key=lambda p: (p.score, -p.weight, _ORDER[p.metric]))
    return Scorecard(total, parts, weakest.metric if (weakest.score or 0) < 100 else None)
