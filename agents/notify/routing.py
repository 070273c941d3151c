"""Which channels an alert goes to: the union over the routes that match its shop and severity."""

from __future__ import annotations

from agents.alarms.model import Alert
from agents.notify.message import severity_of
from core.settings import KefuSettings


def channels_for(alert: Alert, settings: KefuSettings) -> set[str]:
    severity = severity_of(alert, settings)
    return {
        name
        for route in settings.notify.routes
        if (not route.shops or alert.shop_id in route.shops)
        and (not route.severities or severity in route.severities)
        for name in route.channels
    }


def routed_channels(settings: KefuSettings) -> list[str]:
    """Channels some route uses: each gets its own consumer."""
    return sorted({name for route in settings.notify.routes for name in route.channels})
