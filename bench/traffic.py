"""Seeded chat-only traffic in the wire format of docs/events.md, fast enough for millions of events.

`pipeline.generator` simulates a whole business (orders, refunds, ratings, shifts) at about
35k events/s; a benchmark needs chat messages by the million, so this draws conversations
directly: a buyer burst, maybe a bot auto-reply, a human reply after a realistic delay
(sometimes late, sometimes never, more often in the `slow_shops`), and a follow-up
inquiry now and then. Events come out in event-time order, keyed like
`pipeline.raw_producer` keys them (shop_id, buyer_id), with `occurred_at` as RFC 3339
(+08:00) for most and epoch milliseconds for `epoch_ms_share` of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import orjson

SHANGHAI = timezone(timedelta(hours=8))
# 10:00 in Shanghai on a weekday: every shop is inside its default service hours.
DAY_START_MS = int(datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() * 1000)
EVENTS_PER_CONVERSATION = 3.7  # the mean of the script below, measured

BUYER_TEXTS = ("在吗？", "这款敏感肌能用吗？", "什么时候发货呀", "能便宜点吗", "有优惠券吗？",
               "尺码偏大还是偏小", "我的快递怎么还没到", "可以开发票吗", "亲，拼单成功了吗")  # fmt: skip
AGENT_TEXTS = ("亲，在的，请问有什么可以帮您？", "亲，可以的，无香精配方", "今天下午四点前下单当天发货哦",
               "亲，已为您备注优先发货", "亲，建议您选大一码")  # fmt: skip
BOT_TEXT = "您好，客服正在赶来，请稍等~"


@dataclass(frozen=True)
class TrafficSpec:
    """The world: shops, agents, how fast event time fills, how slow the slow shops are."""

    events: int
    seed: int = 7
    shops: int = 50
    agents_per_shop: int = 8
    events_per_second: float = 2_000.0  # of event time: a shop group at its daily peak
    start_ms: int = DAY_START_MS
    slow_shops: int = 3  # s0..: agents often late or silent, so alarms have work to do
    epoch_ms_share: float = 0.15
    tag: str = ""  # in event and buyer ids, so two scripts on one topic never collide


@dataclass(frozen=True, slots=True)
class ChatEvent:
    at_ms: int
    event_id: str
    shop_id: str
    buyer_id: str
    sender: str
    agent_id: str | None
    text: str | None

    @property
    def key(self) -> bytes:
        return f"{self.shop_id}\x1f{self.buyer_id}".encode()

    def wire(self, occurred_at: int | str) -> dict[str, object]:
        return {
            "event_id": self.event_id,
            "type": "chat.message",
            "shop_id": self.shop_id,
            "occurred_at": occurred_at,
            "buyer_id": self.buyer_id,
            "sender": self.sender,
            "agent_id": self.agent_id,
            "msg_type": "text" if self.text else "image",
            "text": self.text,
        }


def rfc3339(at_ms: int) -> str:
    moment = datetime.fromtimestamp(at_ms / 1000, tz=SHANGHAI)
    return moment.isoformat(timespec="milliseconds")


class _Rfc3339:
    """rfc3339() with the seconds part cached: events come in time order."""

    def __init__(self) -> None:
        self._second = -1
        self._head = ""

    def __call__(self, at_ms: int) -> str:
        second, ms = divmod(at_ms, 1000)
        if second != self._second:
            self._second = second
            moment = datetime.fromtimestamp(second, tz=SHANGHAI)
            self._head = moment.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._head}.{ms:03d}+08:00"


class _Script:
    """Draws conversations; `events` collects (at_ms, seq, ChatEvent) for sorting."""

    def __init__(self, spec: TrafficSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.events: list[tuple[int, int, ChatEvent]] = []

    def add(self, at: int, shop: str, buyer: str, sender: str, agent: str | None) -> None:
        rng, seq = self.rng, len(self.events)
        if sender == "buyer":
            text = rng.choice(BUYER_TEXTS) if rng.random() < 0.9 else None
        else:
            text = BOT_TEXT if sender == "bot" else rng.choice(AGENT_TEXTS)
        event_id = f"bm-{self.spec.tag}{self.spec.seed}-{seq:010d}"
        self.events.append((at, seq, ChatEvent(at, event_id, shop, buyer, sender, agent, text)))

    def reply_delay_ms(self, slow: bool) -> int | None:
        rng = self.rng
        if rng.random() < (0.35 if slow else 0.02):
            return None
        if rng.random() < (0.5 if slow else 0.08):
            return int(rng.uniform(60_000, 420_000))  # late: one to seven minutes
        return int(rng.lognormvariate(2.6, 0.8) * 1000)  # about 13 s, mostly under a minute

    def conversation(self, at: int, number: int) -> None:
        rng, spec = self.rng, self.spec
        index = rng.randrange(spec.shops)
        shop, buyer = f"s{index}", f"pdd_{spec.tag}{number:09d}"
        assigned = f"{shop}-a{rng.randrange(spec.agents_per_shop)}"
        for _ in range(1 + (rng.random() < 0.35) + (rng.random() < 0.1)):
            named = assigned if rng.random() < 0.88 else None
            self.add(at, shop, buyer, "buyer", named)
            if rng.random() < 0.35:
                self.add(at + int(rng.uniform(800, 3000)), shop, buyer, "bot", None)
            burst = at
            for _ in range((rng.random() < 0.3) + (rng.random() < 0.1)):
                burst += int(rng.uniform(2000, 20_000))
                self.add(burst, shop, buyer, "buyer", named)
            delay = self.reply_delay_ms(index < spec.slow_shops)
            if delay is None:
                return
            self.add(at + delay, shop, buyer, "agent", assigned)
            at += delay + int(rng.uniform(10_000, 120_000))


def conversations(spec: TrafficSpec) -> list[ChatEvent]:
    """`spec.events` chat messages in event-time order (ties keep script order)."""
    script = _Script(spec)
    gap_ms = 1000 * EVENTS_PER_CONVERSATION / spec.events_per_second
    at, number = float(spec.start_ms), 0
    while len(script.events) < spec.events * 1.05:
        at += script.rng.expovariate(1 / gap_ms)
        script.conversation(int(at), number)
        number += 1
    script.events.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in script.events[: spec.events]]


def encode(events: list[ChatEvent], spec: TrafficSpec) -> list[tuple[bytes, bytes]]:
    """(key, value) per event, in the wire format."""
    draw = random.Random(spec.seed + 1).random
    share = spec.epoch_ms_share
    text = _Rfc3339()
    return [
        (e.key, orjson.dumps(e.wire(e.at_ms if draw() < share else text(e.at_ms)))) for e in events
    ]


def generate(spec: TrafficSpec) -> list[tuple[bytes, bytes]]:
    return encode(conversations(spec), spec)


_STAMP = b'"occurred_at":0,'


def templates(events: list[ChatEvent]) -> list[tuple[bytes, bytes, bytes]]:
    """(key, head, tail) per event: `head + b'"occurred_at":%d,' % ms + tail` is its value.

    For paced sending, where `occurred_at` is the moment of sending.
    """
    out = []
    for event in events:
        head, tail = orjson.dumps(event.wire(0)).split(_STAMP)
        out.append((event.key, head, tail))
    return out


def stamped(template: tuple[bytes, bytes, bytes], at_ms: int) -> tuple[bytes, bytes]:
    key, head, tail = template
    return key, b'%s"occurred_at":%d,%s' % (head, at_ms, tail)
