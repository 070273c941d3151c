"""What a conversation is about: pre-sales questions, an order first, logistics, a refund."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from pipeline.generator import phrases
from pipeline.generator.chat import Conversation, Message, text
from pipeline.generator.clock import HOUR, MINUTE, SECOND
from pipeline.generator.orders import basket, past_order_id, place_order
from pipeline.generator.refunds import open_refund


@dataclass(frozen=True)
class Outcome:
    end: int
    topic: str
    order_id: str | None = None
    rejected: bool = False


def _gap(rng: Random) -> int:
    """Time the buyer takes to read a reply and write again; sometimes they leave a while."""
    if rng.random() < 0.08:
        return int(rng.uniform(10 * MINUTE, 2 * HOUR))
    return int(rng.lognormvariate(3.7, 0.9) * SECOND) + 2 * SECOND


def _rounds(rng: Random, most: int) -> int:
    count = 1
    while count < most and rng.random() < 0.7:
        count += 1
    return count


def _with_bursts(rng: Random, first: list[Message]) -> list[Message]:
    """Buyers often split a question over several messages before anyone answers."""
    extra = rng.choices((0, 1, 2, 3), (0.45, 0.3, 0.15, 0.1))[0]
    burst = [text(rng.choice(phrases.BURSTS)) for _ in range(extra)]
    if rng.random() < 0.05:
        burst.append((None, "image", None))
    if rng.random() < 0.04:
        burst.append((rng.choice(phrases.EMOJIS), "emoji", None))
    return first + burst


def _card(title: str, fen: int, order_id: str) -> Message:
    return f"[订单] {title} ¥{fen // 100}.{fen % 100:02d}", "order", order_id


def _close(conv: Conversation, rng: Random, last: int) -> int:
    if rng.random() >= 0.7:
        return last
    answer = rng.choice(phrases.AGENT_CLOSINGS) if rng.random() < 0.95 else None
    return conv.exchange(last + _gap(rng), [text(rng.choice(phrases.CLOSINGS))], answer)


def presale(conv: Conversation, rng: Random, t0: int, order_probability: float) -> Outcome:
    catalog = conv.out.shop.catalog
    if rng.random() < 0.5:
        conv.system(t0, phrases.SYSTEM_ENTERED)
    title, fen = basket(rng, catalog)
    last = t0
    for i, (question, answer) in enumerate(rng.sample(phrases.PRESALE, _rounds(rng, 6))):
        first: list[Message] = [text(question)]
        if i == 0 and rng.random() < 0.4:
            first.insert(0, (title, "goods", None))
        opened = t0 + SECOND if i == 0 else last + _gap(rng)
        last = conv.exchange(opened, _with_bursts(rng, first), answer)
        if conv.gave_up():
            # Ignored buyers rarely come back to buy, and do not say goodbye.
            order_probability *= 0.3
            break
    else:
        last = _close(conv, rng, last)
    if rng.random() >= order_probability:
        return Outcome(last, "presale")
    # Most buyers pay within the hour after chatting, some hours later.
    created = last + int(min(rng.lognormvariate(6.4, 1.3), 48 * 3600) * SECOND)
    purchase = place_order(conv.out, rng, conv.buyer_id, created, fen)
    if purchase.paid_at is None:
        return Outcome(last, "presale", purchase.order_id)
    draw = rng.random()
    if draw < 0.4:
        note, answer = rng.choice(phrases.ORDER_NOTES)
        card = _card(title, fen, purchase.order_id)
        opened = purchase.paid_at + int(rng.uniform(10 * SECOND, 5 * MINUTE))
        last = conv.exchange(opened, [card, text(note)], answer)
    elif draw < 0.8:
        last = _confirm_address(conv, rng, purchase.paid_at, last)
    return Outcome(last, "presale", purchase.order_id)


def _confirm_address(conv: Conversation, rng: Random, paid_at: int, last: int) -> int:
    """Agents write to paying buyers to check the address (核对地址); many answer."""
    agent = conv.assigned
    moment = paid_at + int(rng.uniform(30 * SECOND, 10 * MINUTE))
    if agent is None or agent.silent(moment) or not agent.on_shift(moment, conv.out.shop.offset_ms):
        return last
    sent = conv.agent(agent, moment, phrases.CONFIRM_ADDRESS)
    if rng.random() >= 0.7:
        return max(last, sent)
    answer = rng.choice(phrases.CONFIRM_THANKS)
    return conv.exchange(sent + _gap(rng), [text(rng.choice(phrases.CONFIRM_REPLIES))], answer)


def order_first(conv: Conversation, rng: Random, t0: int) -> Outcome:
    """The buyer pays first and asks afterwards (ship date, address, a note)."""
    title, fen = basket(rng, conv.out.shop.catalog)
    purchase = place_order(conv.out, rng, conv.buyer_id, t0, fen)
    question, answer = rng.choice(phrases.LOGISTICS + phrases.ORDER_NOTES)
    opened = (purchase.paid_at or t0) + int(rng.uniform(MINUTE, HOUR))
    card = _card(title, fen, purchase.order_id)
    last = conv.exchange(opened, _with_bursts(rng, [card, text(question)]), answer)
    return Outcome(_close(conv, rng, last), "logistics", purchase.order_id)


def logistics(conv: Conversation, rng: Random, t0: int) -> Outcome:
    title, fen = basket(rng, conv.out.shop.catalog)
    order_id = past_order_id(conv.out, rng, t0)
    last = t0
    for i, (question, answer) in enumerate(rng.sample(phrases.LOGISTICS, _rounds(rng, 3))):
        first: list[Message] = [text(question)]
        if i == 0:
            first.insert(0, _card(title, fen, order_id))
        last = conv.exchange(t0 if i == 0 else last + _gap(rng), _with_bursts(rng, first), answer)
        if conv.gave_up():
            return Outcome(last, "logistics", order_id)
    return Outcome(_close(conv, rng, last), "logistics", order_id)


def aftersale(conv: Conversation, rng: Random, t0: int) -> Outcome:
    """A refund case on an older order; half the buyers apply first and chat afterwards."""
    title, fen = basket(rng, conv.out.shop.catalog)
    order_id = past_order_id(conv.out, rng, t0)
    question, answer = rng.choice(phrases.AFTERSALE)
    first: list[Message] = [_card(title, fen, order_id), text(question)]
    if rng.random() < 0.5:
        first.append((None, "image", None))
    if rng.random() < 0.5:
        case = open_refund(conv.out, rng, conv.buyer_id, order_id, fen, t0, conv.assigned)
        last = conv.exchange(t0 + int(rng.uniform(MINUTE, 20 * MINUTE)), first, answer)
    else:
        last = conv.exchange(t0, first, answer)
        requested = last + int(rng.uniform(MINUTE, 30 * MINUTE))
        case = open_refund(conv.out, rng, conv.buyer_id, order_id, fen, requested, conv.assigned)
    return Outcome(_close(conv, rng, last), "refund", order_id, case.rejected)
