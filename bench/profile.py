"""Where our pipeline's time goes at full speed: py-spy over one worker, summed by stage.

py-spy samples the worker from outside (`record --format raw`, every thread, native code
left out), so the worker runs at nearly full speed. The event loop (MainThread) is what
limits a worker, so its samples are attributed to the first stage whose function is on
the stack (start-up, imports and store migration, left out); the sink thread (chDB
inserts) is reported apart, as the share of the run it spent inserting.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.dataset import DataSet
from bench.measure import RunnerResult
from bench.ours import run_workers

RATE_HZ = 100
# (stage, markers): a sample belongs to the first stage one of whose markers is on its stack.
STARTUP = ("_find_and_load", "prepare (bench/worker.py", "store_for (pipeline/runtime.py")
# The side stage (escalations and QC, agents/snapshot_stage.py) first: it runs as faust
# agents and timers, compresses its snapshots with the alarm snapshot module and unpacks
# with the stateful stage's helper, so without rows of its own its samples were counted as
# faust's, the alarms' snapshots' and the stateful unpack's. The stateful checkpoint before
# the alarm snapshots: its parts are compressed by the snapshot module's helper too.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("side stage: escalations (apply)", ("EscalationPartition.apply_batch",)),
    ("side stage: quality inspection (apply)", ("QcPartition.apply_batch",)),
    ("side stage: snapshots", ("SnapshotStage._snapshot",)),
    ("side stage: other (unpack, publish, acks)", ("agents/snapshot_stage.py",)),
    (
        "stateful: checkpoint (take_checkpoint, changelog)",
        ("PartitionState.take_checkpoint", "agents/partition/changelog.py"),
    ),
    ("alarms: state snapshots", ("AlarmPartition.take_", "agents/alarms/snapshot.py")),
    ("alarms: apply and evaluate", ("AlarmRunner.handle",)),
    ("stateful: encode inquiry changes", ("StatefulRunner._take_changes",)),
    ("stateful: unpack packed batch", ("unpack (schemas/packed.py",)),
    ("stateful: engine and rows (PartitionState.apply)", ("PartitionState.apply",)),
    ("stateful: store, publish, ack (background task)", ("StatefulRunner._perform",)),
    ("stateful: other", ("StatefulRunner.",)),
    ("ingest: validate and route", ("route (agents/ingest/router.py",)),
    ("ingest: other (poll, publish, commit)", ("IngestService.",)),
    ("alerts and dead-letter tables", ("alerts_table", "agents/dead_letters.py")),
    # What is left under faust's frames is its own: fetch loop, conductor, streams, timers.
    ("faust consumer and streams", ("faust/",)),
    ("aiokafka (fetch, produce, protocol)", ("aiokafka/",)),
    ("event loop waiting (select)", ("EpollSelector.select",)),
)


@dataclass(frozen=True)
class Profile:
    result: RunnerResult
    main_samples: int
    stages: list[tuple[str, float]]  # stage, share of the event loop's samples
    hot: list[tuple[str, float]]  # leaf functions, share of the event loop's samples
    sink_busy: float  # share of the run the chDB insert thread was inserting

    def cores(self) -> float:
        """CPU seconds of the worker per second of the run (above 1: threads beside the loop)."""
        result = self.result
        return result.cpu_seconds / result.seconds if result.seconds else 0.0


def _frames(stack: str) -> list[str]:
    return [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")[1:]]


def summarize(raw: Path, result: RunnerResult, top: int = 12) -> Profile:
    stages: Counter[str] = Counter()
    hot: Counter[str] = Counter()
    main = sink = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        thread = stack.split(";", 1)[0]
        if "kefu-sink" in thread and "ChdbStore.insert" in stack:
            sink += count
        if "MainThread" not in thread or any(mark in stack for mark in STARTUP):
            continue
        main += count
        frames = _frames(stack)
        if frames:
            hot[frames[-1]] += count
        joined = ";".join(frames)
        stage = next((name for name, marks in STAGES if any(m in joined for m in marks)), "other")
        stages[stage] += count
    share = 1 / main if main else 0.0
    return Profile(
        result=result,
        main_samples=main,
        stages=[(name, n * share) for name, n in stages.most_common()],
        hot=[(name, n * share) for name, n in hot.most_common(top)],
        sink_busy=sink / (result.seconds * RATE_HZ) if result.seconds else 0.0,
    )


def py_spy() -> str | None:
    """py-spy beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile_pipeline(data: DataSet, partitions: int, workdir: Path) -> Profile | None:
    spy = py_spy()
    if spy is None:
        return None
    raw = workdir / "pipeline.pyspy.txt"
    wrap = [
        spy,
        "record",
        "--format",
        "raw",
        "--rate",
        str(RATE_HZ),
        "--threads",
        "-o",
        str(raw),
        "--",
    ]
    result, _ = run_workers(data, partitions, workdir, wrap=wrap)
    return summarize(raw, result)
