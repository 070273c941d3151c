"""The two rules of metrics.md section 2 as pure functions of one evaluation's numbers.

`reply_rate` keeps at most one episode per (shop, agent). A firing episode reminds every
`renotify` while still breached and resolves only on evidence: a measured rate at
threshold + hysteresis over at least `min_inquiries`, a window empty for `idle_resolve`
("no inquiries"), or the shop leaving service hours ("service hours ended"); with too few
inquiries it holds. A resolved episode cools down for `refire_after`, during which only a
rate below threshold - hysteresis fires again. `waiting_buyers` raises one warning per shop
per evaluation. Times are epoch ms of event time; `raised_at_ms` is wall time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.alarms.model import (
    FIRING,
    HOURS_ENDED,
    NO_INQUIRIES,
    RECOVERED,
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
    """A reply-rate alert: firing while `resolved_ms` is None, else cooling down since then.

    `notified_ms` is when it last told anyone and `empty_since_ms` the first evaluation of
    the current run of empty windows (event time).
    """

    alert_id: str
    fired_ms: int
    notified_ms: int
    empty_since_ms: int | None = None
    resolved_ms: int | None = None

    def dump(self) -> list[Any]:
        return [self.alert_id, self.fired_ms, self.notified_ms, self.empty_since_ms,
                self.resolved_ms]  # fmt: skip

    @classmethod
    def load(cls, row: list[Any]) -> Episode:
        # Snapshots written before the cool-down existed hold only the first three fields.
        return cls(*row)


@dataclass(frozen=True, slots=True)
class Point:
    """One evaluation of one shop: where, when, over which window, inside service hours?"""

    shop_id: str
    at_ms: int
    window_start_ms: int
    window_end_ms: int
    raised_at_ms: int
    in_service: bool = True


def alert_id(rule: str, shop_id: str, agent_id: str, at_ms: int) -> str:
    return f"{rule}:{shop_id}:{agent_id or '*'}:{at_ms}"


def reply_rate(
    point: Point, agent_id: str, count: Count, episode: Episode | None, shop: ShopSettings
) -> tuple[Episode | None, Alert | None]:
    """The episode after this evaluation and the alert it raises, if any."""
    if episode is None or episode.resolved_ms is not None:
        return _maybe_fire(point, agent_id, count, episode, shop)
    return _while_firing(point, agent_id, count, episode, shop)


def _maybe_fire(
    point: Point, agent_id: str, count: Count, cooling: Episode | None, shop: ShopSettings
) -> tuple[Episode | None, Alert | None]:
    if cooling is not None and cooling.resolved_ms is not None:
        if point.at_ms - cooling.resolved_ms >= shop.refire_after_minutes * MINUTE_MS:
            cooling = None
    bar = shop.threshold - (shop.hysteresis if cooling is not None else 0.0)
    rate = count.rate
    if (
        point.in_service
        and count.inquiries >= shop.min_inquiries
        and rate is not None
        and rate < bar - _EPSILON
    ):
        fired = Episode(alert_id(REPLY_RATE, point.shop_id, agent_id, point.at_ms),
                        point.at_ms, point.at_ms)  # fmt: skip
        return fired, _rate_alert(point, agent_id, count, fired, FIRING, shop)
    return cooling, None


def _while_firing(
    point: Point, agent_id: str, count: Count, episode: Episode, shop: ShopSettings
) -> tuple[Episode | None, Alert | None]:
    if not point.in_service:
        return _resolve(point, agent_id, count, episode, shop, HOURS_ENDED)
    if count.inquiries == 0:
        if episode.empty_since_ms is None:
            episode.empty_since_ms = point.at_ms
        if point.at_ms - episode.empty_since_ms >= shop.idle_resolve_minutes * MINUTE_MS:
            return _resolve(point, agent_id, count, episode, shop, NO_INQUIRIES)
        return episode, None
    episode.empty_since_ms = None
    if count.inquiries < shop.min_inquiries or count.rate is None:
        return episode, None  # too few to judge either way: the state holds
    if count.rate >= shop.threshold + shop.hysteresis - _EPSILON:
        return _resolve(point, agent_id, count, episode, shop, RECOVERED)
    if point.at_ms - episode.notified_ms >= shop.renotify_minutes * MINUTE_MS:
        episode.notified_ms = point.at_ms
        return episode, _rate_alert(point, agent_id, count, episode, FIRING, shop, reminder=True)
    return episode, None


def _resolve(
    point: Point, agent_id: str, count: Count, episode: Episode, shop: ShopSettings, reason: str
) -> tuple[Episode, Alert]:
    episode.resolved_ms = point.at_ms
    alert = _rate_alert(point, agent_id, count, episode, RESOLVED, shop, reason=reason)
    return episode, alert


def _rate_alert(
    point: Point,
    agent_id: str,
    count: Count,
    episode: Episode,
    state: str,
    shop: ShopSettings,
    *,
    reminder: bool = False,
    reason: str = "",
) -> Alert:
    # Only a recovery is judged on a rate; the other resolutions have none to show.
    measured = reason in ("", RECOVERED)
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
