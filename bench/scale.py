"""Pipeline throughput with 1, 2 and 4 partitions and 1 and 2 worker processes.

A second worker is a second process running `pipeline.runtime.running` against the same
broker with the same app_id and its own store directory (chDB allows one store per
process, so each worker stores the rows of its own partitions; together they hold all).
Both join their groups before the traffic is produced (bench.ours). Each combination
reads its own copy of the same traffic from a fresh topic prefix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bench.dataset import prepare
from bench.measure import RunnerResult
from bench.ours import run_workers
from bench.traffic import TrafficSpec

log = logging.getLogger(__name__)

PARTITIONS = (1, 2, 4)
WORKERS = (1, 2)


@dataclass(frozen=True)
class ScaleRow:
    partitions: int
    workers: int
    events: int
    seconds: float
    cpu_seconds: float  # all workers
    peak_rss_bytes: int  # the largest worker
    stored: int  # chat messages stored, all workers

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_million(self) -> float:
        return self.cpu_seconds / self.events * 1e6 if self.events else 0.0


def combine(partitions: int, lead: RunnerResult, followers: list[RunnerResult]) -> ScaleRow:
    """The lead's clock from the earliest first event of any worker to all stored."""
    everyone = [lead, *followers]
    lead_first = int(lead.extra["first_wall_ms"])
    first = min(int(r.extra["first_wall_ms"]) for r in everyone if r.extra.get("first_wall_ms"))
    return ScaleRow(
        partitions=partitions,
        workers=len(everyone),
        events=lead.events,
        seconds=lead.seconds + (lead_first - first) / 1000,
        cpu_seconds=sum(r.cpu_seconds for r in everyone),
        peak_rss_bytes=max(r.peak_rss_bytes for r in everyone),
        stored=sum(int(r.extra.get("chat_messages", 0)) for r in everyone),
    )


def measure(
    bootstrap: str, spec: TrafficSpec, partitions: int, workers: int, workdir: Path
) -> ScaleRow:
    data = prepare(bootstrap, spec, partitions)
    lead, followers = run_workers(data, partitions, workdir, workers)
    row = combine(partitions, lead, followers)
    log.info("%d partitions, %d workers: %.0f events/s", partitions, workers, row.events_per_second)
    return row


def scale_curve(bootstrap: str, events: int, workdir: Path) -> list[ScaleRow]:
    spec = TrafficSpec(events=events)
    return [measure(bootstrap, spec, p, w, workdir) for w in WORKERS for p in PARTITIONS]
