"""What every board shares: time zone, links between boards, tags."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DashboardLinkType

TAG = "kefu-pulse"
# Business dates and service hours are Shanghai-local (docs/metrics.md), so the boards are too.
TIMEZONE = "Asia/Shanghai"
# The shop-local date of a time macro, for views keyed by business_date.
LOCAL_DATE_FROM = f"toDate($__fromTime, '{TIMEZONE}')"
LOCAL_DATE_TO = f"toDate($__toTime, '{TIMEZONE}')"


def new_board(
    uid: str, title: str, description: str, *, time_from: str, refresh: str
) -> dashboard_builders.Dashboard:
    return (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .timezone(TIMEZONE)
        .time(time_from, "now")
        .refresh(refresh)
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .editable()
        .link(
            dashboard_builders.DashboardLink("Kefu Pulse")
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )
