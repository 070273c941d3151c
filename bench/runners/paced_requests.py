"""bench.runners.paced counting the worker's Kafka requests by type.

Every request any aiokafka client of the worker sends (ingest, faust's consumer and
producers, the stages' producers, the notifier) goes through `AIOKafkaConnection.send`; this
counts them by request class from start to result, for bench.paced_requests.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import aiokafka.conn

from bench.measure import RunnerResult
from bench.runners import paced
from core.settings import KefuSettings

COUNTS: Counter[str] = Counter()
_send = aiokafka.conn.AIOKafkaConnection.send
_serve = paced.serve


def _counted_send(
    self: aiokafka.conn.AIOKafkaConnection, request: Any, expect_response: bool = True
) -> Any:
    COUNTS[type(request).__name__] += 1
    return _send(self, request, expect_response)


async def _serve_counted(settings: KefuSettings) -> RunnerResult:
    started = time.monotonic()
    result = await _serve(settings)
    result.extra["requests"] = dict(COUNTS)
    result.extra["request_seconds"] = time.monotonic() - started
    return result


if __name__ == "__main__":
    aiokafka.conn.AIOKafkaConnection.send = _counted_send
    paced.serve = _serve_counted
    paced.main()
