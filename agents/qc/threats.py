"""Buyer complaint threats for the escalation rules, from QC's `complaint_threat` category.

One dictionary serves both: what quality inspection finds as a threat (with its per-shop
additions, allow-lists and negations such as 不会给差评) is what opens an escalation. When
both run, one scan serves both too: the escalation part scans a buyer message first and
leaves the scan in `BatchScans`, where QC's part takes it when it inspects that batch.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.qc.matcher import Ruleset, Scan
from agents.qc.model import BUYER

COMPLAINT_THREAT = "complaint_threat"
ThreatFinder = Callable[[str, str], list[str]]  # (shop_id, text) -> the threats it holds


class BatchScans:
    """Buyer scans of the batch being applied, by (shop_id, text) and the ruleset they used."""

    __slots__ = ("_scans",)

    def __init__(self) -> None:
        self._scans: dict[tuple[str, str], tuple[Ruleset, Scan]] = {}

    def scan(self, rules: Ruleset, shop_id: str, text: str) -> Scan:
        found = rules.scan(text, shop_id, BUYER)
        self._scans[(shop_id, text)] = (rules, found)
        return found

    def take(self, rules: Ruleset, shop_id: str, text: str) -> Scan | None:
        """The scan kept for this buyer text under `rules`, if the batch made one."""
        kept = self._scans.get((shop_id, text))
        return kept[1] if kept is not None and kept[0] is rules else None

    def clear(self) -> None:
        self._scans.clear()


def complaint_threats(rules: Ruleset, shop_id: str, text: str) -> list[str]:
    """The folded spans of the threats in a buyer's text, in order, each once; a span inside
    a longer one (举报你 in 举报你们) is the same threat."""
    return threats_in(rules.scan(text, shop_id, BUYER))


def threats_in(found: Scan) -> list[str]:
    spans: list[str] = []
    reached = -1
    for hit in sorted(found.hits, key=lambda h: (h.start, -h.end)):
        span = found.text[hit.start : hit.end]
        if hit.rule.category == COMPLAINT_THREAT and hit.end > reached and span not in spans:
            spans.append(span)
            reached = hit.end
    return spans


def threat_finder(rules: Callable[[], Ruleset], scans: BatchScans | None = None) -> ThreatFinder:
    """A finder that always reads the rules in force (they reload live); with `scans`, it
    keeps each scan there for QC's part (which clears them once per batch)."""
    if scans is None:
        return lambda shop_id, text: complaint_threats(rules(), shop_id, text)
    return lambda shop_id, text: threats_in(scans.scan(rules(), shop_id, text))
