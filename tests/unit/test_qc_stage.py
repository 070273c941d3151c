"""The QC stage finds the same as inspecting in event order, however input is batched, held
back within the lateness, redelivered or cut by a restore from its snapshots (full ones and
deltas); its dictionary reloads live."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.alarms.model import Alert
from agents.qc.context import Conversations
from agents.qc.dictionary import DEFAULT_PATH, reload
from agents.qc.findings import Finding, Message
from agents.qc.live_rules import LiveRules
from agents.qc.stage import QcPartition
from agents.qc.wire import critical_alert, finding_json, finding_row, raises_alert
from core.settings import KefuSettings, QcSettings
from pipeline.generator.qc_day import event
from pipeline.generator.qc_plant import SHOPS, plant
from schemas.packed import pack, pack_flush
from tests.unit.snapshot_chains import KINDS, Chain
from tests.unit.test_qc_eval import shop_config

SETTINGS = KefuSettings()
RULES = reload(shops=[shop_config(s) for s in SHOPS])
LINES = plant(seed=7, conversations=60)
LATENESS_MS = SETTINGS.lateness_seconds * 1000


def in_event_order() -> list[Finding]:
    memory = Conversations()
    return [
        f
        for line in LINES
        for f in memory.inspect(
            Message(
                line.event_id,
                line.shop_id,
                line.buyer_id,
                line.agent_id,
                line.sender,
                line.occurred_at_ms,
                line.text,
            ),  # fmt: skip
            RULES,
        )
    ]


def delivered(seed: int, duplicates: float) -> list[dict[str, Any]]:
    """Events shuffled within less than the lateness, some delivered twice."""
    rng = random.Random(seed)
    keyed = [(line.occurred_at_ms + rng.randrange(LATENESS_MS // 2), event(line)) for line in LINES]
    keyed += [(at + rng.randrange(60_000), e) for at, e in keyed if rng.random() < duplicates]
    return [e for _, e in sorted(keyed, key=lambda p: p[0])]


def run(
    events: list[dict[str, Any]],
    size: int,
    kinds: Sequence[str | None] = (),
    restore_at: int | None = None,
) -> list[Finding]:
    """Batches of `size`, snapshotting after batch i as `kinds[i]` says and after batch
    `restore_at`, then restoring from the snapshots there."""
    stage = QcPartition(SETTINGS, lambda: RULES)
    chain = Chain()
    out: list[Finding] = []
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    for offset, batch in enumerate(batches):
        mark = max(e["occurred_at"] for e in batch) - LATENESS_MS // 2
        out += stage.apply(pack([orjson.dumps(e) for e in batch], mark, "m1"), offset)
        kind = kinds[offset] if offset < len(kinds) else None
        chain.take(stage, kind or ("delta" if offset == restore_at else None))
        if offset == restore_at:
            restored = chain.restore(QcPartition(SETTINGS, lambda: RULES))
            assert state_of(restored) == state_of(stage)
            stage = restored
    return out + stage.apply(pack_flush(LINES[-1].occurred_at_ms + 1), len(batches))


def state_of(stage: QcPartition) -> dict[str, Any]:
    """The full snapshot, with the held messages and ids in a fixed order (nothing reads
    theirs); the pending questions' order is kept, as it decides which goes first when full."""
    dumped = stage.dump()
    return {**dumped, "waiting": sorted(map(repr, dumped["waiting"])), "seen": dict(dumped["seen"])}


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10_000), st.integers(1, 50), KINDS, st.integers(0, 30), st.sampled_from((0, 0.1))
)
def test_batching_disorder_duplicates_and_snapshots_change_nothing(
    seed: int, size: int, kinds: list[str | None], restore_at: int, duplicates: float
) -> None:
    found = run(delivered(seed, duplicates), size, kinds, restore_at)
    assert sorted(map(repr, found)) == sorted(map(repr, in_event_order()))


def test_the_reference_finds_something_in_every_category() -> None:
    categories = {f.category for f in in_event_order()}
    assert {"vague_answer", "missed_promotion", "off_platform", "complaint_threat"} <= categories


def test_wire_round_trip_and_critical_alerts() -> None:
    finding = next(f for f in in_event_order() if f.category == "off_platform")
    row = finding_row(finding_json(finding, date(2026, 11, 24)))
    assert (
        row[0] == finding.event_id and row[6] == date(2026, 11, 24) and row[10] == finding.matched
    )
    assert raises_alert(finding)
    alert = Alert.from_json(critical_alert(finding, 1).to_json())
    assert alert.rule == "qc_critical" and finding.matched in alert.message
    assert not [f for f in in_event_order() if f.sender == "buyer" and raises_alert(f)]


def test_the_dictionary_reloads_live_and_a_bad_file_keeps_the_old(tmp_path: Path) -> None:
    shops = tmp_path / "shops.yaml"
    shops.write_text("shops: {}\n", encoding="utf-8")
    now = [0.0]
    live = LiveRules(QcSettings(dictionary=DEFAULT_PATH, shops_file=shops), clock=lambda: now[0])
    msg = Message("e1", "s9", "b", "a", "agent", 0, "亲，我们店有芒果味的哦")
    assert not Conversations().inspect(msg, live.current())
    shops.write_text(
        "shops:\n  s9:\n    rules:\n      - {rule_id: s9.word, category: forbidden_claim,"
        " severity: warning, source: test, terms: [芒果味]}\n",
        encoding="utf-8",
    )
    now[0] = 60.0
    assert [f.rule_id for f in Conversations().inspect(msg, live.current())] == ["s9.word"]
    shops.write_text("shops:\n  s9:\n    rules:\n      - {rule_id: broken}\n", encoding="utf-8")
    now[0] = 120.0
    assert [f.rule_id for f in Conversations().inspect(msg, live.current())] == ["s9.word"]
    assert live.reloads == 1
