"""Buyer complaint threats for the escalation rules, from QC's `complaint_threat` category.

One dictionary serves both: what quality inspection finds as a threat (with its per-shop
additions, allow-lists and negations such as 不会给差评) is what opens an escalation.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.qc.matcher import Ruleset
from agents.qc.model import BUYER

COMPLAINT_THREAT = "complaint_threat"
ThreatFinder = Callable[[str, str], list[str]]  # (shop_id, text) -> the threats it holds


def complaint_threats(rules: Ruleset, shop_id: str, text: str) -> list[str]:
    """The folded spans of the threats in a buyer's text, in order, each once; a span inside
    a longer one (举报你 in 举报你们) is the same threat."""
    found = rules.scan(text, shop_id, BUYER)
    spans: list[str] = []
    reached = -1
    for hit in sorted(found.hits, key=lambda h: (h.start, -h.end)):
        span = found.text[hit.start : hit.end]
        if hit.rule.category == COMPLAINT_THREAT and hit.end > reached and span not in spans:
            spans.append(span)
            reached = hit.end
    return spans


def threat_finder(rules: Callable[[], Ruleset]) -> ThreatFinder:
    """A finder that always reads the rules in force (they reload live)."""
    return lambda shop_id, text: complaint_threats(rules(), shop_id, text)
