"""A control: a silence of a shop (or one of its agents) until a time, or an ack of an alert.

Controls are events on the alert-controls topic, keyed by `control_id` so that compaction
keeps the latest of each: a silence is `silence:<uuid>`, an ack `ack:<alert_id>` (acking
twice keeps the last person). Times are wall-clock epoch ms: a lead silences for the next
30 minutes of the real day, whatever event time the stream is at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from schemas.timestamps import from_epoch_ms

SILENCE = "silence"
ACK = "ack"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Control:
    """One row of the `alert_controls` table."""

    control_id: str
    kind: str
    shop_id: str
    agent_id: str
    alert_id: str
    until_ms: int | None
    reason: str
    author: str
    created_at_ms: int

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "control_id": self.control_id,
            "kind": self.kind,
            "shop_id": self.shop_id,
            "agent_id": self.agent_id,
            "alert_id": self.alert_id,
            "until": self.until_ms,
            "reason": self.reason,
            "author": self.author,
            "created_at": self.created_at_ms,
        }
        return orjson.dumps(body)

    @classmethod
    def from_json(cls, raw: bytes) -> Control:
        body = orjson.loads(raw)
        if body.get("v") != FORMAT_VERSION or body.get("kind") not in (SILENCE, ACK):
            msg = f"not an alert control: version {body.get('v')!r}, kind {body.get('kind')!r}"
            raise ValueError(msg)
        return cls(
            control_id=body["control_id"],
            kind=body["kind"],
            shop_id=body["shop_id"],
            agent_id=body["agent_id"],
            alert_id=body["alert_id"],
            until_ms=body["until"],
            reason=body["reason"],
            author=body["author"],
            created_at_ms=body["created_at"],
        )

    def row(self) -> tuple[object, ...]:
        """The tuple in `sinks.tables.ALERT_CONTROLS` order."""
        return (
            self.control_id,
            self.kind,
            self.shop_id,
            self.agent_id,
            self.alert_id,
            _maybe_time(self.until_ms),
            self.reason,
            self.author,
            from_epoch_ms(self.created_at_ms),
        )


def _maybe_time(ms: int | None) -> datetime | None:
    return None if ms is None else from_epoch_ms(ms)
