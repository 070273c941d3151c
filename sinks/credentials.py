"""The embedded store's HTTP password: from the environment, else generated once under home.

`kefu run` serves the store it owns on loopback with this password; `kefu sql`, Grafana
provisioning and any ClickHouse client use it (user `default`). It is generated at the first
start and kept in `<home>/store-password`, readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.settings import KefuSettings

FILE_NAME = "store-password"


def store_password(settings: KefuSettings) -> str:
    configured = settings.clickhouse_password.get_secret_value()
    if configured:
        return configured
    path = settings.home / FILE_NAME
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    return _generate(path)


def _generate(path: Path) -> str:
    password = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with owner-only permissions: no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password
