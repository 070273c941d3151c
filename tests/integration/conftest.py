"""Real brokers for integration tests: embedded Tansu and Apache Kafka from Maven Central."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench.apache_kafka import ApacheKafka, java_available
from pipeline.embedded_broker import TansuBroker

REQUIRE_KAFKA_ENV = "KEFU_REQUIRE_KAFKA"


@dataclass(frozen=True)
class Broker:
    """Which broker a test runs against and where to reach it."""

    kind: str
    bootstrap: str


def _missing(reason: str) -> None:
    """Skip locally, fail when the environment demands every broker (CI)."""
    if os.environ.get(REQUIRE_KAFKA_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_KAFKA_ENV}=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def tansu_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    with TansuBroker(log_dir=tmp_path_factory.mktemp("tansu"), ready_timeout=20.0) as broker:
        yield broker


@pytest.fixture(scope="session")
def apache_kafka() -> Iterator[ApacheKafka]:
    if not java_available():
        _missing("Apache Kafka needs 'java' and 'mvn' on PATH")
    with ApacheKafka(ready_timeout=60.0) as broker:
        yield broker


@pytest.fixture(scope="session", params=["tansu", "apache"])
def kafka_broker(request: pytest.FixtureRequest) -> Broker:
    kind: str = request.param
    fixture = "tansu_broker" if kind == "tansu" else "apache_kafka"
    started: TansuBroker | ApacheKafka = request.getfixturevalue(fixture)
    return Broker(kind=kind, bootstrap=started.bootstrap)


@pytest.fixture
def unique_name() -> str:
    return f"kefu-test-{uuid.uuid4().hex[:12]}"
