"""The sample day replayed once per session through the real pipeline, for the board tests.

Import `replayed_day` (session) and `day_store` (module) into a test module. The
replay runs in process on the session's Tansu broker with its own topics and a
temporary store; the store is closed when the replay returns, so modules can open
it one after another (chDB hosts one store directory per process at a time).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import KefuSettings
from pipeline import sample_day as sample
from pipeline.embedded_broker import TansuBroker
from pipeline.replay import replay
from sinks.chdb_store import ChdbStore


@pytest.fixture(scope="session")
async def replayed_day(tmp_path_factory: pytest.TempPathFactory, tansu_broker: TansuBroker) -> Path:
    work = tmp_path_factory.mktemp("grafana-day")
    name = f"kefu-test-{uuid.uuid4().hex[:12]}"
    settings = KefuSettings(
        kafka_bootstrap=tansu_broker.bootstrap,
        home=work / "home",
        store_path=work / "store",
        app_id=name,
        topic_prefix=name,
        qc=sample.qc_settings(work),
    )
    counts = await replay(settings, [sample.write_day(work)])
    assert counts.inquiries > 0
    return work / "store"


@pytest.fixture(scope="module")
def day_store(replayed_day: Path) -> Iterator[ChdbStore]:
    with ChdbStore(replayed_day, "kefu") as store:
        yield store
