"""Five-minute reply-rate alarms and waiting-buyer warnings (metrics.md section 2)."""
