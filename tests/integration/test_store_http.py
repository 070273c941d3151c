"""Both store backends over the real engine: same rows, same answers, typed errors, real HTTP.

The server backend is the real clickhouse-connect client talking real HTTP to
sinks.chdb_http serving the embedded store.
"""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import clickhouse_connect
import pytest

from core.errors import RetryLater, ServiceUnavailable, StoreLocked
from sinks import tables
from sinks.chdb_http import StoreServer, serve
from sinks.chdb_store import ChdbStore
from sinks.errors import StoreError
from sinks.server_store import ServerStore
from sinks.store import Store
from tests.integration import store_fixtures
from tests.integration.store_fixtures import fresh_database

# The shared store fixtures, for this module.
embedded_store = store_fixtures.embedded_store
store_http = store_fixtures.store_http
server_store = store_fixtures.server_store
any_store = store_fixtures.any_store

T = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


SAMPLES: dict[str, list[tuple[Any, ...]]] = {
    "chat_messages": [
        (
            "m1",
            "s1",
            "b1",
            "buyer",
            "",
            at(0),
            "text",
            "这款敏感肌能用吗？\n\n第二段",
            None,
            "{}",
            at(0.01),
        ),
        ("m2", "s1", "b1", "agent", "a7", at(0.7), "order", None, "O1", '{"x": 1}', at(0.71)),
    ],
    "refunds": [
        (
            "R1",
            "s1",
            "O1",
            "b1",
            "",
            "dispute_closed",
            Decimal("59.90"),
            at(0),
            at(5),
            None,
            1,
            "merchant",
            300.0,
            None,
            at(90),
            1,
            at(90),
            4,
        ),
    ],  # fmt: skip
    "orders": [("O1", "s1", "b1", "paid", Decimal("0.01"), at(-5), at(-1), None, at(-1), 2)],
    "alerts": [
        (
            "al1",
            "reply_rate_5m",
            "s1",
            "",
            "firing",
            0.5,
            0.8,
            12,
            at(-20),
            at(-5),
            at(0),
            at(0.1),
            "5m rate 50%",
            "",
            0,
            "",
        ),
        (
            "al2",
            "waiting_buyer",
            "s1",
            "",
            "warning",
            None,
            None,
            2,
            None,
            None,
            at(1),
            at(1.1),
            "",
            "",
            0,
            "",
        ),
    ],
    "dead_letters": [("kefu.raw", 3, 1234567, "not JSON", "\x00\n\n{oops", at(2))],
}


def test_same_rows_through_both_backends(
    embedded_store: ChdbStore, server_store: ServerStore
) -> None:
    answers = []
    for store in (embedded_store, server_store):
        db = fresh_database(store)
        for table, rows in SAMPLES.items():
            store.insert(f"{db}.{table}", tables.COLUMNS[table], rows)
        answers.append(
            {
                table: store.query(f"SELECT * FROM {db}.{table} ORDER BY tuple(*)").rows
                for table in SAMPLES
            }
        )
    assert answers[0] == answers[1]
    for table, rows in SAMPLES.items():
        assert sorted(answers[0][table]) == sorted(rows), table


def test_dedup_token_over_http(server_store: ServerStore) -> None:
    db = fresh_database(server_store)
    rows = SAMPLES["chat_messages"]
    for token in ("batch-1", "batch-1", "batch-2"):
        server_store.insert(f"{db}.chat_messages", tables.CHAT_MESSAGES, rows, dedup_token=token)
    assert server_store.query(f"SELECT count() FROM {db}.chat_messages").scalar() == 4


def test_parameters_too_long_for_a_url_arrive_as_a_form(server_store: ServerStore) -> None:
    """clickhouse-connect sends them as multipart/form-data, as the old-duplicate lookup does."""
    ids = [f"msg-{i:06d}" for i in range(5000)]
    sql = "SELECT count() FROM numbers(20) WHERE concat('msg-', leftPad(toString(number), 6, '0')) IN {ids:Array(String)}"
    assert server_store.query(sql, {"ids": ids}).scalar() == 20


def test_sql_errors_are_store_errors_with_the_clickhouse_message(any_store: Store) -> None:
    with pytest.raises(StoreError, match=r"^Code: 60\. .*no_such_table") as caught:
        any_store.query("SELECT * FROM no_such_table")
    assert caught.value.code == 60
    assert "for url" not in str(caught.value)


def test_an_unreachable_server_is_retry_later(embedded_store: ChdbStore) -> None:
    server = serve(embedded_store, "127.0.0.1", 0)
    store = ServerStore(server.url, "default", "", "kefu", connect_timeout=2)
    server.stop()
    with pytest.raises(RetryLater):
        store.query("SELECT 1")
    store.close()
    with pytest.raises(ServiceUnavailable, match="cannot reach ClickHouse"):
        ServerStore(server.url, "default", "", "kefu", connect_timeout=2)


def test_a_second_owner_is_told_who_holds_the_store(embedded_store: ChdbStore) -> None:
    with pytest.raises(StoreLocked, match=rf"in use by process {os.getpid()}.*kefu sql"):
        ChdbStore(embedded_store.path)


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_clickhouse_connect_speaks_to_the_embedded_store(
    store_http: StoreServer, compress: str | bool
) -> None:
    client = clickhouse_connect.get_client(
        host=store_http.host, port=store_http.port, compress=compress, database="kefu"
    )
    try:
        assert client.ping()
        client.command("CREATE TABLE IF NOT EXISTS http_probe (k UInt32, s String) ENGINE = Memory")
        client.command("TRUNCATE TABLE http_probe")
        data = [[i, f"row {i}\n\n" if i % 2 else ""] for i in range(20_000)]
        summary = client.insert("http_probe", data, column_names=["k", "s"])
        assert summary.written_rows == 20_000
        result = client.query(
            "SELECT count(), sum(k), countIf(s LIKE '%\n\n') FROM http_probe"
            " WHERE k >= {lo:UInt32}",
            parameters={"lo": 10},
            settings={"max_threads": 1},
        )
        assert result.result_rows == [(19_990, sum(range(10, 20_000)), 9_995)]
        assert client.command("SELECT 'one', 2") == ["one", "2"]
    finally:
        client.command("DROP TABLE IF EXISTS http_probe")
        client.close()


def test_plain_http_requests(store_http: StoreServer) -> None:
    def post(sql: str, path: str = "/") -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(store_http.url + path, data=sql.encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    with urllib.request.urlopen(store_http.url + "/ping", timeout=10) as response:  # noqa: S310
        assert response.read() == b"Ok.\n"
    status, headers, body = post("SELECT 1 AS x, 'a\tb' AS y FORMAT JSONEachRow")
    assert (status, body) == (200, b'{"x":1,"y":"a\\tb"}\n')
    assert headers["X-ClickHouse-Format"] == "JSONEachRow"
    status, headers, body = post("SELECT number FROM system.numbers LIMIT 3")
    assert (status, body, headers["X-ClickHouse-Format"]) == (200, b"0\n1\n2\n", "TabSeparated")
    status, headers, body = post("SELECT * FROM no_such_table")
    assert (status, headers["X-ClickHouse-Exception-Code"]) == (404, "60")
    assert body.startswith(b"Code: 60.")
    status, _, body = post("SELECT 1; SELECT 2")
    assert status == 400 and b"Multi-statements" in body
    with urllib.request.urlopen(store_http.url + "/?query=SELECT%2042", timeout=10) as response:  # noqa: S310
        assert response.read() == b"42\n"
    request = urllib.request.Request(
        store_http.url + "/?query=CREATE%20TABLE%20t%20(a%20UInt8)%20ENGINE%3DMemory"
    )
    with pytest.raises(urllib.error.HTTPError) as readonly:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert readonly.value.code == 403  # GET is read-only, as in ClickHouse


def test_concurrent_clients_are_served(store_http: StoreServer) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client = clickhouse_connect.get_client(host=store_http.host, port=store_http.port)
            for i in range(20):
                assert client.query("SELECT {i:UInt8} + 1", parameters={"i": i}).result_rows == [
                    (i + 1,)
                ]
            client.close()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_a_locked_port_wants_the_password_and_never_reaches_outside(
    embedded_store: ChdbStore,
) -> None:
    with serve(embedded_store, "127.0.0.1", 0, password="s3cret") as locked:
        with pytest.raises(clickhouse_connect.driver.exceptions.DatabaseError, match="516"):
            clickhouse_connect.get_client(host=locked.host, port=locked.port)
        with pytest.raises(clickhouse_connect.driver.exceptions.DatabaseError, match="516"):
            clickhouse_connect.get_client(
                host=locked.host, port=locked.port, username="intruder", password="s3cret"
            )
        client = clickhouse_connect.get_client(
            host=locked.host, port=locked.port, password="s3cret"
        )
        try:
            assert client.command("SELECT 40 + 2") == 42
            for sql in (
                "SELECT * FROM file('/etc/passwd', 'LineAsString')",
                "SELECT * FROM `file`('/etc/hostname', 'LineAsString')",
                "SELECT * FROM url('http://127.0.0.1:9/x', 'CSV', 'a String')",
                "INSERT INTO FUNCTION file('/tmp/kefu-leak.csv', 'CSV', 'a UInt8') VALUES (1)",
                "SELECT 1 INTO OUTFILE '/tmp/kefu-leak.tsv'",
                "CREATE TABLE leak (a String) ENGINE = File(CSV)",
            ):
                with pytest.raises(clickhouse_connect.driver.exceptions.DatabaseError, match="497"):
                    client.command(sql)
            assert not os.path.exists("/tmp/kefu-leak.csv")
            # The words in a string are not a call.
            assert client.command("SELECT 'file(x)'") == "file(x)"
        finally:
            client.close()
