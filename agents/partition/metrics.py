"""Prometheus metrics of the stateful stage."""

from prometheus_client import Counter, Gauge

APPLIED = Counter("kefu_events_applied_total", "Canonical events applied to partition state")
DUPLICATES = Counter("kefu_duplicates_total", "Events ignored as second deliveries")
FAILED = Counter("kefu_apply_failures_total", "Valid events the stateful stage could not apply")
LATE = Gauge(
    "kefu_late_messages",
    "Chat messages that arrived later than the allowed lateness",
    ["partition"],
)
OPEN_INQUIRIES = Gauge("kefu_open_inquiries", "Inquiries waiting for a reply", ["partition"])
WATERMARK = Gauge("kefu_watermark_seconds", "Event-time watermark (epoch seconds)", ["partition"])
WATERMARK_DELAY = Gauge(
    "kefu_watermark_delay_seconds", "Wall clock minus the event-time watermark", ["partition"]
)
CHECKPOINT_PARTS = Counter("kefu_checkpoint_parts_total", "State changelog parts written")
RESTORE_SECONDS = Gauge(
    "kefu_state_restore_seconds",
    "How long the last restore of a partition's state took",
    ["partition"],
)
RESTORE_BYTES = Gauge(
    "kefu_state_restore_bytes",
    "Changelog bytes the last restore of a partition read",
    ["partition"],
)
RESTORE_GAPS = Counter(
    "kefu_state_restore_gaps_total",
    "Restores whose first input came after offsets no checkpoint covered (input skipped)",
)
HELD = Gauge(
    "kefu_state_held",
    "Entries a partition holds in memory (docs/metrics.md#memory-horizons)",
    ["partition", "kind"],
)
