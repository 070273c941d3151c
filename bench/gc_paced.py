"""`python -m bench.gc_paced`: the paced run (bench.latency) with the collector watched,
garbage-collector variants (bench.gc_variants) taking turns on one embedded Tansu broker.

Each run prints one line: the load average at its start, inquiry p50/p99 (event sent ->
stored), CPU seconds per million events, and the collections by generation (count,
seconds, longest). The medians per variant follow at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.brokers import broker
from bench.gc_variants import VARIANTS
from bench.latency import PacedPlan, paced_run
from bench.measure import RunnerResult


def _row(result: RunnerResult, load: float) -> dict[str, Any]:
    x = result.extra
    return {
        "variant": x["gc_variant"],
        "load": round(load, 2),
        "p50_ms": x["inquiry_p50_ms"],
        "p99_ms": x["inquiry_p99_ms"],
        "cpu_per_million": round(result.cpu_per_million, 1),
        "events": result.events,
        "seconds": round(result.seconds, 1),
        "gc_count": x["gc_count"],
        "gc_seconds": x["gc_seconds"],
        "gc_longest_ms": x["gc_longest_ms"],
        "gc_collected": x["gc_collected"],
        "gc_examined": x["gc_examined"],
        "gc_leaked": x["gc_leaked"],
        "gc_leaked_types": x["gc_leaked_types"],
        "gc_full_ms": x["gc_full_ms"],
        "peak_rss_mib": round(result.peak_rss_bytes / 2**20),
    }


def _medians(rows: list[dict[str, Any]]) -> None:
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == variant]
        line = {
            key: statistics.median(r[key] for r in mine)
            for key in ("p50_ms", "p99_ms", "cpu_per_million", "peak_rss_mib")
        }
        line["gc_seconds_all"] = statistics.median(sum(r["gc_seconds"]) for r in mine)
        line["gc_examined_all"] = statistics.median(sum(r["gc_examined"]) for r in mine)
        print(json.dumps({"median": variant, "runs": len(mine), **line}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", default="base,freeze_young")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rate", type=float, default=4500)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--detail", action="store_true", help="count what each collection sees")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    plan = PacedPlan(rate=args.rate, seconds=args.seconds)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="gc-paced-") as tmp,
        broker("tansu", Path(tmp)) as bootstrap,
    ):
        for _ in range(args.repeats):
            for variant in variants:
                workdir = Path(tempfile.mkdtemp(dir=tmp))
                extra = ("--gc", variant, *(("--gc-detail",) if args.detail else ()))
                load = os.getloadavg()[0]
                result = asyncio.run(
                    paced_run(bootstrap, workdir, plan, "bench.runners.paced_gc", extra)
                )
                row = _row(result, load)
                if args.detail:
                    row.update({k: v for k, v in result.extra.items() if k.startswith("gc_young")})
                rows.append(row)
                print(json.dumps(row), flush=True)
    _medians(rows)


if __name__ == "__main__":
    main()
