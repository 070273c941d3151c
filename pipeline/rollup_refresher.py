"""The worker's rollup refresher: every `rollups.refresh_seconds`, store what settled.

It reads and writes through a writer sharing the worker's store health, so a store that
stays away past the give-up time stops the worker even when no new input arrives to fail
an insert; a wrong statement is logged and only delays the rollups, since the views
compute unrefreshed periods at read time meanwhile.

Only the worker that owns partition 0 of the events topic refreshes, which saves the others
recomputing the same periods. Two refreshers at once (while partition 0 moves) are safe:
a rollup table, like rollup_state, keeps the newest refresh of a row by its stamp (sql/0029).
"""

from __future__ import annotations

import faust

from agents.ownership import Ownership
from core.settings import RollupSettings
from sinks import rollups
from sinks.writer import BatchWriter


def install(
    app: faust.App, writer: BatchWriter, settings: RollupSettings, owned: Ownership
) -> None:
    if settings.refresh_seconds <= 0:
        return
    settle = settings.settle_seconds

    @app.timer(interval=settings.refresh_seconds, on_leader=False)
    async def refresh_rollups() -> None:
        if 0 not in owned:
            return
        await writer.call(lambda store: rollups.refresh_or_log(store, settle), "rollups")
