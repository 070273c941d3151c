"""What to generate: the world, its rates, the delivery noise and the injected incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from core.errors import ConfigError
from pipeline.generator.ids import agent_id, shop_id

# Local midnight of 2026-11-23 in Shanghai: a fixed default keeps runs reproducible.
DEFAULT_START = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
INCIDENT_KINDS = ("silent_agent",)


def _require_aware(name: str, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{name} must be timezone-aware, got {moment.isoformat()}"
        raise ConfigError(msg)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Incident:
    """An injected fault; `silent_agent`: the agent sends nothing in [start, end).

    The account stays online, so the dispatcher keeps routing buyers to it (it even looks
    idle, so it gets more of them) and they wait.
    """

    shop_id: str
    agent_id: str
    start: datetime
    end: datetime
    kind: str = "silent_agent"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _require_aware("incident start", self.start))
        object.__setattr__(self, "end", _require_aware("incident end", self.end))
        if self.kind not in INCIDENT_KINDS:
            msg = f"unknown incident kind {self.kind!r}; known: {', '.join(INCIDENT_KINDS)}"
            raise ConfigError(msg)
        if self.end <= self.start:
            msg = f"incident on {self.agent_id} ends before it starts"
            raise ConfigError(msg)


@dataclass(frozen=True)
class GenConfig:
    """Everything `generate()` needs; the defaults give about 19k events a day."""

    seed: int = 0
    start: datetime = DEFAULT_START
    days: float = 1.0
    shops: int = 3
    agents_per_shop: int = 4
    # Conversations started per shop and day. 400 keeps a daytime 15-minute alarm window
    # above the alarm's minimum of 10 inquiries, so an injected incident can fire it.
    buyers_per_shop_day: float = 400.0
    # Most Pinduoduo orders never touch the chat; they still count as paid orders.
    orders_without_chat_per_shop_day: float = 600.0
    # Chance that a bot auto-reply answers a buyer's message before a human does.
    bot_share: float = 0.35
    # Chance that a pre-sales conversation ends in an order.
    order_probability: float = 0.35
    # Share of conversations that are after-sales refund cases.
    refund_probability: float = 0.12
    rating_probability: float = 0.2
    # Base chance of a complaint per conversation; slow replies multiply it.
    complaint_probability: float = 0.01
    # Share of events whose `occurred_at` is epoch milliseconds instead of RFC 3339.
    epoch_ms_share: float = 0.15
    # Delivery noise. No event arrives after one that happened more than `disorder_seconds`
    # later; duplicates (exact re-deliveries) and malformed lines come in addition to events.
    disorder_seconds: float = 0.0
    duplicate_rate: float = 0.0
    malformed_rate: float = 0.0
    incidents: list[Incident] = field(default_factory=list)
    # Conversations a day with planted quality-inspection findings (pipeline.generator.qc_day).
    qc_conversations: int = 0
    # A weekly pattern (busier Fridays and weekends) and promotion days (大促: 双11, 618, a
    # shop's campaign) that multiply the day's buyers, for forecasting (pipeline.generator.traffic).
    weekly: bool = False
    promotion_days: tuple[date, ...] = ()
    promotion_multiplier: float = 2.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _require_aware("start", self.start))
        self._check_ranges()
        self._check_incidents()

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def world_key(self) -> tuple[object, ...]:
        """What shapes the events themselves; delivery noise (disorder, duplicates,
        malformed lines) is left out so a noisy run carries the same events as a clean one."""
        return (
            (
                self.seed,
                self.start.isoformat(),
                self.shops,
                self.agents_per_shop,
                self.buyers_per_shop_day,
                self.orders_without_chat_per_shop_day,
                self.bot_share,
                self.order_probability,
                self.refund_probability,
                self.rating_probability,
                self.complaint_probability,
                self.epoch_ms_share,
                tuple(self.incidents),
            )
            + ((self.qc_conversations,) if self.qc_conversations else ())
            + self._seasons()
        )

    def _seasons(self) -> tuple[object, ...]:
        if not (self.weekly or self.promotion_days):
            return ()
        return (self.weekly, self.promotion_days, self.promotion_multiplier)

    def _check_ranges(self) -> None:
        if self.days <= 0:
            msg = f"days must be > 0, got {self.days}"
            raise ConfigError(msg)
        if self.shops < 1 or self.agents_per_shop < 1:
            msg = "shops and agents_per_shop must be >= 1"
            raise ConfigError(msg)
        rates = {
            "buyers_per_shop_day": self.buyers_per_shop_day,
            "orders_without_chat_per_shop_day": self.orders_without_chat_per_shop_day,
            "disorder_seconds": self.disorder_seconds,
            "qc_conversations": self.qc_conversations,
            "promotion_multiplier": self.promotion_multiplier,
        }
        for name, value in rates.items():
            if value < 0:
                msg = f"{name} must be >= 0, got {value}"
                raise ConfigError(msg)
        shares = {
            "bot_share": self.bot_share,
            "order_probability": self.order_probability,
            "refund_probability": self.refund_probability,
            "rating_probability": self.rating_probability,
            "complaint_probability": self.complaint_probability,
            "epoch_ms_share": self.epoch_ms_share,
            "duplicate_rate": self.duplicate_rate,
            "malformed_rate": self.malformed_rate,
        }
        for name, value in shares.items():
            if not 0.0 <= value <= 1.0:
                msg = f"{name} must be within 0..1, got {value}"
                raise ConfigError(msg)

    def _check_incidents(self) -> None:
        shops = {shop_id(i) for i in range(self.shops)}
        for incident in self.incidents:
            if incident.shop_id not in shops:
                msg = f"incident names unknown shop {incident.shop_id!r}; shops: {sorted(shops)}"
                raise ConfigError(msg)
            agents = {agent_id(incident.shop_id, j) for j in range(self.agents_per_shop)}
            if incident.agent_id not in agents:
                msg = (
                    f"incident names unknown agent {incident.agent_id!r}; agents: {sorted(agents)}"
                )
                raise ConfigError(msg)
