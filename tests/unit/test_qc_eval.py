"""Precision and recall of quality inspection on the planted evaluation set (issue 18 targets).

Every line of `pipeline.generator.qc_plant` is inspected in event order through the
conversation memory, as the stream stage will; a category counts as found on a line when any
finding of it is. The figures are printed per category for all lines, for lines in forms the
dictionary was written from (`seen`) and for composed forms it was not (`held_out`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from agents.qc.context import Conversations
from agents.qc.dictionary import load_config, reload
from agents.qc.findings import Message
from agents.qc.model import AGENT_CATEGORIES, BUYER_CATEGORIES, Promotion, ShopQc
from pipeline.generator.qc_plant import HELD_OUT, SHOPS, PlantedLine, PlantShop, plant

TARGETS = {c: (0.95, 0.98) for c in (*AGENT_CATEGORIES, *BUYER_CATEGORIES)}
TARGETS |= {"vague_answer": (0.90, 0.95), "missed_promotion": (0.90, 0.95)}
SLICES = ("all", "seen", HELD_OUT)
MIN_POSITIVES = 30


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def shop_config(shop: PlantShop) -> ShopQc:
    promotion = Promotion(shop.promotion[0], shop.promotion, None, shop.promotion_ends_ms)
    return ShopQc(shop.shop_id, allow=(shop.brand, shop.hotline), promotions=(promotion,))


def message(line: PlantedLine) -> Message:
    return Message(
        line.event_id, line.shop_id, line.buyer_id, line.agent_id, line.sender,
        line.occurred_at_ms, line.text,
    )  # fmt: skip


def evaluate(lines: list[PlantedLine]) -> dict[tuple[str, str], Score]:
    rules = reload(shops=[shop_config(s) for s in SHOPS])
    memory = Conversations()
    scores: dict[tuple[str, str], Score] = {}
    for line in lines:
        found = {f.category for f in memory.inspect(message(line), rules)}
        for category in TARGETS:
            for name in ("all", line.form):
                score = scores.setdefault((category, name), Score())
                score.tp += category in found and category in line.labels
                score.fp += category in found and category not in line.labels
                score.fn += category not in found and category in line.labels
    return scores


def table(scores: dict[tuple[str, str], Score]) -> str:
    rows = [f"{'category':22} {'slice':9} {'planted':>7} {'recall':>7} {'precision':>9}"]
    for (category, name), s in sorted(scores.items()):
        rows.append(f"{category:22} {name:9} {s.tp + s.fn:7d} {s.recall:7.1%} {s.precision:9.1%}")
    return "\n".join(rows)


@pytest.fixture(scope="module")
def scores() -> dict[tuple[str, str], Score]:
    return evaluate(plant())


def test_report(scores: dict[tuple[str, str], Score], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\nQC on the planted set (seed 18)\n" + table(scores))


@pytest.mark.parametrize("category", list(TARGETS))
@pytest.mark.parametrize("name", SLICES)
def test_meets_the_targets(scores: dict[tuple[str, str], Score], category: str, name: str) -> None:
    recall_target, precision_target = TARGETS[category]
    s = scores[(category, name)]
    assert s.tp + s.fn >= MIN_POSITIVES, "too few planted lines to measure"
    assert s.recall >= recall_target, table(scores)
    assert s.precision >= precision_target, table(scores)


def test_the_set_is_reproducible_and_holds_clean_near_misses() -> None:
    assert plant(3, 200) == plant(3, 200)
    assert plant(3, 200) != plant(4, 200)
    lines = plant()
    clean = Counter(line.form for line in lines if not line.labels)
    assert clean["seen"] > 1000 and clean[HELD_OUT] > 1000


def test_held_out_lines_are_found_by_folding_not_by_their_own_entries() -> None:
    config = load_config()
    terms = [t for r in config.rules for t in r.terms]
    numbers = [re.compile(p.pattern) for p in config.patterns if not p.after]
    held = [ln for ln in plant() if ln.form == HELD_OUT and ln.labels - {"missed_promotion"}]
    verbatim = sum(
        any(t in ln.text for t in terms) or any(p.search(ln.text) for p in numbers) for ln in held
    )
    assert verbatim / len(held) < 0.35, f"{verbatim} of {len(held)} held-out lines match raw"
