"""Notifier pure parts: Chinese text, payload per channel kind, verdicts, routes, settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

import orjson
import pytest
from pydantic import SecretStr, ValidationError

from agents.alarms.model import FIRING, RESOLVED, WARNING, Alert, WaitingBuyer
from agents.notify.channels import build, verdict
from agents.notify.message import render
from agents.notify.routing import channels_for, routed_channels
from agents.notify.signing import dingtalk_sign, feishu_sign
from core.errors import ConfigError
from core.settings import ChannelSettings, KefuSettings

T = 1_795_401_600_000  # 2026-11-23 02:40 UTC = 10:40 in Shanghai
MIN = 60_000


def alert(state: str = FIRING, rule: str = "reply_rate_5m", **more: object) -> Alert:
    base: dict[str, object] = dict(
        alert_id=f"{rule}:s1:*:{T}", rule=rule, shop_id="s1", agent_id="", state=state,
        value=0.625, threshold=0.8, inquiries=16, window_start_ms=T - 20 * MIN,
        window_end_ms=T - 5 * MIN, event_time_ms=T, raised_at_ms=T + 1500,
    )  # fmt: skip
    return Alert(**(base | more))  # type: ignore[arg-type]


def settings(**notify: object) -> KefuSettings:
    return KefuSettings(notify=notify or {})


def test_reply_rate_message_has_the_numbers_in_chinese() -> None:
    text = render(alert(), settings(board_url="http://grafana/d/x?var-shop={shop}"))
    assert text.title == "【告警】店铺 s1 五分钟回复率过低"
    assert "62.5%" in text.body and "80%" in text.body and "咨询 16 次" in text.body
    assert "10:20–10:35" in text.body and "2026-11-23 10:40" in text.body
    assert text.link == "http://grafana/d/x?var-shop=s1" and text.severity == "critical"
    default = render(alert(), KefuSettings(board_base_url="https://bi.example.cn/")).link
    assert default == (
        f"https://bi.example.cn/d/kefu-live-floor?var-shop=s1&from={T - 35 * MIN}&to={T + 5 * MIN}"
    )
    reminder = render(alert(reminder=True), settings())
    assert reminder.title.startswith("【提醒】") and "持续" in reminder.body
    assert render(alert(RESOLVED, value=0.9), settings()).title.startswith("【已恢复】")


def test_waiting_message_lists_buyers() -> None:
    waiting = alert(
        WARNING, "waiting_buyer", value=280.0, threshold=240.0, inquiries=2,
        buyers=(WaitingBuyer("b7", "s1-a1", 280.0), WaitingBuyer("b9", "", 250.0)),
    )  # fmt: skip
    text = render(waiting, settings())
    assert "2 位买家" in text.title and "4 分钟" in text.title
    assert "b7（4.7 分钟，s1-a1）" in text.body and "b9（4.2 分钟）" in text.body
    assert text.severity == "warning"


def channel(
    kind: str, url: str = "http://127.0.0.1:1/hook?access_token=t", secret: str = ""
) -> ChannelSettings:
    return ChannelSettings(kind=kind, url=SecretStr(url), secret=SecretStr(secret))


def test_dingtalk_signs_timestamp_and_secret_in_the_query() -> None:
    s = settings()
    request = build(channel("dingtalk", secret="SEC123"), [alert()], render(alert(), s), s, T)
    query = parse_qs(urlsplit(request.url).query)
    assert query["access_token"] == ["t"] and query["timestamp"] == [str(T)]
    expected = base64.b64encode(
        hmac.new(b"SEC123", f"{T}\nSEC123".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    body = orjson.loads(request.body)
    assert body["msgtype"] == "markdown" and "五分钟回复率" in body["markdown"]["text"]
    assert unquote_plus(dingtalk_sign(T, "SEC123")) == expected


def test_feishu_signs_in_the_body_with_the_key_as_hmac_key() -> None:
    s = settings()
    request = build(channel("feishu", secret="fs"), [alert()], render(alert(), s), s, T)
    body = orjson.loads(request.body)
    seconds = T // 1000
    key = f"{seconds}\nfs".encode()
    assert body["timestamp"] == str(seconds)
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == feishu_sign(seconds, "fs") and body["msg_type"] == "text"


def test_wecom_slack_webhook_and_alertmanager_shapes() -> None:
    s = settings()
    text = render(alert(), s)
    wecom = orjson.loads(build(channel("wecom"), [alert()], text, s, T).body)
    assert wecom["msgtype"] == "markdown" and wecom["markdown"]["content"].startswith("### ")
    slack = orjson.loads(build(channel("slack"), [alert()], text, s, T).body)
    assert slack["text"].startswith("*【告警】")
    hook = orjson.loads(build(channel("webhook"), [alert()], text, s, T).body)
    assert hook["alert"]["alert_id"] == alert().alert_id and hook["severity"] == "critical"
    am = build(channel("alertmanager", "http://127.0.0.1:9093/"), [alert()], text, s, T)
    assert am.url == "http://127.0.0.1:9093/api/v2/alerts"
    (posted,) = orjson.loads(am.body)
    assert posted["labels"] == {"alertname": "reply_rate_5m", "alert_id": alert().alert_id,
                                "shop": "s1", "agent": "", "severity": "critical"}  # fmt: skip
    assert posted["startsAt"].endswith("Z") and posted["endsAt"] > posted["startsAt"]
    resolved = orjson.loads(
        build(channel("alertmanager", "http://x"), [alert(RESOLVED)], text, s, T).body
    )[0]
    assert resolved["endsAt"] == resolved["startsAt"]


@pytest.mark.parametrize(
    ("kind", "status", "body", "ok", "permanent"),
    [
        ("webhook", 200, b"", True, False),
        ("webhook", 503, b"", False, False),
        ("slack", 404, b"no_service", False, True),
        ("dingtalk", 200, b'{"errcode":0,"errmsg":"ok"}', True, False),
        ("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}', False, True),
        ("dingtalk", 200, b'{"errcode":130101,"errmsg":"send too fast"}', False, False),
        ("feishu", 200, b'{"code":0,"msg":"success"}', True, False),
        ("feishu", 200, b'{"code":19021,"msg":"sign match fail"}', False, True),
        ("wecom", 200, b"<html>", False, False),
    ],
)
def test_verdicts(kind: str, status: int, body: bytes, ok: bool, permanent: bool) -> None:
    result = verdict(kind, status, body)
    assert (result.ok, result.permanent) == (ok, permanent)


def test_routes_by_shop_and_severity() -> None:
    s = settings(
        channels={"lead": {"kind": "dingtalk", "url": "http://x"}, "all": {"kind": "slack", "url": "http://y"}},
        routes=[
            {"shops": ["s1"], "severities": ["critical"], "channels": ["lead"]},
            {"channels": ["all"]},
        ],
    )  # fmt: skip
    assert channels_for(alert(), s) == {"lead", "all"}
    assert channels_for(alert(shop_id="s2"), s) == {"all"}
    assert channels_for(alert(WARNING, "waiting_buyer"), s) == {"all"}
    assert routed_channels(s) == ["all", "lead"]
    with pytest.raises(ValidationError, match="unknown channels"):
        settings(routes=[{"channels": ["nope"]}])


def test_channel_secrets_come_from_the_environment_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text(
        '[notify.channels.lead]\nkind = "dingtalk"\n[[notify.routes]]\nchannels = ["lead"]\n'
    )
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    monkeypatch.setenv(
        "KEFU_NOTIFY__CHANNELS__LEAD__URL", "https://robot/send?access_token=T0K3N-XYZ"
    )
    monkeypatch.setenv("KEFU_NOTIFY__CHANNELS__LEAD__SECRET", "SECxyz")
    loaded = KefuSettings()
    lead = loaded.notify.channels["lead"]
    assert (lead.kind, lead.secret.get_secret_value()) == ("dingtalk", "SECxyz")
    assert "T0K3N-XYZ" not in str(loaded.masked()) and "SECxyz" not in str(loaded.masked())
    config.write_text('[notify.channels.lead]\nkind = "dingtalk"\nsecret = "SECxyz"\n')
    with pytest.raises(ConfigError, match="KEFU_NOTIFY__CHANNELS__LEAD__SECRET"):
        KefuSettings()
