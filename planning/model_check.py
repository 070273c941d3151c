"""How well the queueing model explains the past: predicted against observed reply rates.

For every past half hour with inquiries and agents on, the model (planning.erlang, with the
plan's handle time and concurrency) predicts the share answered within the target time for
the agents that were actually active; shop_intervals has the share that was. Both are
weighted by the half hour's inquiries, like any rate over a group (docs/metrics.md#staffing).
Only the 3- and 5-minute answer times are observed, so other targets are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planning.erlang import service_level
from planning.history import ObservedInterval
from planning.plan import MeasuredLoad


@dataclass(frozen=True, slots=True)
class ModelCheck:
    intervals: int
    predicted: float
    observed: float
    mean_abs_difference: float


def check_model(
    history: Sequence[ObservedInterval], load: MeasuredLoad, answer_seconds: int
) -> ModelCheck | None:
    """None when no past half hour had inquiries, agents and an observed rate at that time."""
    pairs = []
    for h in history:
        observed = {180: h.rate_3m, 300: h.rate_5m}.get(answer_seconds)
        if observed is None or h.active_agents == 0:
            continue
        predicted = service_level(
            h.active_agents, h.inquiries, load.handle_seconds, load.concurrency, answer_seconds
        )
        pairs.append((predicted, observed, h.inquiries))
    total = sum(n for _, _, n in pairs)
    if total == 0:
        return None
    return ModelCheck(
        len(pairs),
        sum(p * n for p, _, n in pairs) / total,
        sum(o * n for _, o, n in pairs) / total,
        sum(abs(p - o) * n for p, o, n in pairs) / total,
    )
