"""What the controls read so far say about an alert: is it silenced, who acked it.

A silence of a shop covers its shop-wide alerts and every agent's; a silence naming an
agent covers only that agent's. It holds from its creation until `until` (wall time).
"""

from __future__ import annotations

from dataclasses import replace

from agents.alarms.model import Alert
from agents.controls.model import ACK, SILENCE, Control


class ControlBook:
    def __init__(self) -> None:
        self.silences: dict[str, Control] = {}
        self.acks: dict[str, Control] = {}  # by alert_id

    def apply(self, control: Control) -> None:
        if control.kind == SILENCE:
            self.silences[control.control_id] = control
        elif control.kind == ACK:
            self.acks[control.alert_id] = control

    def silenced(self, shop_id: str, agent_id: str, at_ms: int) -> bool:
        return any(
            s.shop_id == shop_id
            and s.agent_id in ("", agent_id)
            and s.created_at_ms <= at_ms < (s.until_ms or 0)
            for s in self.silences.values()
        )

    def acked_by(self, alert_id: str) -> str:
        found = self.acks.get(alert_id)
        return "" if found is None else found.author

    def mark(self, alert: Alert) -> Alert:
        """The alert as stored: silenced at its raising, and by whom it was acked."""
        silenced = alert.silenced or self.silenced(
            alert.shop_id, alert.agent_id, alert.raised_at_ms
        )
        return replace(alert, silenced=silenced, acked_by=self.acked_by(alert.alert_id))

    def quiet(self, alert: Alert, now_ms: int) -> bool:
        """True when nobody should hear of it: silenced, or a reminder of an acked alert."""
        if alert.silenced or self.silenced(alert.shop_id, alert.agent_id, now_ms):
            return True
        return alert.reminder and bool(self.acked_by(alert.alert_id))
