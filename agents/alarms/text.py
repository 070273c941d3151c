"""Alerts in Chinese for people: shop-local times and the numbers that matter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from agents.alarms.model import FIRING, HOURS_ENDED, NO_INQUIRIES, REPLY_RATE, RESOLVED, Alert
from schemas.timestamps import from_epoch_ms

MAX_BUYERS_LISTED = 10
# Resolutions without a rate say why instead (metrics.md section 2).
_REASONS = {
    NO_INQUIRIES: "窗口内长时间无咨询，告警解除（无回复率可报）",
    HOURS_ENDED: "店铺服务时间已结束，告警解除",
}


def local(ms: int | None, zone: ZoneInfo, fmt: str = "%H:%M") -> str:
    if ms is None:
        return "—"
    moment: datetime = from_epoch_ms(ms).astimezone(zone)
    return moment.strftime(fmt)


def title(alert: Alert) -> str:
    who = f"店铺 {alert.shop_id}" + (f" 客服 {alert.agent_id}" if alert.agent_id else "")
    if alert.rule == REPLY_RATE:
        if alert.state == RESOLVED:
            return f"【已恢复】{who} 五分钟回复率恢复"
        prefix = "【提醒】" if alert.reminder else "【告警】"
        return f"{prefix}{who} 五分钟回复率过低"
    return f"【预警】{who} 有 {alert.inquiries} 位买家等待超过 {_minutes(alert.threshold)}"


def group_title(alerts: Sequence[Alert]) -> str:
    """One title for per-agent alerts of one shop and evaluation (metrics.md section 2)."""
    first = alerts[0]
    if len(alerts) == 1:
        return title(first)
    who = f"店铺 {first.shop_id} {len(alerts)} 位客服"
    if first.state == RESOLVED:
        return f"【已恢复】{who}五分钟回复率恢复"
    return f"{'【提醒】' if first.reminder else '【告警】'}{who}五分钟回复率过低"


def describe(alert: Alert, zone: ZoneInfo) -> str:
    """The body: rate against threshold, volume, window, or the waiting buyers."""
    window = f"{local(alert.window_start_ms, zone)}–{local(alert.window_end_ms, zone)}"
    if alert.rule == REPLY_RATE and alert.reason in _REASONS:
        return f"{_REASONS[alert.reason]}；窗口 {window}（按有效接入时间）"
    if alert.rule == REPLY_RATE:
        rate = "—" if alert.value is None else f"{alert.value:.1%}"
        verb = "低于" if alert.state == FIRING else "对比"
        line = (
            f"五分钟回复率 {rate}，{verb}阈值 {_percent(alert.threshold)}；"
            f"窗口 {window}（按有效接入时间）内咨询 {alert.inquiries} 次"
        )
        if alert.reminder:
            line += "；告警仍在持续"
        return line
    listed = "、".join(
        f"{b.buyer_id}（{b.waited_seconds / 60:.1f} 分钟"
        + (f"，{b.agent_id}" if b.agent_id else "")
        + "）"
        for b in alert.buyers[:MAX_BUYERS_LISTED]
    )
    more = f" 等 {len(alert.buyers)} 位" if len(alert.buyers) > MAX_BUYERS_LISTED else ""
    return (
        f"{alert.inquiries} 位买家已等待超过 {_minutes(alert.threshold)} 仍未回复：{listed}{more}"
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:g} 分钟"
