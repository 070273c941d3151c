"""The two rules of docs/metrics.md#live-reply-rate-alarm as pure functions of one evaluation.

`reply_rate` keeps at most one open episode per (shop, agent): it fires below the threshold
with enough volume, reminds every `renotify` while still breached, and resolves only at
threshold + hysteresis with enough volume. With too few inquiries the state holds: a lead
never reads "resolved" next to a rate below the threshold. Two resolutions carry a reason and
no rate: a window empty for `idle_resolve`, and the end of service hours. After a resolution
the same (shop, agent) does not fire again within `refire_after` unless its rate falls below
threshold - hysteresis. `waiting_buyers` raises one warning per shop per evaluation. Times
are epoch ms of event time; `raised_at_ms` is wall time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents.alarms.model import (
    FIRING,
    NO_INQUIRIES,
    REPLY_RATE,
    RESOLVED,
    SERVICE_ENDED,
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
    """An open reply-rate alert: its id, when it last told anyone and last saw an inquiry."""

    alert_id: str
    fired_ms: int
    notified_ms: int
    seen_ms: int

    def dump(self) -> list[Any]:
        return [self.alert_id, self.fired_ms, self.notified_ms, self.seen_ms]

    @classmethod
    def load(cls, row: list[Any]) -> Episode:
        alert_id, fired_ms, notified_ms, *seen = row
        return cls(alert_id, fired_ms, notified_ms, seen[0] if seen else notified_ms)


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
    point: Point,
    agent_id: str,
    count: Count,
    episode: Episode | None,
    shop: ShopSettings,
    resolved_ms: int | None = None,
) -> tuple[Episode | None, Alert | None]:
    """The episode after this evaluation and the alert it raises, if any.

    `resolved_ms`: when this (shop, agent) last resolved, for `refire_after`.
    """
    if episode is None:
        return _maybe_fire(point, agent_id, count, shop, resolved_ms)
    rate = count.rate
    if count.inquiries:
        episode.seen_ms = point.at_ms
    if count.inquiries >= shop.min_inquiries and rate is not None and _recovered(rate, shop):
        return None, _rate_alert(point, agent_id, count, episode, RESOLVED, shop)
    if not in_service(point.at_ms, shop):
        return None, _rate_alert(point, agent_id, count, episode, RESOLVED, shop, SERVICE_ENDED)
    if (
        not count.inquiries
        and point.at_ms - episode.seen_ms >= shop.idle_resolve_minutes * MINUTE_MS
    ):
        return None, _rate_alert(point, agent_id, count, episode, RESOLVED, shop, NO_INQUIRIES)
    if point.at_ms - episode.notified_ms >= shop.renotify_minutes * MINUTE_MS:
        episode.notified_ms = point.at_ms
        return episode, _rate_alert(point, agent_id, count, episode, FIRING, shop, reminder=True)
    return episode, None


def _maybe_fire(
    point: Point, agent_id: str, count: Count, shop: ShopSettings, resolved_ms: int | None
) -> tuple[Episode | None, Alert | None]:
    rate = count.rate
    if count.inquiries < shop.min_inquiries or rate is None or rate >= shop.threshold - _EPSILON:
        return None, None
    if not in_service(point.at_ms, shop):
        return None, None  # nobody is on duty to answer, and the day's alerts have resolved
    recently = (
        resolved_ms is not None
        and point.at_ms - resolved_ms < shop.refire_after_minutes * MINUTE_MS
    )
    if recently and rate >= shop.threshold - shop.hysteresis - _EPSILON:
        return None, None
    fired = Episode(alert_id(REPLY_RATE, point.shop_id, agent_id, point.at_ms),
                    point.at_ms, point.at_ms, point.at_ms)  # fmt: skip
    return fired, _rate_alert(point, agent_id, count, fired, FIRING, shop)


def _recovered(rate: float, shop: ShopSettings) -> bool:
    return rate >= shop.threshold + shop.hysteresis - _EPSILON


def in_service(at_ms: int, shop: ShopSettings) -> bool:
    """Whether the shop's local wall clock is within its service hours at this instant."""
    local = datetime.fromtimestamp(at_ms / 1000, tz=shop.zone).time()
    return shop.service_start <= local < shop.service_end


def _rate_alert(
    point: Point,
    agent_id: str,
    count: Count,
    episode: Episode,
    state: str,
    shop: ShopSettings,
    reason: str = "",
    *,
    reminder: bool = False,
) -> Alert:
    measured = not reason
    return Alert(
        alert_id=episode.alert_id,
        rule=REPLY_RATE,
        shop_id=point.shop_id,
        agent_id=agent_id,
        state=state,
        value=count.rate if measured else None,
        threshold=shop.threshold,
        inquiries=count.inquiries,
        window_start_ms=point.window_start_ms,
        window_end_ms=point.window_end_ms,
        event_time_ms=point.at_ms,
        raised_at_ms=point.raised_at_ms,
        reminder=reminder,
        reason=reason,
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
