"""Batch reference of quality-inspection findings and scores (docs/metrics.md#quality-inspection).

Findings: every distinct chat message inspected once, in event order, through one
conversation memory; what the stream must store, whatever its batching, disorder within
the lateness, duplicates and restarts. Scores: per agent and shop-local day, from the
stored findings' definition, not from the views.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from agents.qc.context import Conversations
from agents.qc.dictionary import load_shops, reload
from agents.qc.findings import Finding, Message
from schemas.events import BaseEvent, ChatMessage

FindingKey = tuple[str, str, str, str]  # event_id, rule_id, category, matched


def messages(events: Iterable[BaseEvent]) -> list[Message]:
    """Distinct chat messages with text, in event order (ties in input order)."""
    unique = {e.event_id: e for e in events if isinstance(e, ChatMessage) and e.text}
    found = [
        Message(
            e.event_id, e.shop_id, e.buyer_id, e.agent_id or "", e.sender, e.occurred_at, e.text
        )
        for e in unique.values()
        if e.text
    ]
    return sorted(found, key=lambda m: m.occurred_at_ms)


def expected_findings(events: Iterable[BaseEvent], shops_file: Path | None) -> list[Finding]:
    rules = reload(shops=load_shops(shops_file) if shops_file else ())
    memory = Conversations()
    return [f for m in messages(events) for f in memory.inspect(m, rules)]


def keys(findings: Iterable[Finding]) -> list[FindingKey]:
    return sorted((f.event_id, f.rule_id, f.category, f.matched) for f in findings)


@dataclass(frozen=True)
class QcDay:
    """One agent's day: human replies, findings on them, their severity-weighted sum, score."""

    replies: int
    findings: int
    penalty: float
    score: float | None


def daily_scores(
    events: Iterable[BaseEvent],
    findings: Iterable[Finding],
    day_of: Callable[[str, int], date],
    weights: Mapping[Any, float],
) -> dict[tuple[str, str, date], QcDay]:
    """(shop, agent, day) -> QcDay, for agents who replied."""
    replies: Counter[tuple[str, str, date]] = Counter()
    for event in {e.event_id: e for e in events}.values():
        if isinstance(event, ChatMessage) and event.sender == "agent" and event.agent_id:
            replies[(event.shop_id, event.agent_id, day_of(event.shop_id, event.occurred_at))] += 1
    penalty: dict[tuple[str, str, date], float] = defaultdict(float)
    counted: Counter[tuple[str, str, date]] = Counter()
    for f in findings:
        if f.sender == "agent" and f.agent_id:
            key = (f.shop_id, f.agent_id, day_of(f.shop_id, f.occurred_at_ms))
            penalty[key] += weights.get(f.severity, 0.0)
            counted[key] += 1
    return {
        key: QcDay(n, counted[key], penalty[key], qc_score(penalty[key], n))
        for key, n in replies.items()
    }


def qc_score(penalty: float, replies: int) -> float | None:
    return None if replies == 0 else max(0.0, min(100.0, 100.0 - 100.0 * penalty / replies))
