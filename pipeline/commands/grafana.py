"""`kefu grafana push`: data sources, boards and the reply-rate alert rule onto a Grafana."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from core.errors import ConfigError, ServiceUnavailable
from core.settings import KefuSettings

DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"
TIMEOUT_SECONDS = 10.0


def register(commands: Any) -> None:
    parser = commands.add_parser("grafana", help="Grafana boards and data sources")
    sub = parser.add_subparsers(dest="grafana_command", required=True, metavar="ACTION")
    push = sub.add_parser(
        "push",
        help="provision data sources, boards and the alert rule; a second push changes nothing",
    )
    push.add_argument("--url", help="Grafana base URL (default: KEFU_GRAFANA_URL)")
    push.add_argument(
        "--prometheus-url",
        default=DEFAULT_PROMETHEUS_URL,
        help=f"Prometheus that scrapes the workers (default {DEFAULT_PROMETHEUS_URL})",
    )
    push.set_defaults(handler=handle_push)


def handle_push(args: argparse.Namespace) -> int:
    from grafana_client import GrafanaApi

    from grafana import datasources
    from grafana.push import PushError, committed, push
    from pipeline.commands.options import settings_from

    settings = settings_from(args)
    url: str = args.url or settings.grafana_url
    token = settings.grafana_token.get_secret_value()
    if not token and not urlsplit(url).password:
        msg = "no Grafana credential: set KEFU_GRAFANA_TOKEN (a service-account token)"
        raise ConfigError(msg)
    host, port, secure = clickhouse_endpoint(settings.clickhouse_url, settings.store_http_port)
    sources = [
        datasources.clickhouse_datasource(
            host,
            port,
            secure=secure,
            username=settings.clickhouse_user,
            password=_clickhouse_password(settings),
        ),
        datasources.prometheus_datasource(args.prometheus_url),
    ]
    api = GrafanaApi.from_url(url, credential=token or None, timeout=TIMEOUT_SECONDS)
    try:
        report = push(api, committed(sources))
    except PushError as exc:
        raise ServiceUnavailable(str(exc)) from exc
    print(f"grafana push to {url}: {report.summary()}")
    return 0


def _clickhouse_password(settings: KefuSettings) -> str | None:
    """The server's password, or the embedded store's (generated at its first start)."""
    if settings.embedded_store:
        from sinks.credentials import store_password

        return store_password(settings)
    return settings.clickhouse_password.get_secret_value() or None


def clickhouse_endpoint(clickhouse_url: str | None, embedded_port: int) -> tuple[str, int, bool]:
    """Host, port and TLS of the ClickHouse HTTP interface Grafana should query."""
    if clickhouse_url is None:
        return "127.0.0.1", embedded_port, False
    parts = urlsplit(clickhouse_url)
    secure = parts.scheme == "https"
    if not parts.hostname:
        msg = f"KEFU_CLICKHOUSE_URL has no host: {clickhouse_url!r}"
        raise ConfigError(msg)
    return parts.hostname, parts.port or (8443 if secure else 8123), secure
