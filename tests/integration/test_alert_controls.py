"""Silences and acks end to end: `kefu alerts silence|ack` puts them on the alert-controls
topic, a worker replaying a silent-agent day stores the silenced alerts but notifies none,
and the notifier drops an acked alert's reminders and a silenced agent from its group."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest

from agents.alarms.model import FIRING, Alert
from agents.controls.reader import ControlReader
from agents.notify.service import NotifierService
from core.settings import KefuSettings
from core.topics import ensure_topics, topics_for
from pipeline.cli import main
from pipeline.embedded_broker import TansuBroker
from pipeline.generator import GenConfig, generate, write_jsonl
from pipeline.replay import replay
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.prom_fixtures import Receiver, receiver
from tests.integration.replay_support import settings_for
from tests.integration.test_alarm_notifier import produce
from tests.integration.test_alarm_replay import DAY, INCIDENT

__all__ = ["receiver"]
pytestmark = pytest.mark.kafka

HOOK = {"channels": {"hook": {"kind": "webhook", "url": ""}}, "routes": [{"channels": ["hook"]}]}


def hooked(url: str) -> dict[str, object]:
    return {**HOOK, "channels": {"hook": {"kind": "webhook", "url": url}}}


def use_broker(monkeypatch: pytest.MonkeyPatch, settings: KefuSettings) -> None:
    """The CLI reads its settings from the environment, like an operator's shell."""
    assert settings.kafka_bootstrap is not None
    monkeypatch.setenv("KEFU_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
    monkeypatch.setenv("KEFU_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("KEFU_APP_ID", f"{settings.app_id}-cli")


async def kefu(*argv: str) -> int:
    """The command line as an operator runs it (its own event loop, off the test's)."""
    return await asyncio.to_thread(main, list(argv))


def fired(
    shop: str, agent: str, at: int, *, since: int | None = None, group: int = 0,
    reminder: bool = False,
) -> Alert:  # fmt: skip
    """A reply-rate alert evaluated at `at`, of the episode that fired at `since` (or then)."""
    episode = at if since is None else since
    return Alert(f"reply_rate_5m:{shop}:{agent or '*'}:{episode}", "reply_rate_5m", shop, agent,
                 FIRING, 0.1, 0.8, 12, at - 1_200_000, at - 300_000, at, at,
                 reminder=reminder, group=group)  # fmt: skip


@pytest.mark.slow
async def test_a_silenced_shop_is_stored_but_not_notified(
    tansu_broker: TansuBroker,
    unique_name: str,
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    incident = INCIDENT
    path = tmp_path / "day.jsonl"
    config = GenConfig(seed=0, start=DAY + timedelta(hours=9), days=3 / 24,
                       buyers_per_shop_day=800, incidents=[incident])  # fmt: skip
    write_jsonl(generate(config), path)
    settings = settings_for(
        Broker("tansu", tansu_broker.bootstrap), tmp_path, unique_name,
        notify=hooked(receiver.url("/hook")),
    )  # fmt: skip
    use_broker(monkeypatch, settings)
    silence = ["alerts", "silence", "--shop", "s2", "--for", "2h", "--reason", "drill"]
    assert await kefu(*silence, "--by", "lead") == 0
    assert "silenced shop s2 for 2h" in capsys.readouterr().out

    await replay(settings, [path])

    store = ChdbStore(settings.store_dir)
    try:
        stored = store.query(
            "SELECT shop_id, silenced FROM alerts FINAL WHERE rule = 'reply_rate_5m'"
        ).rows
        controls = store.query("SELECT kind, shop_id, reason, author FROM alert_controls").rows
    finally:
        store.close()
    assert stored and {shop for shop, _ in stored} == {"s2"}
    assert all(silenced == 1 for _, silenced in stored)
    assert controls == [("silence", "s2", "drill", "lead")]
    notified = {r.body["alert"]["shop_id"] for r in receiver.at("/hook")}
    assert "s2" not in notified


async def test_an_ack_stops_reminders_and_an_agent_silence_leaves_the_rest_of_its_group(
    tansu_broker: TansuBroker,
    unique_name: str,
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(
        Broker("tansu", tansu_broker.bootstrap), tmp_path, unique_name,
        notify={**hooked(receiver.url("/hook")), "retry_initial_seconds": 0.05},
    )  # fmt: skip
    await ensure_topics(tansu_broker.bootstrap, settings)
    use_broker(monkeypatch, settings)
    at = int(time.time() * 1000) // 60_000 * 60_000
    acked = fired("s3", "", at - 1_800_000)
    assert await kefu("alerts", "ack", acked.alert_id, "--by", "lead") == 0
    silence = ["alerts", "silence", "--shop", "s4", "--agent", "s4-a1", "--for", "30m"]
    assert await kefu(*silence, "--reason", "training") == 0

    reader = ControlReader(settings, tansu_broker.bootstrap)
    await reader.start()
    notifier = NotifierService(settings, tansu_broker.bootstrap, reader.book)
    try:
        assert reader.book.acked_by(acked.alert_id) == "lead"
        reminder = fired("s3", "", at, since=at - 1_800_000, reminder=True)
        assert reminder.alert_id == acked.alert_id
        group = [fired("s4", "s4-a1", at, group=2), fired("s4", "s4-a2", at, group=2)]
        last = fired("s3", "s3-a9", at + 60_000)
        await produce(tansu_broker.bootstrap, topics_for(settings).alerts,
                      [reminder, *group, last])  # fmt: skip
        await notifier.start()
        want = {last.alert_id, group[1].alert_id}
        await receiver.wait_for(lambda: want <= _sent(receiver), 60)
    finally:
        await notifier.stop()
        await reader.stop()
    bodies = [r.body for r in receiver.at("/hook")]
    assert [[a["agent_id"] for a in b["alerts"]] for b in bodies] in (
        [["s4-a2"], ["s3-a9"]],
        [["s3-a9"], ["s4-a2"]],
    )


def _sent(receiver: Receiver) -> set[str]:
    return {a["alert_id"] for r in receiver.at("/hook") for a in r.body["alerts"]}
