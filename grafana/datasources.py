"""The two data sources the boards read, with fixed uids so dashboards can name them."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models.dashboard import DataSourceRef

CLICKHOUSE_TYPE = "grafana-clickhouse-datasource"
CLICKHOUSE_UID = "kefu-clickhouse"
CLICKHOUSE_NAME = "Kefu ClickHouse"
PROMETHEUS_TYPE = "prometheus"
PROMETHEUS_UID = "kefu-prometheus"
PROMETHEUS_NAME = "Kefu Prometheus"

DATABASE = "kefu"
# The defaults match `kefu run`: the embedded store's HTTP interface and a local Prometheus.
DEFAULT_CLICKHOUSE_HOST = "127.0.0.1"
DEFAULT_CLICKHOUSE_PORT = 8123
DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"

FOLDER_UID = "kefu-pulse"
FOLDER_TITLE = "Kefu Pulse 客服脉搏"


def clickhouse_ref() -> DataSourceRef:
    return DataSourceRef(type_val=CLICKHOUSE_TYPE, uid=CLICKHOUSE_UID)


def prometheus_ref() -> DataSourceRef:
    return DataSourceRef(type_val=PROMETHEUS_TYPE, uid=PROMETHEUS_UID)


def clickhouse_datasource(
    host: str = DEFAULT_CLICKHOUSE_HOST,
    port: int = DEFAULT_CLICKHOUSE_PORT,
    *,
    secure: bool = False,
    username: str = "default",
    password: str | None = None,
) -> dict[str, Any]:
    """The ClickHouse data source as Grafana's API and provisioning files spell it.

    Protocol `http`: the embedded store speaks only ClickHouse's HTTP interface.
    """
    source: dict[str, Any] = {
        "uid": CLICKHOUSE_UID,
        "name": CLICKHOUSE_NAME,
        "type": CLICKHOUSE_TYPE,
        "access": "proxy",
        "isDefault": True,
        "jsonData": {
            "host": host,
            "port": port,
            "protocol": "http",
            "secure": secure,
            "username": username,
            "defaultDatabase": DATABASE,
        },
    }
    if password is not None:
        source["secureJsonData"] = {"password": password}
    return source


def prometheus_datasource(url: str = DEFAULT_PROMETHEUS_URL) -> dict[str, Any]:
    return {
        "uid": PROMETHEUS_UID,
        "name": PROMETHEUS_NAME,
        "type": PROMETHEUS_TYPE,
        "access": "proxy",
        "isDefault": False,
        "url": url,
        "jsonData": {"httpMethod": "POST", "timeInterval": "15s"},
    }
