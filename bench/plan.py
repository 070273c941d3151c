"""How big a run is: the full run (about six minutes) and the quick one (under a minute)."""

from __future__ import annotations

from dataclasses import dataclass, replace

RUNNERS = ("ceiling", "peer", "naive", "pipeline", "pipeline_no_qc")


@dataclass(frozen=True)
class Plan:
    """Event counts per contender, the paced phase, and whether scale curves run (with
    `scale`: `scale_workers` worker processes side by side on `partitions` partitions of
    Apache Kafka, `scale_events` events each, bench.scale).

    The naive agent reads a prefix of the same topic: at its ~10k events/s the whole
    topic would take minutes; its rate is steady after the first seconds.
    """

    quick: bool
    events: int
    naive_events: int
    paced_seconds: float  # 0 skips the paced (latency) run
    history_seconds: float
    runners: tuple[str, ...] = RUNNERS
    partitions: int = 4
    scale: bool = False
    scale_events: int = 0
    scale_workers: tuple[int, ...] = (1, 2)
    profile_events: int = 0
    conversations: tuple[int, ...] = ()

    def only(self, runners: tuple[str, ...]) -> Plan:
        unknown = set(runners) - set(RUNNERS)
        if unknown:
            msg = f"unknown runners {sorted(unknown)}; known: {', '.join(RUNNERS)}"
            raise ValueError(msg)
        return replace(self, runners=runners)


FULL = Plan(
    quick=False,
    events=300_000,
    naive_events=60_000,
    paced_seconds=75.0,
    history_seconds=420.0,
    scale=True,
    scale_events=120_000,
    profile_events=120_000,
    conversations=(10_000, 100_000, 1_000_000),
)
QUICK = Plan(
    quick=True,
    events=50_000,
    naive_events=20_000,
    paced_seconds=0.0,
    history_seconds=0.0,
)
