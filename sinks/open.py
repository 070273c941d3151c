"""Open the store the settings name: a ClickHouse server, else embedded chDB under home."""

from __future__ import annotations

from core.settings import KefuSettings
from sinks.store import Store


def open_store(settings: KefuSettings) -> Store:
    """ServerStore when clickhouse_url is set, else ChdbStore at settings.store_dir.

    The embedded store raises StoreLocked when another process owns the directory.
    """
    if settings.clickhouse_url is None:
        from sinks.chdb_store import ChdbStore

        return ChdbStore(settings.store_dir, settings.clickhouse_database)
    from sinks.server_store import ServerStore

    return ServerStore(
        settings.clickhouse_url,
        settings.clickhouse_user,
        settings.clickhouse_password.get_secret_value(),
        settings.clickhouse_database,
    )


def open_store_for_reading(settings: KefuSettings) -> Store:
    """Like open_store, but a store owned by a running worker is read through its HTTP port."""
    from core.errors import StoreLocked

    try:
        return open_store(settings)
    except StoreLocked:
        if not settings.embedded_store:
            raise
    from sinks.credentials import store_password
    from sinks.server_store import ServerStore

    return ServerStore(
        f"http://127.0.0.1:{settings.store_http_port}",
        "default",
        store_password(settings),
        settings.clickhouse_database,
    )
