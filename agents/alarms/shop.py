"""One shop's alarms: its window of inquiries, its open episodes, and its evaluation cursor.

Evaluations happen at every multiple of `eval_every` (epoch-aligned, so every worker and
every restart picks the same points) up to the consumer's event time. At point t the
reply-rate window is [t - 5 min - window, t - 5 min): every inquiry in it reached its
deadline before t, and t is at most the event time, so every outcome counted is final.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from agents.alarms import rules
from agents.alarms.model import Alert
from agents.alarms.text import describe
from agents.alarms.window import Count, ShopWindow, Sweep
from core.settings import ShopSettings
from schemas.inquiry import DEADLINE_MS
from schemas.inquiry_changes import ChangedInquiry
from schemas.timestamps import from_epoch_ms


@dataclass(frozen=True, slots=True)
class Live:
    """The latest evaluation's numbers, for the per-shop gauges."""

    at_ms: int
    rate: float | None
    inquiries: int
    waiting: int
    warned: int


def span_ms(shop: ShopSettings) -> int:
    """How far back from an evaluation point rows still matter."""
    return DEADLINE_MS + shop.window_minutes * 60_000


def in_service(at_ms: int, shop: ShopSettings) -> bool:
    """Is the shop-local time of the evaluation point inside [service_start, service_end)?"""
    local = from_epoch_ms(at_ms).astimezone(shop.zone).time()
    return shop.service_start <= local < shop.service_end


def grouped(alerts: list[Alert]) -> list[Alert]:
    """Per-agent alerts marked with the size of their notification group.

    A group is the per-agent alerts of one shop and evaluation sharing rule, state and
    reminder flag (metrics.md section 2: one notification listing the agents); shop-wide
    alerts stand alone.
    """
    sizes = Counter(_group_key(a) for a in alerts if a.agent_id)
    return [replace(a, group=sizes[_group_key(a)]) if a.agent_id else a for a in alerts]


def _group_key(alert: Alert) -> tuple[str, int, str, str, bool]:
    return (alert.shop_id, alert.event_time_ms, alert.rule, alert.state, alert.reminder)


def _ceil(ms: int, step: int) -> int:
    return -(-ms // step) * step


class ShopAlarms:
    def __init__(self, shop_id: str) -> None:
        self.shop_id = shop_id
        self.window = ShopWindow()
        self.episodes: dict[str, rules.Episode] = {}  # '' is the shop-wide episode
        self.next_ms: int | None = None  # the next evaluation point; None before the first
        self.live: Live | None = None
        # What the last snapshot holds of next_ms; episodes change only with it (in an
        # evaluation), so a shop whose rows and next_ms are unchanged is left out of a delta.
        self.saved = False
        self.saved_next: int | None = None

    def add(self, change: ChangedInquiry, shop: ShopSettings) -> int:
        """Fold a change in; how far (ms) it fell inside windows already evaluated, else 0.

        That only happens for input later than the stateful stage's lateness allows: the
        past evaluation stands (alerts are not rewritten), and the caller counts it.
        """
        keep_from = None if self.next_ms is None else self.next_ms - span_ms(shop)
        counted = self.window.upsert(change, keep_from)
        if not counted or self.next_ms is None:
            return 0
        # The last evaluated point counted openings before it minus five minutes.
        evaluated_until = self.next_ms - shop.eval_every_seconds * 1000 - DEADLINE_MS
        return max(0, evaluated_until - change.effective_opened_at_ms)

    def evaluate_until(self, event_ms: int, shop: ShopSettings, now_ms: int) -> list[Alert]:
        step = shop.eval_every_seconds * 1000
        at = self.next_ms
        if at is None:
            # First evaluation: start where the earliest row could first matter.
            earliest = self.window.earliest_ms()
            if earliest is None or _ceil(earliest, step) > event_ms:
                return []
            at = _ceil(earliest, step)
        alerts: list[Alert] = []
        if at > event_ms:
            self.next_ms = at
            return alerts
        # The rows change only between calls: one sweep serves every point, and what each
        # point would have pruned goes at once after the last (thresholds only grow).
        sweep = self.window.sweep()
        pruned_to: int | None = None
        while at <= event_ms:
            left = bool(self.window) if pruned_to is None else sweep.any_from(pruned_to)
            if not left and not self.episodes:
                at = event_ms - event_ms % step + step  # nothing to evaluate: skip ahead
                break
            alerts += self._evaluate(at, shop, now_ms, sweep)
            at += step
            pruned_to = at - span_ms(shop)
        if pruned_to is not None:
            self.window.prune(pruned_to)
        self.next_ms = at
        return [replace(a, message=describe(a, shop.zone)) for a in alerts]

    def _evaluate(self, at: int, shop: ShopSettings, now_ms: int, rows: Sweep) -> list[Alert]:
        end = at - DEADLINE_MS
        start = end - shop.window_minutes * 60_000
        point = rules.Point(self.shop_id, at, start, end, now_ms, in_service(at, shop))
        counts = rows.counts(point.window_start_ms, point.window_end_ms)
        alerts: list[Alert] = []
        for agent in sorted(set(counts) | set(self.episodes)):
            episode, alert = rules.reply_rate(
                point, agent, counts.get(agent, Count()), self.episodes.get(agent), shop
            )
            if episode is None:
                self.episodes.pop(agent, None)
            else:
                self.episodes[agent] = episode
            if alert is not None:
                alerts.append(alert)
        alerts = grouped(alerts)
        warned = rows.waiting(at, shop.warn_after_seconds * 1000)
        warning = rules.waiting_buyers(point, warned, shop)
        if warning is not None:
            alerts.append(warning)
        shop_count = counts[""]
        waiting = len(rows.waiting(at, 0))
        self.live = Live(at, shop_count.rate, shop_count.inquiries, waiting, len(warned))
        return alerts

    def dump(self) -> dict[str, Any]:
        return {
            "next": self.next_ms,
            "rows": self.window.dump(),
            "episodes": {agent: e.dump() for agent, e in self.episodes.items()},
        }

    def take_full(self) -> dict[str, Any]:
        self.window.snapshotted()
        self._saved()
        return self.dump()

    def take_delta(self) -> dict[str, Any] | None:
        """What changed since the last snapshot (a full one or a delta); None when nothing did."""
        window = self.window
        unchanged = self.saved and self.saved_next == self.next_ms
        if unchanged and not window.changed and not window.whole:
            return None
        rows, gone = window.take_delta()
        self._saved()
        return {
            "next": self.next_ms,
            "rows": rows,
            "gone": gone,
            "episodes": {agent: e.dump() for agent, e in self.episodes.items()},
        }

    def _saved(self) -> None:
        self.saved, self.saved_next = True, self.next_ms

    @classmethod
    def load(cls, shop_id: str, data: dict[str, Any]) -> ShopAlarms:
        shop = cls(shop_id)
        shop.load_delta(data | {"gone": None})  # a full one: its rows are all of them
        return shop

    def load_delta(self, data: dict[str, Any]) -> None:
        """A delta `take_delta` wrote, on the state of the snapshot before it."""
        self.next_ms = data["next"]
        self.window.load_delta(data["rows"], data["gone"])
        self.episodes = {agent: rules.Episode.load(e) for agent, e in data["episodes"].items()}
        self._saved()
