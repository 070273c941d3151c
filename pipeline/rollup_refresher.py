"""The worker's rollup refresher: every `rollups.refresh_seconds`, store what settled.

A refresh that fails (the store is down) is only late: the views compute unrefreshed
periods at read time, so the worker logs it and tries again on the next tick.
"""

from __future__ import annotations

import asyncio
import logging

import faust

from core.errors import RetryLater, ServiceUnavailable
from core.settings import RollupSettings
from sinks import rollups
from sinks.errors import StoreError
from sinks.store import Store

log = logging.getLogger(__name__)


def install(app: faust.App, store: Store, settings: RollupSettings) -> None:
    if settings.refresh_seconds <= 0:
        return

    @app.timer(interval=settings.refresh_seconds, on_leader=False)
    async def refresh_rollups() -> None:
        try:
            done = await asyncio.to_thread(rollups.refresh, store, settings.settle_seconds)
        except (StoreError, RetryLater, ServiceUnavailable) as exc:
            log.warning("rollup refresh failed; the views compute at read time meanwhile: %s", exc)
            return
        if done:
            log.info("rollups: %d period(s) refreshed", done)
