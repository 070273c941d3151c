"""What a notification says, in Chinese, whatever the channel: title, body, board link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from agents.alarms.model import RESOLVED, Alert
from agents.alarms.text import describe, group_title, local, title
from agents.escalation.book import SLA_RULES
from core.settings import KefuSettings

# grafana/boards/live_floor.py: the per-shop live board (its `shop` variable).
LIVE_BOARD_UID = "kefu-live-floor"


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str
    link: str
    severity: str
    resolved: bool

    @property
    def plain(self) -> str:
        return f"{self.title}\n{self.body}\n看板：{self.link}"

    @property
    def markdown(self) -> str:
        return f"### {self.title}\n\n{self.body}\n\n[打开看板]({self.link})"


def severity_of(alert: Alert, settings: KefuSettings) -> str:
    return settings.notify.severities.get(alert.rule, "warning")


def render(alert: Alert, settings: KefuSettings) -> Rendered:
    zone = settings.shop(alert.shop_id).zone
    when = local(alert.event_time_ms, zone, "%Y-%m-%d %H:%M")
    body = f"{describe(alert, zone)}\n评估时间 {when}（店铺当地时间）"
    link = board_link(alert, settings)
    if alert.rule in SLA_RULES:  # the work-order book writes its own text
        head, _, rest = alert.message.partition("\n")
        return Rendered(head, rest, link, severity_of(alert, settings), resolved=False)
    return Rendered(title(alert), body, link, severity_of(alert, settings), alert.state == RESOLVED)


def render_group(alerts: Sequence[Alert], settings: KefuSettings) -> Rendered:
    """One message for the alerts of one notification group: a line per agent."""
    if len(alerts) == 1:
        return render(alerts[0], settings)
    first = alerts[0]
    zone = settings.shop(first.shop_id).zone
    when = local(first.event_time_ms, zone, "%Y-%m-%d %H:%M")
    lines = [f"客服 {a.agent_id}：{describe(a, zone)}" for a in alerts]
    body = "\n".join([*lines, f"评估时间 {when}（店铺当地时间）"])
    return Rendered(
        group_title(alerts),
        body,
        board_link(first, settings),
        severity_of(first, settings),
        first.state == RESOLVED,
    )


def board_link(alert: Alert, settings: KefuSettings) -> str:
    """The shop's live board over the alert's window, so the lead sees what the alarm saw."""
    template = settings.notify.board_url
    if template is None:
        base = (settings.board_base_url or settings.grafana_url).rstrip("/")
        template = f"{base}/d/{LIVE_BOARD_UID}?var-shop={{shop}}&from={{from_ms}}&to={{to_ms}}"
    start = alert.window_start_ms if alert.window_start_ms is not None else alert.event_time_ms
    return (
        template.replace("{shop}", quote(alert.shop_id, safe=""))
        .replace("{from_ms}", str(start - 15 * 60_000))
        .replace("{to_ms}", str(alert.event_time_ms + 5 * 60_000))
    )
