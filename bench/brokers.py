"""The broker a run measures on: embedded Tansu (default), Apache Kafka, or one already running."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from bench.apache_kafka import KAFKA_VERSION, ApacheKafka
from pipeline.embedded_broker import TansuBroker, resolve_tansu_bin

BrokerKind = Literal["tansu", "apache"]


@contextmanager
def broker(kind: BrokerKind, log_dir: Path, bootstrap: str | None = None) -> Iterator[str]:
    """Yield a bootstrap address; start the broker unless `bootstrap` names a running one."""
    if bootstrap is not None:
        yield bootstrap
        return
    started: TansuBroker | ApacheKafka
    if kind == "tansu":
        started = TansuBroker(log_dir=log_dir, ready_timeout=30.0)
    else:
        started = ApacheKafka(ready_timeout=120.0, heap="1g")
    started.start()
    try:
        yield started.bootstrap
    finally:
        started.stop()


def broker_label(kind: BrokerKind, bootstrap: str | None) -> str:
    if bootstrap is not None:
        return f"external broker at {bootstrap}"
    if kind == "apache":
        return f"Apache Kafka {KAFKA_VERSION} (KRaft, one node)"
    return f"Tansu ({resolve_tansu_bin().name}, in memory)"
