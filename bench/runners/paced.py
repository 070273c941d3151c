"""Our pipeline under paced live traffic: how long from an event's send to its row stored.

Protocol with the harness (bench.latency), one line each way at a time:
READY/GO (bench.worker.barrier); then this worker, once running, says UP; the harness
sends a backlog of history and waits until it is stored, then says LIVE and sends live
traffic whose `occurred_at` is the send time; then `DONE <live_start_ms> <warmup_ms>`.
This worker waits as replay does until everything is stored and reports:

- inquiry latency: stored time minus `opened_at` (its opening message's send time) for
  every inquiry opened after the warm-up;
- alert latency: stored time minus the evaluation point (`event_time`) for every alert
  raised at a point after live traffic began; the point can only be evaluated once event
  time passes it by the stateful stage's lateness, so that allowance is in the figure and
  is reported beside it. Shops are evaluated every 10 s here (60 s by default), so that
  a minute of live traffic meets several points.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from bench.measure import UP, Meter, RunnerResult, emit
from bench.probe import StoredProbe, percentile
from bench.worker import barrier, events_in, hear, joined, prepare, say, worker_settings
from core.settings import KefuSettings
from pipeline.replay import wait_stored
from pipeline.runtime import running


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True, help="topic prefix and app_id")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--partitions", type=int, default=4)
    return parser.parse_args()


def summarize(probe: StoredProbe, live_ms: int, warmup_ms: int, lateness_ms: int) -> dict[str, Any]:
    opened = [stored - at for at, stored in probe.inquiries.values() if at >= live_ms + warmup_ms]
    alerts = [a for a in probe.alerts.values() if a.event_ms >= live_ms]
    to_stored = [a.stored_ms - a.event_ms for a in alerts]
    return {
        "inquiry_samples": len(opened),
        "inquiry_p50_ms": percentile(opened, 0.5),
        "inquiry_p99_ms": percentile(opened, 0.99),
        "inquiry_max_ms": max(opened, default=None),
        "alert_samples": len(alerts),
        "alert_rules": sorted({a.rule for a in alerts}),
        "alert_p50_ms": percentile(to_stored, 0.5),
        "alert_p99_ms": percentile(to_stored, 0.99),
        "alert_raised_p50_ms": percentile([a.raised_ms - a.event_ms for a in alerts], 0.5),
        "alerts_before_live": len(probe.alerts) - len(alerts),
        "lateness_ms": lateness_ms,
    }


async def serve(settings: KefuSettings) -> RunnerResult:
    meter = Meter("our pipeline (paced)")
    async with running(settings) as run:
        probe = StoredProbe(run.store)
        probe.install()
        await joined(run)
        say(UP)
        if await hear() != "LIVE":
            msg = "expected LIVE from the harness"
            raise RuntimeError(msg)
        meter.start(events_in(settings))
        done = (await hear()).split()
        if len(done) != 3 or done[0] != "DONE":
            msg = f"expected DONE <live_start_ms> <warmup_ms>, got {done}"
            raise RuntimeError(msg)
        await wait_stored(run, None)
        result = meter.stop(events_in(settings))
        lateness = settings.lateness_seconds * 1000
        result.extra.update(summarize(probe, int(done[1]), int(done[2]), lateness))
        return result


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = worker_settings(
        args.bootstrap, args.prefix, args.workdir, args.partitions, live=True
    )
    asyncio.run(prepare(settings))
    barrier()
    emit(asyncio.run(serve(settings)))


if __name__ == "__main__":
    main()
