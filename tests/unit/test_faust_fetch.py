"""The faust worker's consumer waits on a fetch as long as the settings say, not faust's 1.5 s."""

from __future__ import annotations

from pathlib import Path

from pipeline.app import _App
from pipeline.faust_fetch import Transport


async def test_the_worker_consumer_takes_the_fetch_wait_of_the_settings(tmp_path: Path) -> None:
    app = _App(
        "fetch-wait", broker="kafka://localhost:1", datadir=str(tmp_path), fetch_max_wait_ms=123
    )
    assert isinstance(app.transport, Transport)
    # The consumer faust would start, made without connecting.
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
    assert consumer._fetch_max_wait_ms == 123
