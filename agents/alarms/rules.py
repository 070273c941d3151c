"""The two rules of docs/metrics.md#live-reply-rate-alarm as pure functions of one evaluation's numbers.

`reply_rate` keeps at most one open episode per (shop, agent): it fires below the threshold
with enough volume, reminds every `renotify` while still breached, and resolves at
threshold + hysteresis or when volume drops below the minimum. `waiting_buyers` raises one
warning per shop per evaluation. Times are epoch ms of event time; `raised_at_ms` is wall time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.alarms.model import (
    FIRING,
    REPLY_RATE,
    RESOLVED,
    WAITING_BUYER,
    WARNING,
    Alert,
    WaitingBuyer,
)
from agents.alarms.window import Count
from core.settings import ShopSettings

# Rates are ratios of small integers: 17/20 must count as reaching 0.80 + 0.05.
_EPSILON = 1e-9
MINUTE_MS = 60_000


@dataclass(slots=True)
class Episode:
    """An open reply-rate alert: its id and when it last told anyone (event time)."""

    alert_id: str
    fired_ms: int
    notified_ms: int

    def dump(self) -> list[Any]:
        return [self.alert_id, self.fired_ms, self.notified_ms]

    @classmethod
    def load(cls, row: list[Any]) -> Episode:
        return cls(row[0], row[1], row[2])


@dataclass(frozen=True, slots=True)
class Point:
    """One evaluation of one shop: where, when, over which window."""

    shop_id: str
    at_ms: int
    window_start_ms: int
    window_end_ms: int
    raised_at_ms: int


def alert_id(rule: str, shop_id: str, agent_id: str, at_ms: int) -> str:
    return f"{rule}:{shop_id}:{agent_id or '*'}:{at_ms}"


def reply_rate(
    point: Point, agent_id: str, count: Count, episode: Episode | None, shop: ShopSettings
) -> tuple[Episode | None, Alert | None]:
    """The episode after this evaluation and the alert it raises, if any."""
    rate = count.rate
    enough = count.inquiries >= shop.min_inquiries
    if episode is None:
        if enough and rate is not None and rate < shop.threshold - _EPSILON:
            fired = Episode(alert_id(REPLY_RATE, point.shop_id, agent_id, point.at_ms),
                            point.at_ms, point.at_ms)  # fmt: skip
            return fired, _rate_alert(point, agent_id, count, fired, FIRING, shop)
        return None, None
    if not enough or (rate is not None and rate >= shop.threshold + shop.hysteresis - _EPSILON):
        return None, _rate_alert(point, agent_id, count, episode, RESOLVED, shop)
    if point.at_ms - episode.notified_ms >= shop.renotify_minutes * MINUTE_MS:
        episode.notified_ms = point.at_ms
        return episode, _rate_alert(point, agent_id, count, episode, FIRING, shop, reminder=True)
    return episode, None


def _rate_alert(
    point: Point,
    agent_id: str,
    count: Count,
    episode: Episode,
    state: str,
    shop: ShopSettings,
    *,
    reminder: bool = False,
) -> Alert:
    return Alert(
        alert_id=episode.alert_id,
        rule=REPLY_RATE,
        shop_id=point.shop_id,
        agent_id=agent_id,
        state=state,
        value=count.rate,
        threshold=shop.threshold,
        inquiries=count.inquiries,
        window_start_ms=point.window_start_ms,
        window_end_ms=point.window_end_ms,
        event_time_ms=point.at_ms,
        raised_at_ms=point.raised_at_ms,
        reminder=reminder,
    )


def waiting_buyers(point: Point, buyers: list[WaitingBuyer], shop: ShopSettings) -> Alert | None:
    """One warning listing every buyer who waited `warn_after` and is not yet a miss."""
    if not buyers:
        return None
    return Alert(
        alert_id=alert_id(WAITING_BUYER, point.shop_id, "", point.at_ms),
        rule=WAITING_BUYER,
        shop_id=point.shop_id,
        agent_id="",
        state=WARNING,
        value=max(b.waited_seconds for b in buyers),
        threshold=float(shop.warn_after_seconds),
        inquiries=len(buyers),
        window_start_ms=point.at_ms - 5 * MINUTE_MS,
        window_end_ms=point.at_ms - shop.warn_after_seconds * 1000,
        event_time_ms=point.at_ms,
        raised_at_ms=point.raised_at_ms,
        buyers=tuple(buyers),
    )
