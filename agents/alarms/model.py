"""An alert state change: what the alarm agent puts on the alerts topic, and how it travels.

The JSON on the topic is the contract between the alarm agent, the alerts table and the
notifier. `alert_id` names one firing episode (its reminders and its resolution share it)
or one waiting-buyer warning; it is derived from event time only, so a re-evaluation after
a restart produces the same id and downstream deduplication works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from schemas.timestamps import from_epoch_ms

REPLY_RATE = "reply_rate_5m"
WAITING_BUYER = "waiting_buyer"
FIRING = "firing"
RESOLVED = "resolved"
WARNING = "warning"
FORMAT_VERSION = 1
# Why a reply-rate alert resolved (metrics.md section 2).
RECOVERED = "recovered"
NO_INQUIRIES = "no inquiries"
HOURS_ENDED = "service hours ended"


@dataclass(frozen=True, slots=True)
class WaitingBuyer:
    buyer_id: str
    agent_id: str
    waited_seconds: float


@dataclass(frozen=True, slots=True)
class Alert:
    """One row of the `alerts` table, plus what the notifier needs to say it well."""

    alert_id: str
    rule: str
    shop_id: str
    agent_id: str
    state: str
    value: float | None
    threshold: float | None
    inquiries: int
    window_start_ms: int | None
    window_end_ms: int | None
    event_time_ms: int
    raised_at_ms: int
    reminder: bool = False
    buyers: tuple[WaitingBuyer, ...] = field(default_factory=tuple)
    message: str = ""
    reason: str = ""
    # Per-agent alerts of one shop, rule, state and evaluation are notified as one message:
    # how many alerts on the topic make up this one's group (0: notified on its own).
    group: int = 0
    # Set from the alert controls (`kefu alerts silence|ack`) when the alert is raised.
    silenced: bool = False
    acked_by: str = ""

    @property
    def dedup_key(self) -> tuple[str, str, int]:
        """Same for a redelivery or a re-evaluation of the same change."""
        return (self.alert_id, self.state, self.event_time_ms)

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "alert_id": self.alert_id,
            "rule": self.rule,
            "shop_id": self.shop_id,
            "agent_id": self.agent_id,
            "state": self.state,
            "value": self.value,
            "threshold": self.threshold,
            "inquiries": self.inquiries,
            "window_start": self.window_start_ms,
            "window_end": self.window_end_ms,
            "event_time": self.event_time_ms,
            "raised_at": self.raised_at_ms,
            "reminder": self.reminder,
            "buyers": [[b.buyer_id, b.agent_id, b.waited_seconds] for b in self.buyers],
            "message": self.message,
            "reason": self.reason,
            "group": self.group,
            "silenced": self.silenced,
            "acked_by": self.acked_by,
        }
        return orjson.dumps(body)

    @classmethod
    def from_json(cls, raw: bytes) -> Alert:
        body = orjson.loads(raw)
        if body.get("v") != FORMAT_VERSION:
            msg = f"alert format {body.get('v')!r} is not {FORMAT_VERSION}"
            raise ValueError(msg)
        return cls(
            alert_id=body["alert_id"],
            rule=body["rule"],
            shop_id=body["shop_id"],
            agent_id=body["agent_id"],
            state=body["state"],
            value=body["value"],
            threshold=body["threshold"],
            inquiries=body["inquiries"],
            window_start_ms=body["window_start"],
            window_end_ms=body["window_end"],
            event_time_ms=body["event_time"],
            raised_at_ms=body["raised_at"],
            reminder=body.get("reminder", False),
            buyers=tuple(WaitingBuyer(b, a, w) for b, a, w in body.get("buyers", [])),
            message=body.get("message", ""),
            reason=body.get("reason", ""),
            group=body.get("group", 0),
            silenced=body.get("silenced", False),
            acked_by=body.get("acked_by", ""),
        )

    def row(self) -> tuple[object, ...]:
        """The tuple in `sinks.tables.ALERTS` order."""
        return (
            self.alert_id,
            self.rule,
            self.shop_id,
            self.agent_id,
            self.state,
            self.value,
            self.threshold,
            self.inquiries,
            _maybe_time(self.window_start_ms),
            _maybe_time(self.window_end_ms),
            from_epoch_ms(self.event_time_ms),
            from_epoch_ms(self.raised_at_ms),
            self.message,
            self.reason,
            1 if self.silenced else 0,
            self.acked_by,
        )


def _maybe_time(ms: int | None) -> datetime | None:
    return None if ms is None else from_epoch_ms(ms)
