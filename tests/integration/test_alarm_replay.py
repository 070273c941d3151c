"""The issue's "done when": a generated day with a silent agent, replayed through the real path,
fires reply_rate_5m for exactly that shop during the incident, resolves it after (only on a
measured recovery, or with a stated reason and no rate), stores every alert change and
delivers it to a local webhook, per-agent changes as one message per shop and evaluation."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from agents import cadence
from agents.alarms import snapshot
from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings
from core.topics import topics_for
from pipeline import replay as replay_module
from pipeline.embedded_broker import TansuBroker
from pipeline.generator import GenConfig, Incident, generate, write_jsonl
from pipeline.replay import replay, send_files, wait_stored
from pipeline.runtime import running
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
Offsets = dict[TopicPartition, int]
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
    assert_resolved_on_evidence(settings)
    assert_one_message_per_shop_and_evaluation(settings, receiver)
    delays = alert_delays(receiver.at("/hook"))
    log.info("evaluation to webhook request over %d alerts: %s", len(delays), percentiles(delays))
    assert percentiles(delays)["p99"] < 10.0


def assert_resolved_on_evidence(settings: KefuSettings) -> None:
    """No per-agent or shop alert resolved below its threshold or for lack of data."""
    store = ChdbStore(settings.store_dir)
    try:
        resolved = store.query(
            "SELECT alert_id, reason, value, inquiries FROM alerts FINAL "
            "WHERE rule = 'reply_rate_5m' AND state = 'resolved'"
        ).rows
    finally:
        store.close()
    assert resolved
    shop = settings.shop("s2")
    for alert_id, reason, value, inquiries in resolved:
        if reason == "recovered":
            assert inquiries >= shop.min_inquiries, alert_id
            assert value >= shop.threshold + shop.hysteresis - 1e-9, alert_id
        else:
            assert (reason, value) in {("no inquiries", None), ("service hours ended", None)}


def assert_one_message_per_shop_and_evaluation(settings: KefuSettings, receiver: Receiver) -> None:
    """Each shop's per-agent changes of one evaluation came in exactly one webhook message."""
    store = ChdbStore(settings.store_dir)
    try:
        stored = store.query(
            "SELECT alert_id, state, toUnixTimestamp64Milli(event_time) FROM alerts FINAL "
            "WHERE rule = 'reply_rate_5m' AND agent_id != ''"
        ).rows
    finally:
        store.close()
    # Per-agent reply-rate alerts only: work-order SLA alerts name an agent too.
    messages = [
        r.body["alerts"]
        for r in receiver.at("/hook")
        if r.body["alert"]["rule"] == "reply_rate_5m" and r.body["alert"]["agent_id"] != ""
    ]
    keys = [
        {(a["shop_id"], a["state"], a["reminder"], a["event_time"]) for a in alerts}
        for alerts in messages
    ]
    assert all(len(key) == 1 for key in keys)
    assert len({next(iter(key)) for key in keys}) == len(keys)
    sent = {(a["alert_id"], a["state"], a["event_time"]) for alerts in messages for a in alerts}
    assert sent == {tuple(row) for row in stored}


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
    tansu_broker: TansuBroker, unique_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alarm state survives a stop and a crash: the day in three replays stores exactly the
    alerts of one straight replay. The first worker snapshots once in the middle (a full
    snapshot) and as it stops (a delta on it); the second dies after producing its alerts
    but before any alarm snapshot, so the third restores the first's full snapshots and
    deltas, reads the second's input again and produces its alerts again."""
    path = tmp_path / "day.jsonl"
    config = GenConfig(
        seed=0, start=DAY + timedelta(hours=9), days=3 / 24, buyers_per_shop_day=800,
        incidents=[INCIDENT],
    )  # fmt: skip
    write_jsonl(generate(config), path)
    lines = path.read_bytes().splitlines(keepends=True)
    # Cut inside the incident, while episodes are open and buyers wait.
    cuts = [ms(INCIDENT.start + timedelta(minutes=m)) for m in (8, 15, 30)]
    heads = [next(i for i, line in enumerate(lines) if _occurred_ms(line) >= c) for c in cuts]
    parts = [tmp_path / f"part{n}.jsonl" for n in range(4)]
    for part, start, end in zip(parts, [0, *heads], [*heads, len(lines)], strict=True):
        part.write_bytes(b"".join(lines[start:end]))
    broker = Broker("tansu", tansu_broker.bootstrap)

    straight = settings_for(broker, tmp_path / "straight", f"{unique_name}-s")
    await replay(straight, [path])
    name = f"{unique_name}-r"
    restarted = settings_for(broker, tmp_path / "restarted", name)
    topics = topics_for(restarted)
    # No snapshot falls due in the first two runs, not even when their input pauses: their
    # alarm input is held until the stop. (The stateful stage then checkpoints on its
    # interval only, which the crash in the second run is safe against as well.)
    held = settings_for(broker, tmp_path / "restarted", name, alarm_snapshot_seconds=3600)
    with monkeypatch.context() as patch:
        patch.setattr(cadence, "IDLE_SECONDS", 3600.0)
        await replay_and_stop(held, parts[:2], monkeypatch, crash=False)
        # The clean stop snapshotted the held input and committed it.
        await wait_committed(
            broker.bootstrap, name, await end_offsets(broker.bootstrap, [topics.inquiry_changes]),
            stall_seconds=5,
        )  # fmt: skip
        chains = [
            await snapshot.read_chain(broker.bootstrap, topics.alarm_state, p)
            for p in range(restarted.partitions)
        ]
        assert any(chain and len(chain) > 1 for chain in chains), "no delta to restore"
        await replay_and_stop(held, parts[2:3], monkeypatch, crash=True)
    await replay(restarted, [parts[3]])

    expected = stored_alert_keys(straight)
    assert any(k[0] == "reply_rate_5m" and k[3] == "resolved" for k in expected)
    assert stored_alert_keys(restarted) == expected
    # The replayed input produced its alerts twice; the table and the notifier collapse them.
    once = await alert_messages(broker.bootstrap, straight)
    assert once == len(expected)
    assert await alert_messages(broker.bootstrap, restarted) > once


async def replay_and_stop(
    settings: KefuSettings, paths: list[Path], monkeypatch: pytest.MonkeyPatch, *, crash: bool
) -> None:
    """`replay` each file until the alerts are stored, not until the alarm input is
    committed, with an alarm snapshot between files; then the worker stops, or dies as a
    kill -9 would leave it: its shutdown snapshots never arrive."""
    topics = topics_for(settings)
    with monkeypatch.context() as patch:
        async with running(settings) as run:
            alarms = run.pipeline.alarms
            assert alarms is not None
            for number, path in enumerate(paths):
                if number:
                    await alarms.flush()
                before = await end_offsets(run.bootstrap, [topics.inquiry_changes])

                async def alerts_stored(
                    bootstrap: str, _settings: KefuSettings, before: Offsets = before
                ) -> None:
                    after = await end_offsets(bootstrap, [topics.inquiry_changes])
                    new = {tp.partition: end - 1 for tp, end in after.items() if end > before[tp]}
                    assert new, "the stateful stage sent the alarms nothing"
                    # Held: applied, evaluated and published, waiting for a snapshot.
                    while any(alarms.held_offsets().get(p, -1) < last for p, last in new.items()):
                        await asyncio.sleep(0.05)
                    alerts = await end_offsets(bootstrap, [topics.alerts])
                    await wait_committed(bootstrap, settings.app_id, alerts)

                patch.setattr(replay_module, "wait_alarms", alerts_stored)
                sent = await send_files(run.bootstrap, topics, [path])
                await wait_stored(run, sent.latest_ms)
            if crash:

                async def killed(*_: object) -> int:
                    msg = "the worker is gone"
                    raise ConnectionError(msg)

                patch.setattr(snapshot, "write", killed)


async def alert_messages(bootstrap: str, settings: KefuSettings) -> int:
    return sum((await end_offsets(bootstrap, [topics_for(settings).alerts])).values())


def _occurred_ms(line: bytes) -> int:
    return to_epoch_ms(orjson.loads(line)["occurred_at"])
