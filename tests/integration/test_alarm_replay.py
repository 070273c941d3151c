"""The issue's "done when": a generated day with a silent agent, replayed through the real path,
fires reply_rate_5m for exactly that shop during the incident, resolves it after, stores
every alert change and delivers it to a local webhook."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from prometheus_client import REGISTRY

from pipeline.embedded_broker import TansuBroker
from pipeline.generator import GenConfig, Incident, generate, write_jsonl
from pipeline.replay import replay
from pipeline.settings import KefuSettings
from schemas.timestamps import to_epoch_ms
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.prom_fixtures import Receiver, alert_delays, percentiles, receiver
from tests.integration.replay_support import settings_for

__all__ = ["receiver"]
log = logging.getLogger(__name__)
pytestmark = [pytest.mark.kafka, pytest.mark.slow]

DAY = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # 2026-11-23 00:00 in Shanghai
INCIDENT = Incident("s2", "s2-a1", DAY + timedelta(hours=10), DAY + timedelta(hours=10, minutes=40))
# How long after the incident a shop-wide window can still hold its misses: 5 min + window.
TAIL = timedelta(minutes=20)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def test_silent_agent_day_alarms_that_shop_only(
    tansu_broker: TansuBroker, unique_name: str, tmp_path: Path, receiver: Receiver
) -> None:
    path = tmp_path / "day.jsonl"
    # 800 buyers a shop-day keep a daytime window well above the minimum of 10 inquiries.
    config = GenConfig(seed=0, start=DAY, days=1.0, buyers_per_shop_day=800, incidents=[INCIDENT])
    write_jsonl(generate(config), path)
    settings = settings_for(
        Broker("tansu", tansu_broker.bootstrap), tmp_path, unique_name,
        notify={"channels": {"hook": {"kind": "webhook", "url": receiver.url("/hook")}},
                "routes": [{"channels": ["hook"]}]},
    )  # fmt: skip

    late_before = REGISTRY.get_sample_value("kefu_alarm_late_rows_total") or 0.0
    counts = await replay(settings, [path])
    late = (REGISTRY.get_sample_value("kefu_alarm_late_rows_total") or 0.0) - late_before

    store = ChdbStore(settings.store_dir)
    try:
        rows = store.query(
            "SELECT alert_id, shop_id, agent_id, state, toUnixTimestamp64Milli(event_time), message "
            "FROM alerts FINAL WHERE rule = 'reply_rate_5m' ORDER BY event_time, alert_id, state"
        ).rows
        stored = store.query("SELECT count() FROM alerts FINAL").scalar()
    finally:
        store.close()
    assert counts.alerts >= stored > 0
    # The contract the alarms rest on: nothing changes a window after it was evaluated
    # (the stateful stage's horizon trails ingest's watermark, so its input is complete).
    assert late == 0, f"{late:.0f} inquiry changes came behind the stateful stage's horizon"

    shop_wide = [r for r in rows if r[2] == ""]
    assert {r[1] for r in shop_wide} == {"s2"}, shop_wide
    fired = [r for r in shop_wide if r[3] == "firing"]
    assert fired and all(ms(INCIDENT.start) <= r[4] <= ms(INCIDENT.end + TAIL) for r in fired)
    # Every episode ends resolved, after the incident's last misses left the window.
    episodes = {r[0] for r in shop_wide}
    resolved = {r[0]: r[4] for r in shop_wide if r[3] == "resolved"}
    assert episodes == set(resolved)
    assert max(resolved.values()) > ms(INCIDENT.end)
    assert all("五分钟回复率" in r[5] for r in shop_wide)
    # The silent agent has its own alarm during the incident as well.
    assert any(r[1:4] == ("s2", "s2-a1", "firing") for r in rows)

    # The webhook got every stored reply-rate change of the shop (at least once).
    hooked = {
        (b["alert"]["alert_id"], b["alert"]["state"], b["alert"]["event_time"])
        for b in (r.body for r in receiver.at("/hook"))
        if b["alert"]["rule"] == "reply_rate_5m" and b["alert"]["agent_id"] == ""
    }
    assert hooked == {(r[0], r[3], r[4]) for r in shop_wide}
    delays = alert_delays(receiver.at("/hook"))
    log.info("evaluation to webhook request over %d alerts: %s", len(delays), percentiles(delays))
    assert percentiles(delays)["p99"] < 10.0


ALERT_KEYS_SQL = """
SELECT rule, shop_id, agent_id, state, alert_id, toUnixTimestamp64Milli(event_time)
FROM alerts FINAL ORDER BY event_time, rule, shop_id, agent_id, state
"""


def stored_alert_keys(settings: KefuSettings) -> list[tuple[object, ...]]:
    store = ChdbStore(settings.store_dir)
    try:
        return [tuple(row) for row in store.query(ALERT_KEYS_SQL).rows]
    finally:
        store.close()


async def test_a_worker_restart_mid_day_raises_the_same_alerts(
    tansu_broker: TansuBroker, unique_name: str, tmp_path: Path
) -> None:
    """Alarm state survives a restart: the day in two replays (the worker stops in between
    and restores the alarm snapshots) stores exactly the alerts of one straight replay."""
    path = tmp_path / "day.jsonl"
    config = GenConfig(
        seed=0, start=DAY + timedelta(hours=9), days=3 / 24, buyers_per_shop_day=800,
        incidents=[INCIDENT],
    )  # fmt: skip
    write_jsonl(generate(config), path)
    lines = path.read_bytes().splitlines(keepends=True)
    # Split inside the incident, while an episode is open.
    cut = ms(INCIDENT.start + timedelta(minutes=25))
    head = next(i for i, line in enumerate(lines) if _occurred_ms(line) >= cut)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_bytes(b"".join(lines[:head]))
    second.write_bytes(b"".join(lines[head:]))
    broker = Broker("tansu", tansu_broker.bootstrap)

    straight = settings_for(broker, tmp_path / "straight", f"{unique_name}-s")
    await replay(straight, [path])
    restarted = settings_for(broker, tmp_path / "restarted", f"{unique_name}-r")
    await replay(restarted, [first])
    await replay(restarted, [second])

    expected = stored_alert_keys(straight)
    assert any(k[0] == "reply_rate_5m" and k[3] == "resolved" for k in expected)
    assert stored_alert_keys(restarted) == expected


def _occurred_ms(line: bytes) -> int:
    return to_epoch_ms(orjson.loads(line)["occurred_at"])
