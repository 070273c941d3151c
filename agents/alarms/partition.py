"""The alarm state of one `inquiry-changes` partition: source horizons and the shops on it.

The consumer's event time is the minimum horizon over every source (events) partition;
until each source has reported once there is none, and nothing is evaluated. Applying a
message at or below the restored offset does nothing, so a redelivery after a restart
cannot move the state twice.

A snapshot is full (`take_full`) or a delta (`take_delta`): the source horizons, the offset,
and of each shop changed since the previous snapshot its evaluation cursor, episodes and
the rows written or pruned since. `restore` applies a full one and its deltas in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.alarms.model import Alert
from agents.alarms.shop import ShopAlarms
from core.settings import ShopSettings
from schemas.inquiry_changes import ChangesMessage

SettingsFor = Callable[[str], ShopSettings]


class AlarmPartition:
    def __init__(self, partition: int, sources: int) -> None:
        self.partition = partition
        self.sources = sources
        self.horizons: dict[int, int] = {}
        self.shops: dict[str, ShopAlarms] = {}
        self.offset = -1
        self.late_rows = 0  # changes to windows already evaluated (input past the lateness)
        self.late_by_ms = 0  # the furthest such a change reached back

    @property
    def event_time_ms(self) -> int | None:
        if len(self.horizons) < self.sources:
            return None
        return min(self.horizons.values())

    def apply(self, message: ChangesMessage, offset: int, settings_for: SettingsFor) -> bool:
        """Fold one message in; False when it was applied before (a redelivery)."""
        if offset <= self.offset:
            return False
        for change in message.changes:
            shop = self.shops.get(change.shop_id)
            if shop is None:
                shop = self.shops[change.shop_id] = ShopAlarms(change.shop_id)
            late_by = shop.add(change, settings_for(change.shop_id))
            if late_by:
                self.late_rows += 1
                self.late_by_ms = max(self.late_by_ms, late_by)
        source = message.source_partition
        if message.horizon_ms > self.horizons.get(source, message.horizon_ms - 1):
            self.horizons[source] = message.horizon_ms
        self.offset = offset
        return True

    def evaluate(self, settings_for: SettingsFor, now_ms: int) -> list[Alert]:
        """Every evaluation point up to the event time, in event-time order."""
        event_ms = self.event_time_ms
        if event_ms is None:
            return []
        alerts: list[Alert] = []
        for shop_id in sorted(self.shops):
            alerts += self.shops[shop_id].evaluate_until(event_ms, settings_for(shop_id), now_ms)
        alerts.sort(key=lambda a: a.event_time_ms)
        return alerts

    def dump(self) -> dict[str, Any]:
        return self._head() | {
            "shops": {shop_id: shop.dump() for shop_id, shop in self.shops.items()}
        }

    def take_full(self) -> dict[str, Any]:
        """`dump`, and the next delta starts from here."""
        return self._head() | {
            "shops": {shop_id: shop.take_full() for shop_id, shop in self.shops.items()}
        }

    def take_delta(self) -> dict[str, Any]:
        """What changed since the last `take_full` or `take_delta`."""
        changed = {shop_id: shop.take_delta() for shop_id, shop in self.shops.items()}
        # Not "shops": a reader that predates deltas fails on one instead of loading it whole.
        return self._head() | {"changed": {k: v for k, v in changed.items() if v is not None}}

    def _head(self) -> dict[str, Any]:
        return {"offset": self.offset, "horizons": sorted(self.horizons.items())}

    def restore(self, chain: list[dict[str, Any]]) -> None:
        """A full snapshot and the deltas written after it, oldest first."""
        self.load(chain[0])
        for delta in chain[1:]:
            self.load_delta(delta)

    def load_delta(self, data: dict[str, Any]) -> None:
        self.offset = data["offset"]
        self.horizons = {int(source): horizon for source, horizon in data["horizons"]}
        for shop_id, changed in data["changed"].items():
            shop = self.shops.get(shop_id)
            if shop is None:
                shop = self.shops[shop_id] = ShopAlarms(shop_id)
            shop.load_delta(changed)

    def load(self, data: dict[str, Any]) -> None:
        self.offset = data["offset"]
        self.horizons = {int(source): horizon for source, horizon in data["horizons"]}
        self.shops = {sid: ShopAlarms.load(sid, shop) for sid, shop in data["shops"].items()}
