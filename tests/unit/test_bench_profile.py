"""The profile's stage attribution (bench.profile.summarize) on hand-made py-spy raw stacks."""

from __future__ import annotations

from pathlib import Path

from bench.measure import RunnerResult
from bench.profile import summarize

LOOP = "thread (0x1) MainThread;run (asyncio/base_events.py:600);_run (asyncio/events.py:80)"
FETCH = "Fetcher._fetcher (faust/transport/consumer.py:1);Consumer._drain_messages (faust/transport/consumer.py:1)"
AGENT = "Agent._execute_actor (faust/agents/agent.py:1);install.<locals>.apply_batches (agents/snapshot_stage.py:223)"
TIMER = "App._task.<locals>._wrapped (faust/app/base.py:1);install.<locals>.snapshot_when_due (agents/snapshot_stage.py:228)"
STACKS = {
    f"{AGENT};SnapshotStage.handle (agents/snapshot_stage.py:99);EscalationPartition.apply_batch (agents/escalation/stage.py:1);Detector.apply (agents/escalation/detector.py:1)": 4,
    f"{AGENT};SnapshotStage.handle (agents/snapshot_stage.py:99);QcPartition.apply_batch (agents/qc/stage.py:1)": 3,
    f"{AGENT};SnapshotStage.handle (agents/snapshot_stage.py:99);unpack (schemas/packed.py:1)": 1,
    f"{TIMER};SnapshotStage.snapshot_if_due (agents/snapshot_stage.py:1);SnapshotStage._snapshot_and_ack (agents/snapshot_stage.py:1);compressed (agents/alarms/snapshot.py:1)": 2,
    FETCH: 1,
    "StatefulRunner.handle (agents/partition/agent.py:1);unpack (schemas/packed.py:1)": 1,
}


def test_the_side_stage_is_not_counted_as_faust_alarms_or_the_stateful_unpack(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text("".join(f"{LOOP};{stack} {n}\n" for stack, n in STACKS.items()))
    result = RunnerResult(
        "our pipeline", events=1000, seconds=1.0, cpu_seconds=1.0, peak_rss_bytes=0
    )
    stages = dict(summarize(raw, result).stages)
    assert stages == {
        "side stage: escalations (apply)": 4 / 12,
        "side stage: quality inspection (apply)": 3 / 12,
        "side stage: snapshots": 2 / 12,
        "side stage: other (unpack, publish, acks)": 1 / 12,
        "faust consumer and streams": 1 / 12,
        "stateful: unpack packed batch": 1 / 12,
    }
