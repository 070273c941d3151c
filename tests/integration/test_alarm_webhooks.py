"""Each channel kind against a local receiver that checks its signature scheme, and against
a real Alertmanager's v2 API; failures retry with backoff and end parked, not lost."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from agents.alarms.model import FIRING, RESOLVED, Alert, WaitingBuyer
from agents.notify.delivery import Deliverer
from core.settings import ChannelSettings, KefuSettings
from tests.integration.prom_fixtures import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    PromStack,
    Receiver,
    get_json,
    prom_stack,
    receiver,
    session_receiver,
)

__all__ = ["prom_stack", "receiver", "session_receiver"]  # fixtures used by name


def alert(state: str = FIRING, **more: Any) -> Alert:
    now = int(time.time() * 1000)
    base: dict[str, Any] = dict(
        alert_id=f"reply_rate_5m:s1:*:{now // 60_000 * 60_000}", rule="reply_rate_5m",
        shop_id="s1", agent_id="", state=state, value=0.6, threshold=0.8, inquiries=15,
        window_start_ms=now - 20 * 60_000, window_end_ms=now - 5 * 60_000,
        event_time_ms=now, raised_at_ms=now,
    )  # fmt: skip
    return Alert(**(base | more))


def deliverer(kind: str, url: str, session: aiohttp.ClientSession, secret: str = "",
              **notify: Any) -> Deliverer:  # fmt: skip
    settings = KefuSettings(notify={"retry_initial_seconds": 0.01, **notify})
    channel = ChannelSettings(kind=kind, url=url, secret=secret)
    return Deliverer(kind, channel, settings, session)


@pytest.mark.parametrize(
    ("kind", "path", "secret"),
    [
        ("webhook", "/hook", ""),
        ("dingtalk", "/dingtalk?access_token=tok", DINGTALK_SECRET),
        ("wecom", "/wecom?key=k", ""),
        ("feishu", "/feishu", FEISHU_SECRET),
        ("slack", "/slack", ""),
    ],
)
async def test_each_webhook_kind_is_accepted_with_a_valid_signature(
    receiver: Receiver, kind: str, path: str, secret: str
) -> None:
    async with aiohttp.ClientSession() as session:
        outcome = await deliverer(kind, receiver.url(path), session, secret).deliver(alert())
    assert outcome.delivered and outcome.attempts == 1
    (got,) = receiver.received
    assert got.valid and got.path == path.split("?")[0]
    assert "五分钟回复率" in str(got.body)


@pytest.mark.parametrize(("kind", "path"), [("dingtalk", "/dingtalk"), ("feishu", "/feishu")])
async def test_a_wrong_secret_is_rejected_once_and_not_retried(
    receiver: Receiver, kind: str, path: str
) -> None:
    async with aiohttp.ClientSession() as session:
        outcome = await deliverer(kind, receiver.url(path), session, "wrong").deliver(alert())
    assert not outcome.delivered and outcome.attempts == 1 and "robot error" in outcome.reason
    assert [r.valid for r in receiver.received] == [False]


async def test_a_receiver_that_is_down_gets_retries_with_backoff_then_the_alert(
    receiver: Receiver,
) -> None:
    receiver.down = True
    async with aiohttp.ClientSession() as session:
        hook = deliverer("webhook", receiver.url("/hook"), session, max_attempts=20)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if len(sleeps) == 4:
                receiver.down = False

        hook._sleep = sleep  # noqa: SLF001 - the backoff schedule, without waiting it out
        outcome = await hook.deliver(alert())
    assert outcome.delivered and outcome.attempts == 5
    assert sleeps == [0.01, 0.02, 0.04, 0.08]
    assert len(receiver.at("/hook")) == 1


async def test_a_receiver_that_never_answers_ends_parked(receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as session:
        closed = "http://127.0.0.1:9/hook"  # discard port: nothing listens on loopback
        outcome = await deliverer("webhook", closed, session, max_attempts=3).deliver(alert())
    assert not outcome.delivered and outcome.attempts == 3
    assert "ClientConnectorError" in outcome.reason


async def test_alertmanager_v2_api_takes_firing_and_resolved(
    prom_stack: PromStack, session_receiver: Receiver
) -> None:
    url = prom_stack.alertmanager.url
    fired = alert(shop_id="s-am", alert_id="reply_rate_5m:s-am:*:1")
    async with aiohttp.ClientSession() as session:
        am = deliverer("alertmanager", url, session)
        assert (await am.deliver(fired)).delivered
        active = get_json(f"{url}/api/v2/alerts?filter=shop%3D%22s-am%22")
        assert [a["labels"]["alert_id"] for a in active] == [fired.alert_id]
        assert active[0]["annotations"]["summary"] == "【告警】店铺 s-am 五分钟回复率过低"
        await session_receiver.wait_for(
            lambda: any(_am_alert(r.body, "s-am", "firing") for r in session_receiver.received), 30
        )
        assert (
            await am.deliver(alert(RESOLVED, shop_id="s-am", alert_id=fired.alert_id))
        ).delivered
        await session_receiver.wait_for(
            lambda: any(_am_alert(r.body, "s-am", "resolved") for r in session_receiver.received),
            30,
        )
        waiting = alert(
            "warning", rule="waiting_buyer", shop_id="s-am", alert_id="waiting_buyer:s-am:*:1",
            buyers=(WaitingBuyer("b1", "s-am-a1", 250.0),),
        )  # fmt: skip
        assert (await am.deliver(waiting)).delivered


def _am_alert(body: Any, shop: str, status: str) -> bool:
    return isinstance(body, dict) and any(
        a["labels"].get("shop") == shop and a["status"] == status for a in body.get("alerts", [])
    )
