"""Store fixtures: an embedded chDB store, served over HTTP, and a ServerStore on that port.

Import the fixtures into a test module (or name this module in `pytest_plugins`).
They are module-scoped on purpose: chDB hosts one store directory per process,
so a store held open for the whole session would stop every later test from
opening its own. Within a module, tests share the store and take a fresh
database each from `fresh_database`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sinks.chdb_http import StoreServer, serve
from sinks.chdb_store import ChdbStore
from sinks.migrate import migrate
from sinks.server_store import ServerStore
from sinks.store import Store

DATABASE = "kefu"
TEXT_TTL_DAYS = 180


def fresh_database(store: Store) -> str:
    """A new, migrated database on `store` (one per test keeps tests apart)."""
    name = f"kefu_test_{uuid.uuid4().hex[:12]}"
    migrate(store, name, TEXT_TTL_DAYS)
    return name


@pytest.fixture(scope="module")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    with ChdbStore(tmp_path_factory.mktemp("store"), DATABASE) as store:
        migrate(store, DATABASE, TEXT_TTL_DAYS)
        yield store


@pytest.fixture(scope="module")
def store_http(embedded_store: ChdbStore) -> Iterator[StoreServer]:
    """The embedded store's ClickHouse HTTP interface on a free loopback port."""
    with serve(embedded_store, "127.0.0.1", 0) as server:
        yield server


@pytest.fixture(scope="module")
def server_store(store_http: StoreServer) -> Iterator[ServerStore]:
    """The real clickhouse-connect client over real HTTP, on the embedded store."""
    with ServerStore(store_http.url, "default", "", DATABASE) as store:
        yield store


@pytest.fixture(params=["chdb", "server"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """Each backend in turn: the test runs once per backend."""
    fixture = "embedded_store" if request.param == "chdb" else "server_store"
    store: Store = request.getfixturevalue(fixture)
    return store
