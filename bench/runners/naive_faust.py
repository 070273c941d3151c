"""A naive faust-streaming agent: the reply-rate work one Kafka message at a time.

`async for event in stream` over the raw chat topic with faust's JSON codec and
automatic acks, state in process memory (no table changelog, so it does less work than
the peer or our pipeline). The app gets the same tuning as pipeline/app.py
(`topic_disable_leader`, poll size, buffer): naive in design, not in configuration.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from faust.types import StreamT

from bench.measure import Meter, RunnerResult, emit
from bench.reply_rate import ReplyRates
from bench.runners import common_args


def make_app(bootstrap: str, group: str) -> faust.App:
    return faust.App(
        group,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        topic_disable_leader=True,
        stream_buffer_maxsize=4096,
        broker_max_poll_records=500,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=4.0,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=4.0,
    )


async def consume(bootstrap: str, topic_name: str, group: str, events: int) -> RunnerResult:
    app = make_app(bootstrap, group)
    topic = app.topic(topic_name, value_serializer="json", key_serializer="raw")
    rates = ReplyRates()
    meter = Meter("naive faust")
    done: asyncio.Future[RunnerResult] = asyncio.get_running_loop().create_future()
    seen = 0

    @app.agent(topic, name=f"{group}.naive")
    async def naive(stream: StreamT) -> None:
        nonlocal seen
        event: Any
        async for event in stream:
            rates.observe(event)
            seen += 1
            meter.start(1)
            if seen == events and not done.done():
                done.set_result(meter.stop(seen, inquiries=rates.inquiries, replied=rates.replied))

    await app.start()
    try:
        return await done
    finally:
        await app.stop()


def main() -> None:
    args = common_args(__doc__ or "").parse_args()
    logging.basicConfig(level=logging.WARNING)
    emit(asyncio.run(consume(args.bootstrap, args.topic, args.group, args.events)))


if __name__ == "__main__":
    main()
