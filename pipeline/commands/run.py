"""`kefu run [--demo]`: the stream workers, on embedded defaults unless Kafka/ClickHouse are set."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from core.errors import ServiceUnavailable
from core.settings import KefuSettings
from pipeline.demo import demo_qc, demo_settings, feed_demo
from pipeline.live_view import render, snapshot
from pipeline.runtime import Running, running

log = logging.getLogger(__name__)
REFRESH_SECONDS = 2.0
LOG_EVERY_SECONDS = 15.0


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run", help="run the stream workers (embedded services by default)"
    )
    parser.add_argument("--demo", action="store_true", help="also feed generated live traffic")
    parser.add_argument("--rate", type=float, default=100.0, help="demo events per second")
    parser.add_argument("--store", type=Path, help="embedded store directory (default .kefu/store)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from pipeline.commands.options import settings_from

    settings = settings_from(args)
    if args.demo:
        settings = demo_qc(demo_settings(settings), args.rate)
    _log_to_file(settings)
    asyncio.run(_run(settings, demo=args.demo, rate=args.rate))
    return 0


async def _run(settings: KefuSettings, *, demo: bool, rate: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console = Console()
    console.print("starting Kafka broker, store and workers …")
    async with running(settings, web=True, serve_http=True) as run:
        tasks = [asyncio.create_task(_view(run, console, stop))]
        if demo:
            tasks.append(asyncio.create_task(feed_demo(run.bootstrap, settings, rate, stop)))
        ends = [asyncio.create_task(e.wait()) for e in (stop, run.pipeline.runner.failed)]
        await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks + ends:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        console.print("stopping …")
        if run.pipeline.runner.failed.is_set():
            # Exits non-zero (see pipeline.cli) so a supervisor restarts the worker.
            msg = f"the worker stopped: {run.pipeline.runner.failure}"
            raise ServiceUnavailable(msg)
    console.print("stopped cleanly; the store keeps its data for the next run.")


async def _view(run: Running, console: Console, stop: asyncio.Event) -> None:
    """Redraw in place on a terminal; elsewhere (a pipe, a log) print a snapshot now and then."""
    where = _where(run)
    if not console.is_terminal:
        console.print(where)
        while not await _wait(stop, LOG_EVERY_SECONDS):
            console.print(render(*await asyncio.to_thread(snapshot, run.store), where))
        return
    with Live(console=console, refresh_per_second=1, transient=False) as live:
        while True:
            live.update(render(*await asyncio.to_thread(snapshot, run.store), where))
            if await _wait(stop, REFRESH_SECONDS):
                return


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Whether `stop` was set within `seconds`."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


def _where(run: Running) -> str:
    s = run.settings
    parts = [f"Kafka {run.bootstrap}", f"metrics http://{s.web_host}:{s.web_port}/metrics"]
    if run.store_http_port:
        parts.append(
            f"SQL: .venv/bin/kefu sql '…' or ClickHouse HTTP on 127.0.0.1:{run.store_http_port}"
        )
    else:
        parts.append(f"SQL: .venv/bin/kefu sql '…' on {s.clickhouse_url}")
    parts.append("Ctrl-C stops")
    return " · ".join(parts)


def _log_to_file(settings: KefuSettings) -> None:
    """The live view owns the terminal, so the worker's log goes to a file beside the store."""
    settings.home.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(settings.home / "kefu.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(min(root.level, logging.INFO))
