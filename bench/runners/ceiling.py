"""The ceiling: a raw aiokafka consumer with faust's fetch settings that only decodes JSON.

A small topic is read in a fraction of a second, so it is read again from the start
until `--min-seconds` of reading have passed. Each pass is timed like every runner is,
from its first poll (not counted) to its last record; the seeks between passes are not.
"""

from __future__ import annotations

import asyncio
import time

import orjson
from aiokafka import AIOKafkaConsumer

from bench.measure import RunnerResult, cpu_seconds, emit, peak_rss_bytes
from bench.runners import common_args

# What faust-streaming 0.15 passes to aiokafka (transport/drivers/aiokafka.py), with the
# broker_max_poll_records=500 that pipeline/app.py sets.
FAUST_FETCH = {
    "fetch_max_wait_ms": 1500,
    "max_partition_fetch_bytes": 1024 * 1024,
    "max_poll_records": 500,
    "check_crcs": True,
}


class Passes:
    """Timed reading, pass by pass."""

    def __init__(self, events: int) -> None:
        self.events = events
        self.seen = 0  # in this pass
        self.timed = 0
        self.seconds = 0.0
        self.passes = 0
        self.decoded_bytes = 0
        self._started: float | None = None

    def polled(self, count: int) -> bool:
        """Count a poll; True when this pass has read every event."""
        self.seen += count
        if self._started is None:
            self._started = time.perf_counter()
        else:
            self.timed += count
        if self.seen < self.events:
            return False
        self.seconds += time.perf_counter() - self._started
        self.passes += 1
        self.seen, self._started = 0, None
        return True


async def consume(
    bootstrap: str, topic: str, group: str, events: int, min_seconds: float = 0.0
) -> RunnerResult:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=4000,
        heartbeat_interval_ms=1000,
        rebalance_timeout_ms=4000,
        **FAUST_FETCH,
    )
    passes = Passes(events)
    await consumer.start()
    try:
        cpu0 = None
        while True:
            polled = await consumer.getmany(timeout_ms=1000, max_records=500)
            count = 0
            for batch in polled.values():
                for record in batch:
                    orjson.loads(record.value)
                    passes.decoded_bytes += len(record.value)
                count += len(batch)
            if not count:
                continue
            cpu0 = cpu_seconds() if cpu0 is None else cpu0
            if passes.polled(count):
                if passes.seconds >= min_seconds:
                    break
                await consumer.seek_to_beginning()
        return RunnerResult(
            runner="ceiling",
            events=passes.timed,
            seconds=passes.seconds,
            cpu_seconds=cpu_seconds() - cpu0,
            peak_rss_bytes=peak_rss_bytes(),
            extra={"passes": passes.passes, "decoded_bytes": passes.decoded_bytes},
        )
    finally:
        await consumer.stop()


def main() -> None:
    parser = common_args(__doc__ or "")
    parser.add_argument("--min-seconds", type=float, default=0.0)
    args = parser.parse_args()
    run = consume(args.bootstrap, args.topic, args.group, args.events, args.min_seconds)
    emit(asyncio.run(run))


if __name__ == "__main__":
    main()
