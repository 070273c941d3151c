"""The QC score (质检得分) of docs/metrics.md#quality-inspection, as pure functions.

qc_score = 100 - 100 x severity-weighted findings / replies, clamped to 0..100, over an
agent's human replies in a period. Buyer findings never count against an agent and bot
findings count for the shop, not an agent, so only findings on `agent` messages are weighed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Protocol

DEFAULT_WEIGHTS: Mapping[str, float] = {"critical": 10.0, "warning": 3.0, "info": 1.0}

AgentKey = tuple[str, str]  # shop_id, agent_id


class Scored(Protocol):
    """What scoring reads of a finding: a `Finding` or a `qc_findings` row."""

    @property
    def shop_id(self) -> str: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def severity(self) -> str: ...


def weighted_findings(
    findings: Iterable[Scored], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> float:
    """The severity-weighted count of the findings that count against an agent."""
    return sum(weights.get(f.severity, 0.0) for f in findings if f.sender == "agent")


def qc_score(
    findings: Iterable[Scored], replies: int, weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> float | None:
    """The score of one agent over one period; None when the agent sent no reply."""
    if replies <= 0:
        return None
    penalty = 100.0 * weighted_findings(findings, weights) / replies
    return min(100.0, max(0.0, 100.0 - penalty))


def agent_scores(
    findings: Iterable[Scored],
    replies: Mapping[AgentKey, int],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
) -> dict[AgentKey, float | None]:
    """Scores of every agent in `replies` for the period the arguments cover."""
    by_agent: dict[AgentKey, list[Scored]] = defaultdict(list)
    for finding in findings:
        by_agent[(finding.shop_id, finding.agent_id)].append(finding)
    return {key: qc_score(by_agent.get(key, ()), n, weights) for key, n in replies.items()}
