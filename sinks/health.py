"""Whether the store takes inserts: one view shared by every writer of a worker.

An outage is logged once when it starts and once when it ends (not at every retry),
counted in `kefu_sink_errors_total`, shown by the worker's /health endpoint, and bounded:
after `give_up_seconds` of failing the writers stop retrying, so the worker exits non-zero
and its supervisor restarts it (its input stays unacked, so nothing is lost).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sinks import metrics

log = logging.getLogger(__name__)


class SinkHealth:
    def __init__(self, give_up_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.give_up_seconds = give_up_seconds
        self._clock = clock
        self.failing_since: float | None = None
        self.last_error = ""
        metrics.HEALTHY.set(1)

    @property
    def healthy(self) -> bool:
        return self.failing_since is None

    def failed(self, table: str, error: Exception) -> None:
        metrics.ERRORS.labels(table).inc()
        self.last_error = str(error)
        if self.failing_since is None:
            self.failing_since = self._clock()
            metrics.HEALTHY.set(0)
            log.error("store failing (inserting into %s): %s", table, error)

    def succeeded(self) -> None:
        if self.failing_since is not None:
            log.warning("store recovered after %.1fs", self._clock() - self.failing_since)
            self.failing_since = None
            metrics.HEALTHY.set(1)

    def given_up(self) -> bool:
        return (
            self.failing_since is not None
            and self._clock() - self.failing_since >= self.give_up_seconds
        )

    def reason(self) -> str:
        """One line for /health: empty when healthy."""
        if self.failing_since is None:
            return ""
        seconds = self._clock() - self.failing_since
        return f"store failing for {seconds:.0f}s: {self.last_error}"
