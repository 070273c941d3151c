"""What every runner reports: events, wall seconds, CPU seconds and peak RSS of its process.

Standard library only: the peer runner imports it from its own virtual environment.
The clock starts at the first record a runner sees, so consumer-group joins and imports
are not timed; the events of that first poll are not counted either.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
# What pipeline workers and the harness say (bench.ours): READY, GO, UP (groups joined),
# PRODUCED (the traffic is on the topic).
READY = "READY"
GO = "GO"
UP = "UP"
PRODUCED = "PRODUCED"


@dataclass
class RunnerResult:
    """One runner's figures; `extra` holds runner-specific counts (inquiries, windows...)."""

    runner: str
    events: int
    seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_per_million(self) -> float:
        """CPU seconds of the runner's process per million events."""
        return self.cpu_seconds / self.events * 1e6 if self.events else 0.0

    def line(self) -> str:
        return RESULT_PREFIX + json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def parse(cls, line: str) -> RunnerResult:
        return cls(**json.loads(line.removeprefix(RESULT_PREFIX)))


def cpu_seconds() -> float:
    """User plus system CPU of this process, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads, summed by thread name (Linux; empty
    elsewhere). Threads that ended are not in it: their CPU shows only in `cpu_seconds`."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_name: dict[str, float] = {}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return by_name
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # ended while we looked
        # The name sits in parentheses and may hold spaces; the fields after it are fixed.
        name = text[text.index("(") + 1 : text.rindex(")")]
        name = "main thread" if tid == str(os.getpid()) else name
        fields = text[text.rindex(")") + 2 :].split()
        by_name[name] = by_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return by_name


def rss_bytes() -> int:
    """Resident set size of this process now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process since it started.

    Linux keeps `ru_maxrss` across exec, so a child would report its parent's peak if
    that was higher; VmHWM belongs to the process's own memory map.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Meter:
    """Wall and CPU time from the first record to the last one handled."""

    def __init__(self, runner: str) -> None:
        self.runner = runner
        self.started: float | None = None
        self.first_wall_ms: int | None = None
        self._cpu0 = 0.0
        self._threads0: dict[str, float] = {}
        self._seen0 = 0

    @property
    def running(self) -> bool:
        return self.started is not None

    def start(self, seen: int) -> None:
        """Call once, when the first poll has delivered `seen` events."""
        if self.started is None:
            self.started = time.perf_counter()
            self.first_wall_ms = int(time.time() * 1000)
            self._cpu0 = cpu_seconds()
            self._threads0 = thread_cpu()
            self._seen0 = seen

    @property
    def first_poll(self) -> int:
        """Events delivered before the clock started: the first poll's."""
        return self._seen0

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.perf_counter() - self.started

    def stop(self, seen: int, **extra: Any) -> RunnerResult:
        if self.started is None:
            msg = f"{self.runner}: stopped before any record arrived"
            raise RuntimeError(msg)
        threads = {
            name: round(cpu - self._threads0.get(name, 0.0), 2)
            for name, cpu in thread_cpu().items()
        }
        return RunnerResult(
            runner=self.runner,
            events=seen - self._seen0,
            seconds=time.perf_counter() - self.started,
            cpu_seconds=cpu_seconds() - self._cpu0,
            peak_rss_bytes=peak_rss_bytes(),
            extra={**extra, "thread_cpu": {n: c for n, c in threads.items() if c > 0}},
        )


def emit(result: RunnerResult) -> None:
    """The one line the harness reads from a runner's stdout."""
    sys.stdout.write(result.line() + "\n")
    sys.stdout.flush()
