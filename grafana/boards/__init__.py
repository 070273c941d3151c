"""The boards; each module has `build() -> Dashboard` builder and a fixed uid."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders.dashboard import Dashboard

from grafana.boards import (
    after_sales,
    agents,
    live_floor,
    on_call,
    pipeline_health,
    quality,
    staffing,
)

# file stem -> builder; the stem is also the JSON file name and the preview's name.
BOARDS: dict[str, Callable[[], Dashboard]] = {
    "live_floor": live_floor.build,
    "agents": agents.build,
    "after_sales": after_sales.build,
    "pipeline_health": pipeline_health.build,
    "on_call": on_call.build,
    "quality": quality.build,
    "staffing": staffing.build,
}
