"""A labelled evaluation set for quality inspection (docs/metrics.md#quality-inspection).

`plant(seed)` writes short conversations in which some lines carry planted violations or
threats, each line labelled with the categories it should raise, beside clean lines that look
close (order and courier numbers, the shop's allow-listed hotline and brand, 最 and 第一 in
ordinary use, a price question answered with the offer). Every line has a `form`: `seen`
lines use phrases as the dictionary was written from; `held_out` lines are composed by
`qc_forms` (separators, full-width, numerals, homophones, mixed scripts) and were not.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.generator import qc_forms as forms
from pipeline.generator import qc_texts as texts

START_MS = 1_795_392_000_000  # 2026-11-24T00:00:00+08:00
SEEN, HELD_OUT = "seen", "held_out"


@dataclass(frozen=True, slots=True)
class PlantShop:
    """A shop of the set: its allow-listed brand and hotline, and its promotion if any."""

    shop_id: str
    brand: str
    hotline: str
    promotion: tuple[str, ...] = ()
    promotion_ends_ms: int | None = None


@dataclass(frozen=True, slots=True)
class PlantedLine:
    """One chat line and the QC categories it should raise (empty for a clean line)."""

    event_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    sender: str
    occurred_at_ms: int
    text: str
    labels: frozenset[str]
    form: str


SHOPS = (
    PlantShop("qc-s1", "顶级厨房", "400-820-8820", ("满99减10", "满减")),
    PlantShop("qc-s2", "极品茶园", "13912345678", ("第二件半价", "半价")),
    PlantShop("qc-s3", "最生活", "0571-88886666", ("新人券",), promotion_ends_ms=START_MS),
)

Turn = tuple[str, str, frozenset[str]]  # sender, text, labels
Scene = Callable[[random.Random, PlantShop, bool], list[Turn]]
_NONE: frozenset[str] = frozenset()


def _label(*categories: str) -> frozenset[str]:
    return frozenset(categories)


def _agent_says(rng: random.Random, phrase: str, held_out: bool) -> str:
    return rng.choice(texts.AGENT_CARRIERS).format(
        forms.disguise(rng, phrase) if held_out else phrase
    )


def _question(rng: random.Random) -> Turn:
    return ("buyer", rng.choice(texts.QUESTIONS), _NONE)


def _contact(rng: random.Random, held_out: bool) -> str:
    if not held_out:
        return rng.choice(texts.CONTACT_SEEN).format(
            wx=forms.wechat_id(rng), qq=forms.qq_number(rng), phone=forms.mobile(rng)
        )
    kind = rng.randrange(3)
    if kind == 0:
        ident = forms.disguised_id(rng, forms.wechat_id(rng))
        cue = forms.add_word(rng) + forms.wechat_word(rng)
        return cue + rng.choice(("：", ":", " ", "")) + ident
    if kind == 1:
        cue = forms.add_word(rng) + forms.qq_word(rng)
        return f"{cue} {forms.spelled_number(rng, forms.qq_number(rng), mobile=False)}"
    return rng.choice(texts.PHONE_CUES) + forms.spelled_number(rng, forms.mobile(rng))


def _off_platform(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    if rng.random() < 0.7:
        line = rng.choice(texts.AGENT_CARRIERS).format(_contact(rng, held_out))
    else:
        line = _agent_says(rng, rng.choice(texts.OFFSITE), held_out)
    return [_question(rng), ("agent", line, _label("off_platform"))]


def _lexical(bank: tuple[str, ...], category: str) -> Scene:
    def scene(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
        line = _agent_says(rng, rng.choice(bank), held_out)
        return [_question(rng), ("agent", line, _label(category))]

    return scene


def _vague(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    shrug = rng.choice(texts.SHRUGS)
    if held_out:
        shrug = forms.disguise(rng, shrug) + rng.choice(texts.SHRUG_TAILS)
    return [_question(rng), ("agent", shrug, _label("vague_answer"))]


def _missed_promotion(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    ask = rng.choice(texts.PRICE_QUESTIONS)
    ask = forms.disguise(rng, ask) if held_out else ask
    labels = _label("missed_promotion") if _promoting(shop) else _NONE
    return [("buyer", ask, _NONE), ("agent", rng.choice(texts.NO_OFFER_REPLIES), labels)]


def _buyer(bank: tuple[str, ...], category: str) -> Scene:
    def scene(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
        line = rng.choice(bank)
        line = forms.disguise(rng, line) if held_out else line
        return [("buyer", line, _label(category)), _answer(rng)]

    return scene


def _answer(rng: random.Random) -> Turn:
    return ("agent", rng.choice(texts.ANSWERS), _NONE)


def _promoting(shop: PlantShop) -> bool:
    return bool(shop.promotion) and shop.promotion_ends_ms is None


def _clean(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    return [_question(rng), _answer(rng)]


def _near_miss(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    line = rng.choice(texts.NEAR_MISSES).format(
        order=forms.order_number(rng),
        tracking=forms.tracking_number(rng),
        hotline=shop.hotline,
        brand=shop.brand,
    )
    if held_out:
        line = forms.fullwidth(line) if rng.random() < 0.5 else forms.traditional(line)
    return [_question(rng), ("agent", line, _NONE)]


def _buyer_near_miss(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    line = rng.choice(texts.BUYER_NEAR_MISSES).format(order=forms.order_number(rng, "12315"))
    return [("buyer", forms.traditional(line) if held_out else line, _NONE), _answer(rng)]


def _offer_named(rng: random.Random, shop: PlantShop, held_out: bool) -> list[Turn]:
    offer = rng.choice(shop.promotion) if shop.promotion else "店铺券"
    reply = rng.choice(texts.OFFER_REPLIES).format(offer=offer)
    return [("buyer", rng.choice(texts.PRICE_QUESTIONS), _NONE), ("agent", reply, _NONE)]


SCENES: tuple[tuple[Scene, int], ...] = (
    (_off_platform, 10),
    (_lexical(texts.ABUSIVE, "abusive"), 6),
    (_lexical(texts.FORBIDDEN, "forbidden_claim"), 6),
    (_lexical(texts.PROMISES, "unauthorised_promise"), 6),
    (_vague, 6),
    (_missed_promotion, 6),
    (_buyer(texts.THREATS, "complaint_threat"), 6),
    (_buyer(texts.BUYER_ABUSE, "buyer_abuse"), 4),
    (_clean, 30),
    (_near_miss, 20),
    (_buyer_near_miss, 5),
    (_offer_named, 6),
)


def plant(
    seed: int = 18,
    conversations: int = 3000,
    shops: tuple[PlantShop, ...] = SHOPS,
    span: tuple[int, int] | None = None,
    agents_per_shop: int = 3,
) -> list[PlantedLine]:
    """Conversations, each line labelled; the same arguments give the same set.

    Without `span` the conversations follow one another from START_MS (the evaluation
    set); with `span` = (start_ms, end_ms) each starts at a random time in it, ending
    before its end, to be mixed into generated traffic (`GenConfig.qc_conversations`).
    """
    rng = random.Random(seed)
    scenes, weights = zip(*SCENES, strict=True)
    lines: list[PlantedLine] = []
    at_ms = START_MS + 3_600_000
    for n in range(conversations):
        shop = rng.choice(shops)
        held_out = rng.random() < 0.5
        form = HELD_OUT if held_out else SEEN
        if span is not None:
            at_ms = rng.randrange(span[0], max(span[0] + 1, span[1] - 3_600_000))
        for sender, text, labels in rng.choices(scenes, weights)[0](rng, shop, held_out):
            at_ms += rng.randint(1_000, 60_000)
            lines.append(
                PlantedLine(
                    event_id=f"qc-{seed}-{len(lines)}",
                    shop_id=shop.shop_id,
                    buyer_id=f"qc-{seed}-b{n}",
                    agent_id="" if sender == "buyer" else _agent(shop, n, agents_per_shop, span),
                    sender=sender,
                    occurred_at_ms=at_ms,
                    text=text,
                    labels=labels,
                    form=form,
                )
            )
    return lines


def _agent(shop: PlantShop, n: int, agents: int, span: tuple[int, int] | None) -> str:
    # In generated traffic the conversation goes to one of the shop's real agents.
    return f"{shop.shop_id}-a{n % agents + (span is not None)}"
