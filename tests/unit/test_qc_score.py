"""The QC score of docs/metrics.md#quality-inspection against an independent batch reference."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.qc.findings import Finding
from agents.qc.score import DEFAULT_WEIGHTS, agent_scores, qc_score, weighted_findings


def finding(severity: str, sender: str = "agent", agent: str = "a1", shop: str = "s1") -> Finding:
    return Finding("e", shop, "b", agent, sender, 0, "abusive", severity, "r", "x")


def test_the_worked_example_of_metrics_md() -> None:
    findings = [finding("critical"), finding("info"), finding("info")]
    assert qc_score(findings, 250) == pytest.approx(95.2)


def test_no_replies_is_no_score_and_the_score_is_clamped() -> None:
    assert qc_score([finding("critical")], 0) is None
    assert qc_score([finding("critical")] * 20, 10) == 0.0
    assert qc_score([], 10) == 100.0


def test_buyer_and_bot_findings_never_count_against_an_agent() -> None:
    findings = [finding("critical", "buyer"), finding("critical", "bot"), finding("warning")]
    assert weighted_findings(findings) == 3.0


def test_weights_come_from_configuration() -> None:
    weights = {"critical": 5.0, "warning": 1.0, "info": 0.0}
    assert qc_score([finding("critical"), finding("info")], 100, weights) == 95.0


FINDINGS = st.lists(
    st.builds(
        finding,
        st.sampled_from(["critical", "warning", "info"]),
        st.sampled_from(["agent", "agent", "bot", "buyer"]),
        st.sampled_from(["a1", "a2", "a3"]),
        st.sampled_from(["s1", "s2"]),
    ),
    max_size=60,
)
REPLIES = st.dictionaries(
    st.tuples(st.sampled_from(["s1", "s2"]), st.sampled_from(["a1", "a2", "a3"])),
    st.integers(0, 400),
)


def reference(findings: list[Finding], replies: dict[tuple[str, str], int]) -> dict:
    """Counts first, weights after: a different route to the same definition."""
    counts = Counter((f.shop_id, f.agent_id, f.severity) for f in findings if f.sender == "agent")
    out: dict[tuple[str, str], float | None] = {}
    for (shop, agent), n in replies.items():
        weighted = sum(counts[(shop, agent, sev)] * w for sev, w in DEFAULT_WEIGHTS.items())
        out[(shop, agent)] = None if n == 0 else max(0.0, min(100.0, 100 - weighted * 100 / n))
    return out


@settings(max_examples=200, deadline=None)
@given(FINDINGS, REPLIES)
def test_scores_equal_the_batch_reference(findings: list[Finding], replies: dict) -> None:
    got = agent_scores(findings, replies)
    want = reference(findings, replies)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == (None if value is None else pytest.approx(value))
