"""Duplicates older than the seen window change nothing: judged by what this lineage stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.inquiries.hours import hours_from_settings
from agents.partition import changelog
from agents.partition.old_duplicates import Lineage, beyond_window, stored_before
from agents.partition.state import PartitionState
from core.settings import KefuSettings
from schemas.inquiry import ANSWERED
from schemas.packed import PackedBatch
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from sinks.tables import CHAT_MESSAGES, INQUIRIES
from tests.unit.chat_events import chat

T0 = 1_763_863_200_000  # 2025-11-23 10:00 in Shanghai
MINUTE = 60_000


def answered_then_three_hours(state: PartitionState, emit: Any) -> None:
    state.apply(PackedBatch(events=[chat("m1", "b1", "buyer", T0),
                                    chat("m2", "b1", "agent", T0 + 10_000)]), 0, emit, T0)  # fmt: skip
    for k in range(1, 19):
        at = T0 + k * 10 * MINUTE
        state.apply(PackedBatch(events=[chat(f"x{k}", f"o{k}", "buyer", at)], watermark_ms=at),
                    k, emit, T0)  # fmt: skip


def latest(rows: list[tuple[str, tuple[Any, ...]]], inquiry_id: str) -> dict[str, Any]:
    found = [dict(zip(INQUIRIES, r, strict=True)) for t, r in rows if t == "inquiries"]
    return [r for r in found if r["inquiry_id"] == inquiry_id][-1]


def new_state() -> PartitionState:
    """Partition 0's state with a 30-minute seen window."""
    return PartitionState(0, hours_from_settings(KefuSettings()), 30_000, "paid", 30 * MINUTE)


def stored_chat(event_id: str, ingested_ms: int) -> dict[str, Any]:
    """A chat_messages row of buyer b1's message at T0, stored at `ingested_ms`."""
    return dict.fromkeys(CHAT_MESSAGES, None) | {
        "event_id": event_id, "shop_id": "s1", "buyer_id": "b1", "sender": "buyer",
        "agent_id": "", "occurred_at": T0, "msg_type": "text", "extra": "{}",
        "ingested_at": ingested_ms,
    }  # fmt: skip


def test_a_redelivery_hours_later_that_the_store_knows_changes_nothing() -> None:
    state = new_state()
    rows: list[tuple[str, tuple[Any, ...]]] = []
    emit = lambda table, row: rows.append((table, row))  # noqa: E731
    answered_then_three_hours(state, emit)
    resent = PackedBatch(events=[chat("m1", "b1", "buyer", T0)])
    assert [e["event_id"] for e in beyond_window(resent.events, state.seen.horizon_ms)] == ["m1"]
    stats = state.apply(resent, 30, emit, T0, frozenset({"m1"}))
    assert stats.duplicates == 1
    assert latest(rows, "m1")["status"] == ANSWERED


def test_without_the_store_such_a_redelivery_would_rewrite_history() -> None:
    """Why the store is asked: the seen window alone lets the old copy re-open the inquiry."""
    state = new_state()
    rows: list[tuple[str, tuple[Any, ...]]] = []
    emit = lambda table, row: rows.append((table, row))  # noqa: E731
    answered_then_three_hours(state, emit)
    state.apply(PackedBatch(events=[chat("m1", "b1", "buyer", T0)]), 30, emit, T0)
    assert latest(rows, "m1")["status"] != ANSWERED


def test_a_message_applied_beyond_the_window_is_remembered_in_process() -> None:
    state = new_state()
    answered_then_three_hours(state, lambda t, r: None)
    late_new = PackedBatch(events=[chat("m9", "b9", "buyer", T0 + MINUTE)])
    assert state.apply(late_new, 30, lambda t, r: None, T0).duplicates == 0
    assert state.apply(late_new, 31, lambda t, r: None, T0).duplicates == 1


def test_the_store_answers_only_for_what_this_lineage_stored_before_its_checkpoint(
    tmp_path: Path,
) -> None:
    with ChdbStore(tmp_path / "store") as store:
        migrate(store, "kefu", 180)
        row = stored_chat("m1", T0 + 5 * MINUTE)
        store.insert("chat_messages", CHAT_MESSAGES, [tuple(row[c] for c in CHAT_MESSAGES)])
        events = [chat("m1", "b1", "buyer", T0), chat("m7", "b1", "buyer", T0)]
        assert stored_before(store, events, Lineage(T0, T0 + 10 * MINUTE)) == {"m1"}
        # Stored by an earlier generation, or after the checkpoint: not a duplicate here.
        assert stored_before(store, events, Lineage(T0 + 6 * MINUTE, T0 + 10 * MINUTE)) == set()
        assert stored_before(store, events, Lineage(T0, T0 + 4 * MINUTE)) == set()


def test_what_a_lost_copy_stored_after_its_checkpoint_stays_out_of_the_lineage(
    tmp_path: Path,
) -> None:
    """A copy checkpointed at +10 min, stored m1 at +11 min and was killed; its state restored
    at +12 min does not hold m1, even once it has checkpointed again at +20 min."""
    killed = new_state()
    killed.started_ms = T0
    checkpoint = killed.take_checkpoint(T0 + 10 * MINUTE, full=True)
    restored = new_state()
    restored.load_checkpoint(changelog.decode(changelog.split(checkpoint)[0]))
    restored.resumed(T0 + 12 * MINUTE)
    again = new_state()
    again.load_checkpoint(restored.take_checkpoint(T0 + 20 * MINUTE, full=True))
    with ChdbStore(tmp_path / "store") as store:
        migrate(store, "kefu", 180)
        stored = {"m0": T0 + 5 * MINUTE, "m1": T0 + 11 * MINUTE, "m2": T0 + 15 * MINUTE}
        store.insert("chat_messages", CHAT_MESSAGES, [
            tuple(stored_chat(event_id, at)[c] for c in CHAT_MESSAGES)
            for event_id, at in stored.items()
        ])  # fmt: skip
        events = [chat(event_id, "b1", "buyer", T0) for event_id in stored]
        assert stored_before(store, events, again.lineage()) == {"m0", "m2"}
        assert stored_before(store, events, Lineage(T0, T0 + 20 * MINUTE)) == set(stored)
