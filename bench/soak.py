"""Soak: a generated month at accelerated event time through the real worker.

    python -m bench.soak --days 30            # about 10 minutes here (2 shops, 600 buyers a day)
    python -m bench.soak --quick              # 8 days, smaller shops

Each simulated day is produced onto the raw topics and taken through a `kefu run` worker
(its own process, writing over HTTP to a store this harness serves). After each day: the
worker's RSS, the state changelog's records and bytes, and what its partitions hold. After
day 1, day 7 and the last day the worker is replaced by a fresh one and the time its
partitions take to restore is read from its metrics. At the end the stored inquiries and
buyer-days are compared with the batch reference. Targets (docs/metrics.md#memory-horizons):
RSS on the last day within 10 % of day 7, the last restore under twice the first, tables equal.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.brokers import BrokerKind, broker, broker_label
from bench.spawn import runner_env, worker_env
from core.offsets import end_offsets, wait_committed
from core.settings import KefuSettings
from core.topics import ensure_topics, topics_for
from pipeline.embedded_broker import free_port
from pipeline.generator import GenConfig, generate, write_jsonl
from pipeline.replay import send_files
from schemas.packed import pack_flush
from sinks.chdb_http import serve
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from tests.integration.replay_support import (
    BUYER_DAY_SQL,
    as_rows,
    expected_buyer_days,
    expected_inquiries,
    stored_inquiries,
    valid_events,
)

START = datetime(2026, 11, 1, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
KEFU = str(Path(sys.executable).with_name("kefu"))
_METRIC = re.compile(
    r"^(kefu_state_restore_seconds|kefu_state_held|process_resident_memory_bytes)(\{[^}]*\})? (\S+)$"
)


@dataclass
class Day:
    day: int
    rss_mb: float
    changelog_records: int
    changelog_mb: float
    held: dict[str, float]
    restore_s: float | None = None


@dataclass
class Soak:
    days: list[Day] = field(default_factory=list)
    equal: bool = False

    def rss(self, day: int) -> float:
        return next(d.rss_mb for d in self.days if d.day == day)

    def restores(self) -> list[tuple[int, float]]:
        return [(d.day, d.restore_s) for d in self.days if d.restore_s is not None]


class Worker:
    """`kefu run` against the harness's broker and store; its metrics on a port of its own."""

    def __init__(self, settings: KefuSettings, workdir: Path, tag: str) -> None:
        self.port = free_port()
        env = runner_env(workdir)
        env.update(
            worker_env(settings, workdir / f"home-{tag}", self.port),
            # Days are fed back to back with pauses of seconds between them: without this the
            # raw partitions would count as idle in a pause, and the first to wake with the
            # next day would run event time ahead of the others (their events then late).
            KEFU_INGEST_IDLE_SECONDS="120",
        )
        self.log = (workdir / f"worker-{tag}.out").open("wb")
        self.proc = subprocess.Popen(
            [KEFU, "run"], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def metrics(self) -> dict[str, float]:
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10).read()  # noqa: S310 - our own worker
        out: dict[str, float] = {}
        for line in text.decode().splitlines():
            match = _METRIC.match(line)
            if match:
                key = match[1] + (match[2] or "")
                out[key] = float(match[3])
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def day_file(workdir: Path, day: int, shops: int, buyers: int) -> Path:
    path = workdir / f"day-{day:02d}.jsonl"
    config = GenConfig(
        seed=1000 + day,
        start=START + timedelta(days=day - 1),
        days=1,
        shops=shops,
        buyers_per_shop_day=buyers,
        disorder_seconds=20,
        duplicate_rate=0.01,
    )
    write_jsonl(generate(config), path)
    return path


async def take_day(settings: KefuSettings, path: Path) -> None:
    """Produce one day, then wait until the worker stored and checkpointed all of it."""
    bootstrap = str(settings.kafka_bootstrap)
    topics = topics_for(settings)
    sent = await send_files(bootstrap, topics, [path])
    await wait_committed(
        bootstrap, f"{settings.app_id}-ingest", await end_offsets(bootstrap, topics.raw_all)
    )
    await flush_to(settings, sent.latest_ms)


async def flush_to(settings: KefuSettings, at_ms: int | None) -> None:
    """A flush marker on every events partition (a fresh worker restores on it), then wait."""
    bootstrap = str(settings.kafka_bootstrap)
    topics = topics_for(settings)
    if at_ms is not None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            marker = pack_flush(at_ms)
            await asyncio.gather(
                *[
                    await producer.send(topics.events, marker, partition=p)
                    for p in range(settings.partitions)
                ]
            )
        finally:
            await producer.stop()
    await wait_committed(bootstrap, settings.app_id, await end_offsets(bootstrap, [topics.events]))


async def changelog_size(settings: KefuSettings) -> tuple[int, int]:
    """Records and bytes the state changelog holds now."""
    topic = topics_for(settings).changelog
    bootstrap = str(settings.kafka_bootstrap)
    ends = await end_offsets(bootstrap, [topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records = size = 0
    try:
        consumer.assign(list(ends))
        for tp in ends:
            await consumer.seek_to_beginning(tp)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for rows in batch.values():
                records += len(rows)
                size += sum(len(r.value or b"") for r in rows)
    finally:
        await consumer.stop()
    return records, size


async def wait_ready(worker: Worker, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/ready", timeout=5)  # noqa: S310 - our own worker
            return
        except OSError:
            if time.monotonic() > deadline or worker.proc.poll() is not None:
                msg = f"worker not ready; see {worker.log.name}"
                raise RuntimeError(msg) from None
            await asyncio.sleep(0.5)


async def run(days: int, shops: int, buyers: int, kind: BrokerKind, workdir: Path) -> Soak:
    soak = Soak()
    restore_days = {1, 7, days}
    files: list[Path] = []
    with broker(kind, workdir / "broker") as bootstrap, ChdbStore(workdir / "store") as store:
        migrate(store, "kefu", 180)
        with serve(store, "127.0.0.1", 0) as server:
            settings = KefuSettings(
                kafka_bootstrap=bootstrap,
                clickhouse_url=server.url,
                app_id="soak",
                topic_prefix="soak",
                home=workdir / "home",
            )
            await ensure_topics(bootstrap, settings)
            worker = Worker(settings, workdir, "1")
            await wait_ready(worker)
            try:
                for day in range(1, days + 1):
                    files.append(day_file(workdir, day, shops, buyers))
                    await take_day(settings, files[-1])
                    soak.days.append(await observe(settings, worker, day))
                    print(row(soak.days[-1]), flush=True)
                    if day in restore_days:
                        worker.stop()
                        worker = Worker(settings, workdir, str(day + 1))
                        await wait_ready(worker)
                        await flush_to(
                            settings, int((START + timedelta(days=day)).timestamp() * 1000) - 1
                        )
                        held = worker.metrics()
                        soak.days[-1].restore_s = sum(
                            v for k, v in held.items() if k.startswith("kefu_state_restore_seconds")
                        )
                        print(
                            f"  restore after day {day}: {soak.days[-1].restore_s:.2f} s",
                            flush=True,
                        )
            finally:
                worker.stop()
            soak.equal = compare(store, files, settings)
    return soak


async def observe(settings: KefuSettings, worker: Worker, day: int) -> Day:
    metrics = worker.metrics()
    records, size = await changelog_size(settings)
    held: dict[str, float] = {}
    for key, value in metrics.items():
        kind = re.search(r'kind="([^"]+)"', key)
        if kind:
            held[kind[1]] = held.get(kind[1], 0) + value
    rss = metrics.get("process_resident_memory_bytes", 0) / 1e6
    return Day(day, rss, records, size / 1e6, held)


def compare(store: ChdbStore, files: list[Path], settings: KefuSettings) -> bool:
    events = [e for path in files for e in valid_events(path)[0]]
    unique = list({e.event_id: e for e in events}.values())
    inquiries = as_rows(stored_inquiries(store)) == as_rows(expected_inquiries(unique, settings))
    buyer_days = sorted(store.query(BUYER_DAY_SQL).rows) == expected_buyer_days(unique, settings)
    print(f"inquiries FINAL equal the reference: {inquiries}; buyer_days FINAL: {buyer_days}")
    return inquiries and buyer_days


def row(d: Day) -> str:
    held = ", ".join(f"{k} {int(v)}" for k, v in sorted(d.held.items()))
    return f"day {d.day:2d}: RSS {d.rss_mb:6.1f} MB · changelog {d.changelog_records:6d} records {d.changelog_mb:7.2f} MB · held: {held}"


def report(soak: Soak, days: int, label: str, command: str) -> str:
    first, last = soak.restores()[0], soak.restores()[-1]
    rss7, rss_last = soak.rss(min(7, days)), soak.rss(days)
    lines = [
        f"Command: `{command}` on {label}.",
        "",
        "| day | RSS MB | changelog records | changelog MB | conversations | refunds | orders | event ids | restore s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in soak.days:
        h = d.held
        restore = "" if d.restore_s is None else f"{d.restore_s:.2f}"
        lines.append(
            f"| {d.day} | {d.rss_mb:.1f} | {d.changelog_records} | {d.changelog_mb:.2f} | "
            f"{int(h.get('conversations', 0))} | {int(h.get('refunds', 0))} | {int(h.get('orders', 0))} | "
            f"{int(h.get('event_ids', 0))} | {restore} |"
        )
    rss_ok = rss_last <= rss7 * 1.10
    restore_ok = last[1] < 2 * first[1]
    lines += [
        "",
        f"- RSS on day {days} vs day 7: {rss_last:.1f} / {rss7:.1f} MB = {rss_last / rss7:.2f} (target ≤ 1.10): {'met' if rss_ok else 'missed'}",
        f"- restore after day {last[0]} vs day {first[0]}: {last[1]:.2f} / {first[1]:.2f} s = {last[1] / max(first[1], 1e-9):.2f} (target < 2): {'met' if restore_ok else 'missed'}",
        f"- tables equal to the batch reference: {'yes' if soak.equal else 'NO'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shops", type=int, default=2)
    parser.add_argument(
        "--buyers", type=int, default=600, help="consulting buyers per shop per day"
    )
    parser.add_argument("--kafka", choices=("tansu", "apache"), default="tansu")
    parser.add_argument("--quick", action="store_true", help="8 days of 300 buyers per shop")
    parser.add_argument("--out", type=Path, help="also write the report (markdown) here")
    parser.add_argument("--workdir", type=Path, help="keep files and worker logs here")
    args = parser.parse_args(argv)
    if args.quick:
        args.days, args.buyers = 8, 300
    if args.days < 7:
        parser.error("--days must be at least 7 (the figures compare day 7 with the last day)")
    command = "python -m bench.soak " + " ".join(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="kefu-soak-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        soak = asyncio.run(run(args.days, args.shops, args.buyers, args.kafka, workdir))
    text = report(soak, args.days, broker_label(args.kafka, None), command.strip())
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0 if soak.equal else 1


if __name__ == "__main__":
    sys.exit(main())
