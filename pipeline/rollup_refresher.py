"""The worker's rollup refresher: every `rollups.refresh_seconds`, store what settled."""

from __future__ import annotations

import asyncio

import faust

from core.settings import RollupSettings
from sinks import rollups
from sinks.store import Store


def install(app: faust.App, store: Store, settings: RollupSettings) -> None:
    if settings.refresh_seconds <= 0:
        return

    @app.timer(interval=settings.refresh_seconds, on_leader=False)
    async def refresh_rollups() -> None:
        await asyncio.to_thread(rollups.refresh_or_log, store, settings.settle_seconds)
