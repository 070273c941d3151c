"""One row of a scale run: the workers' results combined, and what must hold between rows."""

from __future__ import annotations

from dataclasses import dataclass

from bench.measure import RunnerResult

# Issue 16: with 2 workers on 4 partitions, total CPU per million events within 15 % of one's.
CPU_TARGET_WORKERS, CPU_TARGET_PARTITIONS, CPU_TARGET_RATIO = 2, 4, 1.15


class LostOrDoubled(RuntimeError):
    """A run with several workers stored a different number of rows than one worker did."""


@dataclass(frozen=True)
class ScaleRow:
    """All workers together; `events` counts what every worker read, first polls included.

    A worker's clock starts once its first poll is routed, so the stateful work on that poll
    is timed and ingest's is not. Leaving first polls out would drop N polls' events for N
    workers, almost all of whose cost is timed; `untimed` says how many events that concerns.
    """

    partitions: int
    workers: int
    events: int
    seconds: float
    cpu_seconds: float  # all workers
    peak_rss_bytes: int  # the largest worker
    stored: int  # chat messages stored, all workers
    worker_cpu_per_million: tuple[float, ...] = ()  # each worker's CPU over the events it read
    untimed: int = 0  # events of the workers' first polls, routed before their clocks started

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def events_per_second_per_worker(self) -> float:
        return self.events_per_second / self.workers

    @property
    def cpu_per_million(self) -> float:
        return self.cpu_seconds / self.events * 1e6 if self.events else 0.0

    @property
    def cores(self) -> float:
        """Cores the workers kept busy together over the run."""
        return self.cpu_seconds / self.seconds if self.seconds else 0.0


def _read(result: RunnerResult) -> int:
    """Raw events the worker's own ingest read, its first poll included."""
    return int(result.extra.get("read", result.events))


def _cpu_per_million_read(result: RunnerResult) -> float:
    read = _read(result)
    return result.cpu_seconds / read * 1e6 if read else 0.0


def combine(partitions: int, lead: RunnerResult, followers: list[RunnerResult]) -> ScaleRow:
    """The lead's clock from the earliest first event of any worker to all stored."""
    everyone = [lead, *followers]
    lead_first = int(lead.extra["first_wall_ms"])
    first = min(int(r.extra["first_wall_ms"]) for r in everyone if r.extra.get("first_wall_ms"))
    return ScaleRow(
        partitions=partitions,
        workers=len(everyone),
        events=sum(_read(r) for r in everyone),
        seconds=lead.seconds + (lead_first - first) / 1000,
        cpu_seconds=sum(r.cpu_seconds for r in everyone),
        peak_rss_bytes=max(r.peak_rss_bytes for r in everyone),
        stored=sum(int(r.extra.get("chat_messages", 0)) for r in everyone),
        worker_cpu_per_million=tuple(_cpu_per_million_read(r) for r in everyone),
        untimed=sum(int(r.extra.get("first_poll", 0)) for r in everyone),
    )


def one_worker(rows: list[ScaleRow], partitions: int) -> ScaleRow | None:
    return next((r for r in rows if r.workers == 1 and r.partitions == partitions), None)


def against_one(rows: list[ScaleRow], row: ScaleRow) -> tuple[float, float] | None:
    """Events/s and CPU per million of `row` over one worker's on the same partitions."""
    one = one_worker(rows, row.partitions)
    if one is None or not one.events_per_second or not one.cpu_per_million:
        return None
    return (
        row.events_per_second / one.events_per_second,
        row.cpu_per_million / one.cpu_per_million,
    )


def check_stored(rows: list[ScaleRow]) -> None:
    """Every row stored what one worker on the same partitions stored: nothing lost or doubled."""
    wrong = []
    for row in rows:
        one = one_worker(rows, row.partitions)
        if one is None:
            wrong.append(f"{row.workers} workers on {row.partitions} partitions: no one-worker row")
        elif row.stored != one.stored:
            wrong.append(
                f"{row.workers} workers on {row.partitions} partitions stored {row.stored:,} "
                f"chat messages, one worker {one.stored:,}"
            )
    if wrong:
        raise LostOrDoubled("; ".join(wrong))


def cpu_target(rows: list[ScaleRow]) -> float | None:
    """Total CPU per million of the target's row over one worker's, if the run has that row."""
    row = next(
        (
            r
            for r in rows
            if r.workers == CPU_TARGET_WORKERS and r.partitions == CPU_TARGET_PARTITIONS
        ),
        None,
    )
    ratios = None if row is None else against_one(rows, row)
    return None if ratios is None else ratios[1]


def verdict(rows: list[ScaleRow]) -> str:
    ratio = cpu_target(rows)
    target = (
        f"{CPU_TARGET_WORKERS} workers on {CPU_TARGET_PARTITIONS} partitions at most "
        f"{CPU_TARGET_RATIO - 1:.0%} above one worker's total CPU per million events"
    )
    if ratio is None:
        return f"Target ({target}): not measured in this run."
    met = "met" if ratio <= CPU_TARGET_RATIO else "not met"
    return f"Target ({target}): {ratio:.2f}× one worker's, {met}."
