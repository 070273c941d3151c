"""What quality inspection is configured with: rules, patterns, shops, promotions.

Plain frozen dataclasses, so configuration can come from YAML, a settings model or a test;
`dictionary` loads them, `matcher.compile_rules` turns them into an immutable `Ruleset`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CRITICAL, WARNING, INFO = "critical", "warning", "info"
SEVERITIES = (CRITICAL, WARNING, INFO)
AGENT_CATEGORIES = (
    "off_platform",
    "abusive",
    "forbidden_claim",
    "unauthorised_promise",
    "vague_answer",
    "missed_promotion",
)
BUYER_CATEGORIES = ("complaint_threat", "buyer_abuse")
AGENT, BUYER = "agent", "buyer"


def side_of(category: str) -> str:
    """Which sender a category judges: agents (and bots) or buyers."""
    if category in AGENT_CATEGORIES:
        return AGENT
    if category in BUYER_CATEGORIES:
        return BUYER
    msg = f"unknown QC category {category!r}"
    raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Rule:
    """A word list: any of `terms` in a message is a finding of `category`."""

    rule_id: str
    category: str
    severity: str
    source: str
    terms: tuple[str, ...]
    # A term right after one of these (不会给差评) is not the threat it looks like.
    negations: tuple[str, ...] = ()
    shop_id: str = ""


@dataclass(frozen=True, slots=True)
class PatternRule:
    """An anchored regex: over digit runs, or tried right after one of the cue words."""

    rule_id: str
    category: str
    severity: str
    source: str
    pattern: str
    after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShrugRule:
    """`vague_answer`: a reply that, stripped of courtesy and particles, is only a shrug."""

    rule_id: str
    severity: str
    source: str
    replies: tuple[str, ...]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    question_cues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PromotionRule:
    """`missed_promotion`: what a price question sounds like and what naming an offer is."""

    rule_id: str
    severity: str
    source: str
    price_cues: tuple[str, ...]
    offer_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Promotion:
    """A shop's offer, active in [starts_at_ms, ends_at_ms); open ends are None."""

    name: str
    keywords: tuple[str, ...]
    starts_at_ms: int | None = None
    ends_at_ms: int | None = None

    def active(self, at_ms: int) -> bool:
        starts_ok = self.starts_at_ms is None or self.starts_at_ms <= at_ms
        return starts_ok and (self.ends_at_ms is None or at_ms < self.ends_at_ms)


@dataclass(frozen=True, slots=True)
class ShopQc:
    """One shop's additions: its own rules, its allow-list and its promotions."""

    shop_id: str
    rules: tuple[Rule, ...] = ()
    allow: tuple[str, ...] = ()
    promotions: tuple[Promotion, ...] = ()


@dataclass(frozen=True, slots=True)
class QcConfig:
    """Everything a `Ruleset` is compiled from."""

    rules: tuple[Rule, ...]
    patterns: tuple[PatternRule, ...]
    shrug: ShrugRule
    promotion: PromotionRule
    allow: tuple[str, ...] = ()
    traditional: Mapping[str, str] = field(default_factory=dict)
    substitutions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    shops: tuple[ShopQc, ...] = ()
