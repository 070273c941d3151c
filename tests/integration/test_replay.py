"""`replay` through the real path on both brokers: every good event stored once, every bad line a
dead letter with its reason, and inquiries equal to the independent batch reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.replay import replay
from schemas.events import ChatMessage, Rating
from sinks.chdb_store import ChdbStore
from tests.integration.conftest import Broker
from tests.integration.replay_support import (
    as_rows,
    expected_inquiries,
    generated_file,
    settings_for,
    stored_inquiries,
    valid_events,
)

pytestmark = pytest.mark.kafka


async def test_noisy_day_equals_reference(
    kafka_broker: Broker, tmp_path: Path, unique_name: str
) -> None:
    path = generated_file(
        tmp_path, seed=11, disorder_seconds=20, duplicate_rate=0.02, malformed_rate=0.01
    )
    settings = settings_for(kafka_broker, tmp_path, unique_name)
    good, bad = valid_events(path)
    assert bad > 0

    counts = await replay(settings, [path])

    unique = {e.event_id: e for e in good}
    assert counts.events == len(good) + bad
    assert counts.dead_letters == bad
    assert counts.duplicates == len(good) - len(unique)
    expected = expected_inquiries(list(unique.values()), settings)
    store = ChdbStore(settings.store_dir)
    try:
        chats = sum(isinstance(e, ChatMessage) for e in unique.values())
        ratings = sum(isinstance(e, Rating) for e in unique.values())
        assert store.query("SELECT count() FROM chat_messages FINAL").scalar() == chats
        assert store.query("SELECT count() FROM ratings FINAL").scalar() == ratings
        reasons = store.query("SELECT reason FROM dead_letters FINAL").rows
        assert len(reasons) == bad and all(r[0] for r in reasons)
        stored, wanted = set(as_rows(stored_inquiries(store))), set(as_rows(expected))
        assert not stored ^ wanted, (
            f"only stored: {sorted(stored - wanted, key=str)[:5]}, only expected: {sorted(wanted - stored, key=str)[:5]}"
        )
        assert counts.inquiries == len(expected)
    finally:
        store.close()


async def test_replaying_again_changes_nothing(
    kafka_broker: Broker, tmp_path: Path, unique_name: str
) -> None:
    path = generated_file(tmp_path, seed=12, days=0.05)
    settings = settings_for(kafka_broker, tmp_path, unique_name)
    first = await replay(settings, [path])
    again = await replay(settings, [path])
    assert again.inquiries == first.inquiries
    store = ChdbStore(settings.store_dir)
    try:
        good, _ = valid_events(path)
        assert store.query("SELECT count() FROM chat_messages FINAL").scalar() == sum(
            isinstance(e, ChatMessage) for e in good
        )
    finally:
        store.close()
