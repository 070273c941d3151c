"""Our pipeline's workers seen from the harness: start, wait until joined, feed, collect.

The workers start on the data set's empty topics and say UP once their consumer groups
have settled; only then is the traffic produced (once, fast), and the lead is told
PRODUCED and waits until everything is stored. So no worker's clock holds a group join,
and no work is done before a clock starts. The producer overlaps the first seconds of
the run.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.dataset import DataSet
from bench.measure import PRODUCED, UP, RunnerResult
from bench.spawn import Runner

SETTLE_SECONDS = 1.0  # after the last UP, for a rebalance it caused elsewhere to end


# The figure: QC's cost with a dictionary of this many entries.
QC_ENTRIES = 2000


def _args(data: DataSet, partitions: int, workdir: Path, index: int, qc: bool) -> list[str]:
    args = ["--bootstrap", data.bootstrap, "--prefix", data.prefix, "--partitions", str(partitions)]
    args += ["--qc-entries", str(QC_ENTRIES if qc else 0)]
    args += ["--workdir", str(workdir / data.prefix / f"w{index}")]
    args += ["--events", str(len(data.events)), "--flush-ms", str(data.flush_ms)]
    return args + (["--follower"] if index else [])


def run_workers(
    data: DataSet,
    partitions: int,
    workdir: Path,
    workers: int = 1,
    wrap: list[str] | None = None,
    *,
    qc: bool = True,
) -> tuple[RunnerResult, list[RunnerResult]]:
    """The lead's result and the followers'; `wrap` prefixes the lead's command (py-spy);
    `qc` runs quality inspection with a dictionary of QC_ENTRIES entries."""
    runners = [
        Runner(
            "bench.runners.pipeline",
            _args(data, partitions, workdir, i, qc),
            workdir,
            wrap=None if i else wrap,
        )  # fmt: skip
        for i in range(workers)
    ]
    try:
        for runner in runners:
            runner.wait_ready()
        for runner in runners:
            runner.go()
        for runner in runners:
            runner.expect(UP)
        time.sleep(SETTLE_SECONDS)
        data.produce()
        lead = runners[0]
        lead.tell(PRODUCED)
        lead.close_stdin()
        result = lead.result()
        for follower in runners[1:]:
            follower.close_stdin()
        return result, [follower.result() for follower in runners[1:]]
    finally:
        for runner in runners:
            runner.kill()
