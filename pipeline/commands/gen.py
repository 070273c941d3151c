"""`kefu gen`: seeded synthetic events to a JSON-lines file or onto the raw topics."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from core.errors import KefuError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "gen", help="write realistic synthetic events to a file or a topic"
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="a .jsonl or .jsonl.gz file")
    target.add_argument(
        "--kafka", action="store_true", help="produce onto the raw topics of the configured Kafka"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="RFC 3339 start (default 2026-11-23 00:00 +08:00)",
    )
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--shops", type=int, default=3)
    parser.add_argument("--agents", type=int, default=4, help="agents per shop")
    parser.add_argument(
        "--buyers", type=float, default=300.0, help="consulting buyers per shop per day"
    )
    parser.add_argument(
        "--disorder", type=float, default=0.0, help="max seconds of delivery disorder"
    )
    parser.add_argument(
        "--duplicates", type=float, default=0.0, help="share of events delivered twice"
    )
    parser.add_argument("--malformed", type=float, default=0.0, help="share of malformed lines")
    parser.add_argument(
        "--silent-agent",
        action="append",
        default=[],
        metavar="SHOP:AGENT:START_MIN:MINUTES",
        help="an agent who stops replying, e.g. s1:s1-a1:600:30 (from 10:00 for 30 minutes)",
    )
    parser.add_argument(
        "--weekly", action="store_true", help="a weekly pattern: busier Fridays and weekends"
    )
    parser.add_argument(
        "--promotion-day",
        action="append",
        default=[],
        type=date.fromisoformat,
        metavar="DATE",
        help="a promotion day (大促) bringing --promotion-multiplier times the buyers (repeatable)",
    )
    parser.add_argument("--promotion-multiplier", type=float, default=2.5)
    parser.add_argument(
        "--qc-plant",
        type=int,
        default=0,
        metavar="N",
        help="N conversations a day with planted quality-inspection findings; with --out, "
        "their labels go to OUT.qc-labels.jsonl, the shops' QC settings to OUT.qc-shops.yaml "
        "and a script library to OUT.scripts.yaml",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from pipeline.generator import generate, write_jsonl

    config = _config(args)
    if args.out is not None:
        count = write_jsonl(generate(config), args.out)
        print(f"wrote {count} events to {args.out}")
        if config.qc_conversations:
            _write_qc_files(config, args.out)
        return 0
    return asyncio.run(_to_kafka(args, config))


def _config(args: argparse.Namespace) -> Any:
    from pipeline.generator import GenConfig

    extra = {"start": args.start} if args.start else {}
    config = GenConfig(
        seed=args.seed,
        days=args.days,
        shops=args.shops,
        agents_per_shop=args.agents,
        buyers_per_shop_day=args.buyers,
        disorder_seconds=args.disorder,
        duplicate_rate=args.duplicates,
        malformed_rate=args.malformed,
        qc_conversations=args.qc_plant,
        weekly=args.weekly,
        promotion_days=tuple(args.promotion_day),
        promotion_multiplier=args.promotion_multiplier,
        **extra,
    )
    incidents = [_silent_agent(spec, config.start) for spec in args.silent_agent]
    return dataclasses.replace(config, incidents=incidents) if incidents else config


def qc_files(out: Path) -> tuple[Path, Path, Path]:
    """Where `--qc-plant` puts the labels, the shops' QC settings and scripts, beside OUT."""
    stem = out.name.removesuffix(".gz").removesuffix(".jsonl")
    return (
        out.with_name(f"{stem}.qc-labels.jsonl"),
        out.with_name(f"{stem}.qc-shops.yaml"),
        out.with_name(f"{stem}.scripts.yaml"),
    )


def _write_qc_files(config: Any, out: Path) -> None:
    from pipeline.generator import qc_day, write_jsonl
    from pipeline.generator.ids import run_tag

    labels_path, shops_path, scripts_path = qc_files(out)
    lines = qc_day.planted(config, run_tag(*config.world_key()))
    count = write_jsonl(qc_day.labels(lines), labels_path)
    shops_path.write_text(qc_day.shops_yaml(config), encoding="utf-8")
    scripts_path.write_text(qc_day.scripts_yaml(config), encoding="utf-8")
    print(f"wrote {count} planted findings to {labels_path}")
    print(f"set KEFU_QC__SHOPS_FILE={shops_path} KEFU_QC__SCRIPTS_FILE={scripts_path}")


def _silent_agent(spec: str, start: datetime) -> Any:
    from pipeline.generator import Incident

    try:
        shop, agent, offset, minutes = spec.split(":")
        begin = start + timedelta(minutes=float(offset))
        return Incident(
            shop_id=shop, agent_id=agent, start=begin, end=begin + timedelta(minutes=float(minutes))
        )
    except ValueError as exc:
        msg = f"--silent-agent {spec!r}: expected SHOP:AGENT:START_MIN:MINUTES"
        raise KefuError(msg) from exc


async def _to_kafka(args: argparse.Namespace, config: Any) -> int:
    from core.topics import topics_for
    from pipeline.commands.options import settings_from
    from pipeline.generator import generate
    from pipeline.raw_producer import RawSender, raw_producer

    settings = settings_from(args)
    if settings.kafka_bootstrap is None:
        msg = "--kafka needs KEFU_KAFKA_BOOTSTRAP (the embedded broker lives only inside kefu run)"
        raise KefuError(msg)
    producer = raw_producer(settings.kafka_bootstrap)
    await producer.start()
    sender = RawSender(producer, topics_for(settings))
    try:
        for item in generate(config):
            await (sender.send_line(item) if isinstance(item, bytes) else sender.send_event(item))
        await producer.flush()
    finally:
        await producer.stop()
    print(f"sent {sender.events} events to {settings.kafka_bootstrap}")
    return 0
