"""One HTTP request per channel kind, and how each kind says it accepted a message.

Pure functions: the alert and its rendered text in, a URL and a JSON body out. The robots
(DingTalk, WeCom, Feishu) answer HTTP 200 with an error code in the body, so acceptance
is decided per kind, not by the status alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from agents.alarms.model import FIRING, WARNING, Alert
from agents.notify.message import Rendered
from agents.notify.signing import dingtalk_sign, feishu_sign
from core.settings import ChannelSettings, KefuSettings
from schemas.timestamps import from_epoch_ms

# Statuses that retrying cannot fix: the request itself or its credentials are wrong.
_PERMANENT = {400, 401, 403, 404, 405, 413, 422}
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class HttpRequest:
    url: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    permanent: bool = False
    reason: str = ""


def build(
    channel: ChannelSettings,
    alerts: Sequence[Alert],
    text: Rendered,
    settings: KefuSettings,
    now_ms: int,
) -> HttpRequest:
    """One request for one notification: an alert, or a group of per-agent alerts."""
    url = channel.url.get_secret_value()
    secret = channel.secret.get_secret_value()
    body: Any
    if channel.kind == "webhook":
        body = {"alert": orjson.loads(alerts[0].to_json()),
                "alerts": [orjson.loads(a.to_json()) for a in alerts],
                "title": text.title, "text": text.body, "severity": text.severity,
                "link": text.link}  # fmt: skip
    elif channel.kind == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": text.title, "text": text.markdown}}
        if secret:
            url = f"{url}{'&' if '?' in url else '?'}timestamp={now_ms}&sign={dingtalk_sign(now_ms, secret)}"
    elif channel.kind == "wecom":
        body = {"msgtype": "markdown", "markdown": {"content": text.markdown}}
    elif channel.kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text.plain}}
        if secret:
            seconds = now_ms // 1000
            body = {"timestamp": str(seconds), "sign": feishu_sign(seconds, secret), **body}
    elif channel.kind == "slack":
        body = {"text": f"*{text.title}*\n{text.body}\n<{text.link}|打开看板>"}
    else:
        url = url.rstrip("/") + "/api/v2/alerts"
        body = [alertmanager_alert(alert, text, settings) for alert in alerts]
    return HttpRequest(url, orjson.dumps(body))


def alertmanager_alert(alert: Alert, text: Rendered, settings: KefuSettings) -> dict[str, Any]:
    """Alertmanager v2: a firing alert lives until two reminder periods pass without news."""
    shop = settings.shop(alert.shop_id)
    starts = alert.raised_at_ms
    if alert.state == FIRING:
        ends = starts + 2 * shop.renotify_minutes * MINUTE_MS
    elif alert.state == WARNING:
        ends = starts + max(5 * MINUTE_MS, 2 * shop.eval_every_seconds * 1000)
    else:
        ends = starts
    return {
        "labels": {
            "alertname": alert.rule,
            "alert_id": alert.alert_id,
            "shop": alert.shop_id,
            "agent": alert.agent_id,
            "severity": text.severity,
        },
        "annotations": {"summary": text.title, "description": text.body, "board": text.link},
        "startsAt": _rfc3339(starts),
        "endsAt": _rfc3339(ends),
        "generatorURL": text.link,
    }


def verdict(kind: str, status: int, body: bytes) -> Verdict:
    if status >= 300:
        return Verdict(False, status in _PERMANENT, f"HTTP {status}")
    if kind not in ("dingtalk", "wecom", "feishu"):
        return Verdict(True)
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Verdict(False, False, "robot answered with non-JSON")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, None):
        return Verdict(True)
    # A robot error code is about the request (signature, keyword, payload), not the weather;
    # rate limits are the exception and worth a retry.
    limited = code in (130101, 45009, 9499, 11232)
    message = answer.get("errmsg", answer.get("msg", ""))
    return Verdict(False, not limited, f"robot error {code}: {message}")


def _rfc3339(ms: int) -> str:
    return from_epoch_ms(ms).isoformat().replace("+00:00", "Z")
