"""One automaton pass plus anchored patterns over a folded message.

Every literal the rules need (violation terms, cue words for ids and links, allow-listed
words, price cues, offer words, shrug candidates, question cues) lives in one Aho-Corasick
automaton, tagged with what it means, its shop and the sender side it judges; a message is
scanned once. Number patterns run only on text with a digit; id and link patterns only right
after their cue word. A `Ruleset` is immutable: reloading builds a new one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ahocorasick_rs import AhoCorasick, MatchKind

from agents.qc.model import AGENT, BUYER, PatternRule, Promotion, QcConfig, side_of
from agents.qc.normalise import DEFAULT_SUBSTITUTIONS, Normaliser

_HIT, _CUE, _ALLOW, _PRICE, _OFFER, _SHRUG, _QUESTION = range(7)
_ANY = ""
_HAS_DIGIT = re.compile("[0-9]").search
_PUNCT = "\\s,.!?~:;'\"()\\-…，。！？、：；“”‘’（）【】《》·•^_" + "\U0001f300-\U0001faff"
_EMOJI_CODE = r"\[[^\[\]]{1,6}\]"
# A shrug is short: longer replies are never compared with the shrug list.
_SHRUG_SLACK = 16

Tag = tuple[int, int, str, str]  # kind, index, shop_id (or any), side (or any)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a finding names: its rule, category and severity."""

    rule_id: str
    category: str
    severity: str
    side: str
    negations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's match over the folded text [start, end)."""

    rule: RuleInfo
    start: int
    end: int


@dataclass(slots=True)
class Scan:
    """What one pass over a folded message found, allow-listed hits already removed."""

    text: str
    hits: list[Hit] = field(default_factory=list)
    question: bool = False
    price_cue: tuple[int, int] | None = None
    offer: bool = False
    shrug: bool = False


@dataclass(frozen=True, slots=True)
class _Anchored:
    rule: RuleInfo
    regex: re.Pattern[str]


class Ruleset:
    """A compiled, immutable dictionary: scan messages with it; replace it to reload."""

    __slots__ = (
        "normalise",
        "shrug_rule",
        "promotion_rule",
        "rule_ids",
        "_ac",
        "_tags",
        "_infos",
        "_anchored",
        "_digit_rules",
        "_shrugs",
        "_trim",
        "_shrug_max",
        "_promotions",
    )

    def __init__(self, config: QcConfig) -> None:
        subs = {**DEFAULT_SUBSTITUTIONS, **config.substitutions}
        self.normalise = Normaliser(config.traditional, subs)
        shrug, promo = config.shrug, config.promotion
        self.shrug_rule = RuleInfo(shrug.rule_id, "vague_answer", shrug.severity, AGENT)
        self.promotion_rule = RuleInfo(promo.rule_id, "missed_promotion", promo.severity, AGENT)
        terms: dict[str, list[Tag]] = defaultdict(list)
        self._anchored: list[_Anchored] = []
        self._digit_rules: dict[str, list[_Anchored]] = {AGENT: [], BUYER: []}
        self.rule_ids = self._add_rules(config, terms)
        self._add_context_words(config, terms)
        self._shrugs = frozenset(self._folded(shrug.replies))
        self._shrug_max = max(map(len, self._shrugs), default=0) + _SHRUG_SLACK
        self._trim = _trimmer(self._folded(shrug.openers), self._folded(shrug.closers))
        self._promotions = {s.shop_id: s.promotions for s in config.shops if s.promotions}
        self._tags = tuple(tuple(tags) for tags in terms.values())
        self._ac = AhoCorasick(list(terms), matchkind=MatchKind.Standard)

    def _folded(self, words: Sequence[str]) -> list[str]:
        folded = [self.normalise(w) for w in words]
        if not all(folded):
            msg = f"a dictionary word folds to nothing in {list(words)!r}"
            raise ValueError(msg)
        return folded

    def _add_rules(self, config: QcConfig, terms: dict[str, list[Tag]]) -> frozenset[str]:
        seen = {self.shrug_rule.rule_id, self.promotion_rule.rule_id}
        rules = (*config.rules, *(r for shop in config.shops for r in shop.rules))
        for rule_id in [r.rule_id for r in rules] + [p.rule_id for p in config.patterns]:
            if rule_id in seen:
                msg = f"rule_id {rule_id!r} is defined twice"
                raise ValueError(msg)
            seen.add(rule_id)
        infos: list[RuleInfo] = []
        for rule in rules:
            side = side_of(rule.category)
            negations = tuple(self._folded(rule.negations))
            infos.append(RuleInfo(rule.rule_id, rule.category, rule.severity, side, negations))
            for term in self._folded(rule.terms):
                terms[term].append((_HIT, len(infos) - 1, rule.shop_id, side))
        self._infos = tuple(infos)
        for pattern in config.patterns:
            self._add_pattern(pattern, terms)
        return frozenset(seen)

    def _add_pattern(self, rule: PatternRule, terms: dict[str, list[Tag]]) -> None:
        info = RuleInfo(rule.rule_id, rule.category, rule.severity, side_of(rule.category))
        try:
            anchored = _Anchored(info, re.compile(rule.pattern))
        except re.error as exc:
            msg = f"pattern {rule.rule_id!r} does not compile: {exc}"
            raise ValueError(msg) from exc
        if not rule.after:
            self._digit_rules[info.side].append(anchored)
            return
        self._anchored.append(anchored)
        for cue in self._folded(rule.after):
            terms[cue].append((_CUE, len(self._anchored) - 1, _ANY, info.side))

    def _add_context_words(self, config: QcConfig, terms: dict[str, list[Tag]]) -> None:
        groups: list[tuple[Sequence[str], int, str, str]] = [
            (config.allow, _ALLOW, _ANY, _ANY),
            (config.promotion.price_cues, _PRICE, _ANY, BUYER),
            (config.promotion.offer_words, _OFFER, _ANY, AGENT),
            (config.shrug.replies, _SHRUG, _ANY, AGENT),
            (config.shrug.question_cues, _QUESTION, _ANY, BUYER),
        ]
        for shop in config.shops:
            groups.append((shop.allow, _ALLOW, shop.shop_id, _ANY))
            keywords = [k for p in shop.promotions for k in p.keywords]
            groups.append((keywords, _OFFER, shop.shop_id, AGENT))
        for words, kind, shop_id, side in groups:
            for word in self._folded(words):
                terms[word].append((kind, 0, shop_id, side))

    def scan(self, text: str, shop_id: str, side: str) -> Scan:
        """Fold `text` and find what the rules for `side` in `shop_id` see in it."""
        folded = self.normalise(text)
        found = Scan(folded)
        allowed: list[tuple[int, int]] = []
        if matches := self._ac.find_matches_as_indexes(folded, overlapping=True):
            for index, start, end in matches:
                for kind, ref, shop, rule_side in self._tags[index]:
                    if (shop and shop != shop_id) or (rule_side and rule_side != side):
                        continue
                    if kind == _QUESTION:
                        found.question = True
                    elif kind == _ALLOW:
                        allowed.append((start, end))
                    else:
                        self._note(found, kind, ref, start, end)
        if _HAS_DIGIT(folded):
            for anchored in self._digit_rules[side]:
                for m in anchored.regex.finditer(folded):
                    found.hits.append(Hit(anchored.rule, *m.span()))
        if allowed and found.hits:
            found.hits = [h for h in found.hits if not _overlaps(h, allowed)]
        return found

    def _note(self, found: Scan, kind: int, ref: int, start: int, end: int) -> None:
        if kind == _HIT:
            rule = self._infos[ref]
            if not (rule.negations and found.text.endswith(rule.negations, 0, start)):
                found.hits.append(Hit(rule, start, end))
        elif kind == _CUE:
            anchored = self._anchored[ref]
            if m := anchored.regex.match(found.text, end):
                found.hits.append(Hit(anchored.rule, start, m.end()))
        elif kind == _PRICE:
            found.price_cue = found.price_cue or (start, end)
        elif kind == _OFFER:
            found.offer = True
        else:
            found.shrug = True

    def shrug_span(self, found: Scan) -> tuple[int, int] | None:
        """The folded span of the shrug when the whole reply is only one."""
        if not found.shrug or len(found.text) > self._shrug_max:
            return None
        m = self._trim.fullmatch(found.text)
        return m.span(1) if m and m.group(1) in self._shrugs else None

    def active_promotions(self, shop_id: str, at_ms: int) -> tuple[Promotion, ...]:
        return tuple(p for p in self._promotions.get(shop_id, ()) if p.active(at_ms))


def _overlaps(hit: Hit, allowed: list[tuple[int, int]]) -> bool:
    return any(a < hit.end and hit.start < b for a, b in allowed)


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _trimmer(openers: list[str], closers: list[str]) -> re.Pattern[str]:
    noise = f"[{_PUNCT}]|{_EMOJI_CODE}"
    head = f"(?:{_alternatives(openers)}|{noise})*" if openers else f"(?:{noise})*"
    tail = f"(?:{_alternatives(closers)}|{noise})*" if closers else f"(?:{noise})*"
    return re.compile(f"{head}(.+?){tail}")


def compile_rules(config: QcConfig) -> Ruleset:
    """An immutable `Ruleset` from configuration; raises ValueError on a bad entry."""
    return Ruleset(config)
