"""`python -m bench.paced_requests`: the Kafka requests a paced worker sends, per second.

A worker under paced live input (bench.latency.paced_run, history first) pays per
request, not per event, for much of its CPU: this counts its requests by type over the run
(history and live input) and prints them per second beside its CPU by thread and its
event → stored latency.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path

from bench.brokers import broker
from bench.latency import PacedPlan, paced_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kafka", choices=("tansu", "apache"), default="tansu")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="paced-requests-") as tmp,
        broker(args.kafka, Path(tmp)) as bootstrap,
    ):
        plan = PacedPlan(rate=args.rate, seconds=args.seconds)
        result = asyncio.run(paced_run(bootstrap, Path(tmp), plan, "bench.runners.paced_requests"))
    extra = result.extra
    seconds = extra["request_seconds"]
    print(
        f"{args.kafka}, {args.rate:,.0f} events/s for {args.seconds:.0f} s: CPU {result.cpu_seconds:.1f} s "
        f"over {seconds:.0f} s; inquiry p50 {extra['inquiry_p50_ms']:.0f} ms, "
        f"p99 {extra['inquiry_p99_ms']:.0f} ms"
    )
    print("CPU by thread:", ", ".join(f"{k} {v:.1f} s" for k, v in extra["thread_cpu"].items()))
    for name, count in sorted(extra["requests"].items(), key=lambda item: -item[1]):
        print(f"  {name:26s} {count:7d}  {count / seconds:6.1f}/s")


if __name__ == "__main__":
    main()
