"""End to end with the real programs: a running worker's /metrics scraped by Prometheus, the
reply-rate rule firing into Alertmanager, and Alertmanager posting to a local receiver; the
notifier's own alert reaches the same Alertmanager through its v2 API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.topics import topics_for
from pipeline.embedded_broker import TansuBroker
from pipeline.generator import GenConfig, Incident, generate, write_jsonl
from pipeline.replay import send_files, wait_stored
from pipeline.runtime import running
from tests.integration.conftest import Broker
from tests.integration.prom_fixtures import PromStack, Receiver, prom_stack, session_receiver
from tests.integration.replay_support import settings_for

__all__ = ["prom_stack", "session_receiver"]
pytestmark = [pytest.mark.kafka, pytest.mark.slow]

DAY = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # 2026-11-23 00:00 in Shanghai
# s3's agent a1 goes silent at 10:00; the traffic ends at 10:30, inside the incident.
INCIDENT = Incident("s3", "s3-a1", DAY + timedelta(hours=10), DAY + timedelta(hours=10, minutes=40))
WAIT_SECONDS = 90.0


def _posted(receiver: Receiver, path: str, alertname: str, shop: str) -> list[dict[str, Any]]:
    return [
        a
        for r in receiver.at(path)
        for a in r.body.get("alerts", [])
        if a["labels"].get("alertname") == alertname and a["labels"].get("shop") == shop
    ]


async def test_rule_fires_from_the_worker_gauges_through_alertmanager(
    prom_stack: PromStack, session_receiver: Receiver, tansu_broker: TansuBroker,
    unique_name: str, tmp_path: Path,
) -> None:  # fmt: skip
    path = tmp_path / "morning.jsonl"
    config = GenConfig(
        seed=5, start=DAY + timedelta(hours=9), days=1.5 / 24, shops=3,
        buyers_per_shop_day=1200, incidents=[INCIDENT],
    )  # fmt: skip
    write_jsonl(generate(config), path)
    settings = settings_for(
        Broker("tansu", tansu_broker.bootstrap), tmp_path, unique_name,
        web_port=prom_stack.target_port,
        notify={"channels": {"am": {"kind": "alertmanager", "url": prom_stack.alertmanager.url}},
                "routes": [{"shops": ["s3"], "severities": ["critical"], "channels": ["am"]}]},
    )  # fmt: skip
    async with running(settings, web=True) as run:
        sent = await send_files(run.bootstrap, topics_for(settings), [path])
        await wait_stored(run, sent.latest_ms)
        hook = prom_stack.hook
        # Prometheus: scrape, rule `for` (1s in the test copy), then Alertmanager's group_wait.
        await session_receiver.wait_for(
            lambda: bool(_posted(session_receiver, hook, "KefuReplyRateBreach", "s3")),
            WAIT_SECONDS,
        )
        # The notifier posted its own alert to the same Alertmanager, which routed it too.
        await session_receiver.wait_for(
            lambda: bool(_posted(session_receiver, hook, "reply_rate_5m", "s3")), WAIT_SECONDS
        )
    (rule_alert,) = _posted(session_receiver, hook, "KefuReplyRateBreach", "s3")[:1]
    assert rule_alert["status"] == "firing" and rule_alert["labels"]["severity"] == "critical"
    assert "低于阈值" in rule_alert["annotations"]["summary"]
    assert not _posted(session_receiver, hook, "KefuReplyRateBreach", "s1")
    notified = _posted(session_receiver, hook, "reply_rate_5m", "s3")[0]
    assert "五分钟回复率" in notified["annotations"]["description"]
    breached = {a["labels"]["shop"] for a in prom_stack.active_alerts()
                if a["labels"]["alertname"] == "KefuReplyRateBreach"}  # fmt: skip
    assert "s3" in breached
