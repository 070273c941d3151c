"""One chat message in, its QC findings out (docs/metrics.md#quality-inspection).

A finding quotes the original span it matched, never the whole message. A message yields at
most one finding per rule, keyed (event_id, rule_id), so a replayed message produces the same
rows and the deduplicating table keeps one of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.qc.matcher import Hit, RuleInfo, Ruleset, Scan
from agents.qc.model import AGENT, BUYER
from agents.qc.normalise import Trace

# Senders QC judges, and which rules judge them; `system` lines are not inspected.
SIDES = {"agent": AGENT, "bot": AGENT, "buyer": BUYER}


@dataclass(slots=True)
class Message:
    """The fields of a chat message (docs/events.md) that QC reads.

    Not frozen: one is built per message, and a frozen dataclass's __init__ costs several
    times a plain one's (bench.qc_cost). A buyer message's inspection needs no context, so
    the stage may make it on arrival (`inspection`) while the message waits for event time."""

    event_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    sender: str
    occurred_at_ms: int
    text: str
    inspection: Inspection | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of `qc_findings`."""

    event_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    sender: str
    occurred_at_ms: int
    category: str
    severity: str
    rule_id: str
    matched: str


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """What an agent reply answers; the default judges a reply as an answer to a question."""

    question: bool = True
    price_cue: str | None = None


@dataclass(slots=True)
class Inspection:
    """The findings of a message and what it asks, for the conversation memory; never changed
    once made (not frozen: one is built per buyer message)."""

    findings: tuple[Finding, ...]
    question: bool = False
    price_cue: str | None = None


ALONE = ReplyContext()
_NOTHING = Inspection(())


def examine(
    msg: Message, rules: Ruleset, context: ReplyContext = ALONE, found: Scan | None = None
) -> Inspection:
    """Findings of `msg` under `rules`, plus whether a buyer asked a (price) question;
    `found` is the scan of a buyer message made already under the same `rules`."""
    side = SIDES.get(msg.sender)
    if side is None or not msg.text:
        return _NOTHING
    if found is None or side != BUYER:
        found = rules.scan(msg.text, msg.shop_id, side)
    if side == BUYER:
        cue = found.price_cue
        price = found.text[cue[0] : cue[1]] if cue else None
        findings = _quote(msg, rules, found) if found.hits else ()
        return Inspection(findings, found.question or price is not None, price)
    if found.shrug and context.question and (span := rules.shrug_span(found)):
        found.hits.append(Hit(rules.shrug_rule, *span))
    missed = context.price_cue is not None and _missed_offer(msg, rules, found)
    if not (found.hits or missed):
        return _NOTHING
    findings = _quote(msg, rules, found) if found.hits else ()
    if missed:
        findings += (_finding(msg, rules.promotion_rule, context.price_cue or ""),)
    return Inspection(findings)


def inspect(msg: Message, rules: Ruleset, context: ReplyContext = ALONE) -> list[Finding]:
    """The findings of one message; see `examine`."""
    return list(examine(msg, rules, context).findings)


def _missed_offer(msg: Message, rules: Ruleset, found: Scan) -> bool:
    return not found.offer and bool(rules.active_promotions(msg.shop_id, msg.occurred_at_ms))


def _quote(msg: Message, rules: Ruleset, found: Scan) -> tuple[Finding, ...]:
    trace: Trace | None = rules.normalise.trace(msg.text)
    if trace is not None and trace.text != found.text:
        # The traced stages disagree with the fast ones: quote folded text, never a wrong span.
        trace = None
    findings: list[Finding] = []
    seen: set[str] = set()
    for hit in sorted(found.hits, key=lambda h: (h.start, -h.end)):
        if hit.rule.rule_id not in seen:
            seen.add(hit.rule.rule_id)
            span = trace.quote(hit.start, hit.end) if trace else found.text[hit.start : hit.end]
            findings.append(_finding(msg, hit.rule, span))
    return tuple(findings)


def _finding(msg: Message, rule: RuleInfo, matched: str) -> Finding:
    return Finding(
        event_id=msg.event_id,
        shop_id=msg.shop_id,
        buyer_id=msg.buyer_id,
        agent_id=msg.agent_id,
        sender=msg.sender,
        occurred_at_ms=msg.occurred_at_ms,
        category=rule.category,
        severity=rule.severity,
        rule_id=rule.rule_id,
        matched=matched,
    )
