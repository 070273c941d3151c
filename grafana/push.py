"""Provision a running Grafana over its HTTP API: folder, data sources, boards, alert rule.

Idempotent by comparison, not by blind overwrite: each object is read first and
written only when missing or different, so a second push makes no write at all
(and bumps no dashboard version). "Different" means some field we define differs;
fields Grafana adds on its own (ids, versions, defaults) are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from grafana import alerting, datasources
from grafana.boards import BOARDS
from grafana.render import load_dashboard

log = logging.getLogger(__name__)

NOT_FOUND = 404


class PushError(Exception):
    """Grafana refused or could not be reached; the message says which object."""


@dataclass
class PushReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}"
        )


@dataclass(frozen=True)
class Provisioning:
    """Everything one push sends."""

    sources: list[dict[str, Any]]
    dashboards: dict[str, dict[str, Any]]
    alert_rule: dict[str, Any]
    folder_uid: str = datasources.FOLDER_UID
    folder_title: str = datasources.FOLDER_TITLE


def committed(datasource_list: list[dict[str, Any]]) -> Provisioning:
    """The committed boards (grafana/dashboards/*.json) and the alert rule."""
    return Provisioning(
        sources=datasource_list,
        dashboards={name: load_dashboard(name) for name in BOARDS},
        alert_rule=alerting.api_payload(),
    )


def push(api: GrafanaApi, what: Provisioning) -> PushReport:
    report = PushReport()
    _folder(api, what, report)
    for source in what.sources:
        _datasource(api, source, report)
    for board in what.dashboards.values():
        _dashboard(api, board, what.folder_uid, report)
    _alert_rule(api, what.alert_rule, report)
    return report


def _folder(api: GrafanaApi, what: Provisioning, report: PushReport) -> None:
    name = f"folder {what.folder_uid}"
    existing = _get(lambda: api.folder.get_folder(what.folder_uid), name)
    if existing is None:
        _call(lambda: api.folder.create_folder(what.folder_title, uid=what.folder_uid), name)
        report.created.append(name)
    elif existing.get("title") != what.folder_title:
        _call(
            lambda: api.folder.update_folder(
                what.folder_uid, title=what.folder_title, overwrite=True
            ),
            name,
        )
        report.updated.append(name)
    else:
        report.unchanged.append(name)


def _datasource(api: GrafanaApi, source: dict[str, Any], report: PushReport) -> None:
    uid = source["uid"]
    name = f"data source {uid}"
    existing = _get(lambda: api.datasource.get_datasource_by_uid(uid), name)
    if existing is None:
        _call(lambda: api.datasource.create_datasource(source), name)
        report.created.append(name)
        return
    public = {k: v for k, v in source.items() if k != "secureJsonData"}
    # Grafana never returns secrets, only which ones are set: resend when one is missing.
    secrets_set = existing.get("secureJsonFields") or {}
    missing_secret = any(not secrets_set.get(k) for k in source.get("secureJsonData", {}))
    if _contains(existing, public) and not missing_secret:
        report.unchanged.append(name)
        return
    _call(lambda: api.datasource.update_datasource_by_uid(uid, source), name)
    report.updated.append(name)


def _dashboard(api: GrafanaApi, board: dict[str, Any], folder_uid: str, report: PushReport) -> None:
    uid = board["uid"]
    name = f"dashboard {uid}"
    existing = _get(lambda: api.dashboard.get_dashboard(uid), name)
    wanted = {k: v for k, v in board.items() if k not in ("id", "version")}
    if existing is not None:
        same_folder = (existing.get("meta") or {}).get("folderUid") == folder_uid
        if same_folder and _contains(existing.get("dashboard") or {}, wanted):
            report.unchanged.append(name)
            return
    body = {
        "dashboard": {**board, "id": None},
        "folderUid": folder_uid,
        "overwrite": True,
        "message": "kefu grafana push",
    }
    _call(lambda: api.dashboard.update_dashboard(body), name)
    (report.created if existing is None else report.updated).append(name)


def _alert_rule(api: GrafanaApi, rule: dict[str, Any], report: PushReport) -> None:
    uid = rule["uid"]
    name = f"alert rule {uid}"
    existing = _get(lambda: api.alertingprovisioning.get_alertrule(uid), name)
    if existing is None:
        _call(lambda: api.alertingprovisioning.create_alertrule(rule), name)
        report.created.append(name)
    elif _contains(existing, rule):
        report.unchanged.append(name)
    else:
        _call(lambda: api.alertingprovisioning.update_alertrule(uid, rule), name)
        report.updated.append(name)


def _contains(have: object, want: object) -> bool:
    """`want` is a sub-document of `have`: every key we set holds the value we set."""
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(
            key in have and _contains(have[key], value) for key, value in want.items()
        )
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(have) == len(want)
            and all(_contains(h, w) for h, w in zip(have, want, strict=True))
        )
    return bool(have == want)


def _get(read: Callable[[], Any], what: str) -> dict[str, Any] | None:
    """The object, or None when Grafana answers 404."""
    try:
        found: dict[str, Any] = read()
    except GrafanaClientError as exc:
        if exc.status_code == NOT_FOUND:
            return None
        raise _error(exc, what) from exc
    except GrafanaException as exc:
        raise _error(exc, what) from exc
    return found


def _call(write: Callable[[], Any], what: str) -> None:
    try:
        write()
    except GrafanaException as exc:
        raise _error(exc, what) from exc
    log.info("pushed %s", what)


def _error(exc: GrafanaException, what: str) -> PushError:
    status = f"HTTP {exc.status_code}" if exc.status_code else "no answer"
    return PushError(f"grafana push failed at {what}: {status}: {exc.message}")
