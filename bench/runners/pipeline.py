"""Our pipeline end to end: raw topic -> ingest -> stateful agent -> chDB, inquiries stored.

`pipeline.runtime.running` brings the worker up on the shared broker; once its groups
have settled it says UP (bench.ours), and after the harness has produced the traffic
(PRODUCED) the lead waits as `kefu replay` does (`pipeline.replay.wait_stored`: ingest
committed every raw message, a flush marker settled the partitions, the stateful stage
and the alarm path committed theirs) and stops the clock. A follower (a second worker
process, same app_id, its own store) runs until the harness closes its stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bench.measure import PRODUCED, UP, Meter, RunnerResult, emit
from bench.qc_cost import shops_yaml
from bench.worker import (
    barrier,
    events_in,
    hear,
    joined,
    prepare,
    say,
    start_on_first_event,
    worker_settings,
)
from core.settings import KefuSettings, QcSettings
from pipeline.replay import wait_stored
from pipeline.runtime import Running, running


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True, help="topic prefix and app_id")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--events", type=int, required=True, help="raw messages on the topic")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--flush-ms", type=int, help="event time of the final flush marker")
    parser.add_argument("--follower", action="store_true")
    parser.add_argument(
        "--qc-entries", type=int, default=0, help="QC dictionary padded to N entries; 0: QC off"
    )
    return parser.parse_args()


def _count(run: Running, sql: str) -> int:
    return int(run.store.query(sql).rows[0][0])


async def lead(settings: KefuSettings, events: int, flush_ms: int | None) -> RunnerResult:
    meter = Meter("our pipeline")
    # Ingest starts reading while the faust app still joins its group: watch from before.
    watch = asyncio.create_task(start_on_first_event(meter, settings))
    async with running(settings) as run:
        await joined(run)
        say(UP)
        if await hear() != PRODUCED:
            msg = f"expected {PRODUCED} from the harness"
            raise RuntimeError(msg)
        await wait_stored(run, flush_ms)
        watch.cancel()
        result = meter.stop(events)
        result.extra["first_wall_ms"] = meter.first_wall_ms
        # All this worker's ingest read, of which its first poll before the clock (bench.scale_rows).
        result.extra["read"] = events_in(settings)
        result.extra["first_poll"] = meter.first_poll
        result.extra["inquiries"] = await asyncio.to_thread(
            _count, run, "SELECT count() FROM inquiries FINAL"
        )
        result.extra["chat_messages"] = await asyncio.to_thread(
            _count, run, "SELECT count() FROM chat_messages"
        )
        return result


async def follow(settings: KefuSettings) -> RunnerResult:
    meter = Meter("our pipeline (follower)")
    watch = asyncio.create_task(start_on_first_event(meter, settings))
    async with running(settings) as run:
        await joined(run)
        say(UP)
        await asyncio.to_thread(sys.stdin.read)  # the harness closes stdin when the lead is done
        watch.cancel()
        read = events_in(settings)
        result = meter.stop(read)
        result.extra["first_wall_ms"] = meter.first_wall_ms
        result.extra["read"] = read
        result.extra["first_poll"] = meter.first_poll
        result.extra["chat_messages"] = await asyncio.to_thread(
            _count, run, "SELECT count() FROM chat_messages"
        )
        return result


def qc_settings(workdir: Path, entries: int) -> QcSettings:
    if not entries:
        return QcSettings(enabled=False)
    shops = workdir / "qc-shops.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    shops.write_text(shops_yaml(entries), encoding="utf-8")
    return QcSettings(shops_file=shops)


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = worker_settings(args.bootstrap, args.prefix, args.workdir, args.partitions)
    settings = settings.model_copy(update={"qc": qc_settings(args.workdir, args.qc_entries)})
    asyncio.run(prepare(settings))
    barrier()
    if args.follower:
        emit(asyncio.run(follow(settings)))
    else:
        emit(asyncio.run(lead(settings, args.events, args.flush_ms)))


if __name__ == "__main__":
    main()
