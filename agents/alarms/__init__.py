"""Five-minute reply-rate alarms and waiting-buyer warnings (docs/metrics.md#live-reply-rate-alarm)."""
