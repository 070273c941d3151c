"""The QC dictionary from YAML, and `reload` into a new immutable `Ruleset`.

Hot reload is swapping a reference: `reload` compiles a complete new `Ruleset` and the stream
stage replaces the one it holds, so a message is always inspected by one consistent version.
Bad configuration raises `ValueError` naming the entry; the old `Ruleset` stays in use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from agents.qc.matcher import Ruleset, compile_rules
from agents.qc.model import (
    SEVERITIES,
    PatternRule,
    Promotion,
    PromotionRule,
    QcConfig,
    Rule,
    ShopQc,
    ShrugRule,
    side_of,
)

DEFAULT_PATH = Path(__file__).with_name("default_rules.yaml")


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        msg = f"{where}: expected a list of strings"
        raise ValueError(msg)
    return tuple(str(v) for v in value)


def _severity(entry: Mapping[str, Any], where: str) -> str:
    severity = str(entry.get("severity", ""))
    if severity not in SEVERITIES:
        msg = f"{where}: severity must be one of {SEVERITIES}, got {severity!r}"
        raise ValueError(msg)
    return severity


def _rule(entry: Mapping[str, Any], shop_id: str = "") -> Rule:
    where = f"rule {entry.get('rule_id')!r}"
    side_of(str(entry.get("category")))
    return Rule(
        rule_id=str(entry["rule_id"]),
        category=str(entry["category"]),
        severity=_severity(entry, where),
        source=str(entry["source"]),
        terms=_strs(entry["terms"], where),
        negations=_strs(entry.get("negations", []), where),
        shop_id=shop_id,
    )


def _pattern(entry: Mapping[str, Any]) -> PatternRule:
    where = f"pattern {entry.get('rule_id')!r}"
    side_of(str(entry.get("category")))
    return PatternRule(
        rule_id=str(entry["rule_id"]),
        category=str(entry["category"]),
        severity=_severity(entry, where),
        source=str(entry["source"]),
        pattern=str(entry["pattern"]),
        after=_strs(entry.get("after", []), where),
    )


def _epoch_ms(value: Any, where: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        msg = f"{where}: a time needs its UTC offset, got {value!r}"
        raise ValueError(msg)
    return int(moment.timestamp() * 1000)


def _promotion(entry: Mapping[str, Any], where: str) -> Promotion:
    return Promotion(
        name=str(entry["name"]),
        keywords=_strs(entry.get("keywords", [entry["name"]]), where),
        starts_at_ms=_epoch_ms(entry.get("starts_at"), where),
        ends_at_ms=_epoch_ms(entry.get("ends_at"), where),
    )


def parse_shops(data: Mapping[str, Any]) -> tuple[ShopQc, ...]:
    """`{shop_id: {rules: [...], allow: [...], promotions: [...]}}` as `ShopQc`s."""
    shops = []
    for shop_id, entry in data.items():
        where = f"shop {shop_id!r}"
        shops.append(
            ShopQc(
                shop_id=str(shop_id),
                rules=tuple(_rule(r, str(shop_id)) for r in entry.get("rules", [])),
                allow=_strs(entry.get("allow", []), where),
                promotions=tuple(_promotion(p, where) for p in entry.get("promotions", [])),
            )
        )
    return tuple(shops)


def _pairs(text: str) -> dict[str, str]:
    pairs = text.split()
    if any(len(p) != 2 for p in pairs):
        msg = "traditional: expected pairs of one traditional and one simplified character"
        raise ValueError(msg)
    return {p[0]: p[1] for p in pairs}


def parse_config(data: Mapping[str, Any]) -> QcConfig:
    """A `QcConfig` from the mapping a YAML file holds (see default_rules.yaml)."""
    vague, promo = data["vague"], data["promotion"]
    return QcConfig(
        rules=tuple(_rule(r) for r in data.get("rules", [])),
        patterns=tuple(_pattern(p) for p in data.get("patterns", [])),
        shrug=ShrugRule(
            rule_id=str(vague["rule_id"]),
            severity=_severity(vague, "vague"),
            source=str(vague["source"]),
            replies=_strs(vague["replies"], "vague.replies"),
            openers=_strs(vague.get("openers", []), "vague.openers"),
            closers=_strs(vague.get("closers", []), "vague.closers"),
            question_cues=_strs(vague.get("question_cues", []), "vague.question_cues"),
        ),
        promotion=PromotionRule(
            rule_id=str(promo["rule_id"]),
            severity=_severity(promo, "promotion"),
            source=str(promo["source"]),
            price_cues=_strs(promo["price_cues"], "promotion.price_cues"),
            offer_words=_strs(promo["offer_words"], "promotion.offer_words"),
        ),
        allow=_strs(data.get("allow", []), "allow"),
        traditional=_pairs(str(data.get("traditional", ""))),
        substitutions={
            str(k): _strs(v, f"substitutions.{k}")
            for k, v in (data.get("substitutions") or {}).items()
        },
        shops=parse_shops(data.get("shops") or {}),
    )


def _read(path: Path) -> Mapping[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        msg = f"{path}: expected a mapping at the top"
        raise ValueError(msg)
    return data


def load_config(path: Path | None = None, shops: Iterable[ShopQc] = ()) -> QcConfig:
    """The dictionary at `path` (the shipped defaults when None) plus shop additions."""
    config = parse_config(_read(path or DEFAULT_PATH))
    extra = tuple(shops)
    if not extra:
        return config
    mine = {s.shop_id for s in extra}
    kept = tuple(s for s in config.shops if s.shop_id not in mine)
    return replace(config, shops=kept + extra)


def load_shops(path: Path) -> tuple[ShopQc, ...]:
    """A shops file: `shops: {shop_id: {...}}`."""
    return parse_shops(_read(path).get("shops") or {})


def reload(path: Path | None = None, shops: Iterable[ShopQc] = ()) -> Ruleset:
    """A new immutable `Ruleset`; the caller swaps its reference to it."""
    return compile_rules(load_config(path, shops))
