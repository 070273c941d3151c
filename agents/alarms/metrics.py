"""Prometheus metrics of the alarm stage: alerts raised and the live numbers per shop."""

from prometheus_client import Counter, Gauge

ALERTS = Counter(
    "kefu_alerts_total", "Alert state changes raised, by rule and state", ["rule", "state"]
)
REMINDERS = Counter("kefu_alert_reminders_total", "Firing reminders raised", ["rule"])
REPLY_RATE = Gauge(
    "kefu_reply_rate_5m",
    "Five-minute reply rate of the latest alarm window (NaN when it holds no inquiry)",
    ["shop"],
)
WINDOW_INQUIRIES = Gauge(
    "kefu_reply_rate_5m_inquiries", "Inquiries in the latest alarm window", ["shop"]
)
THRESHOLD = Gauge("kefu_reply_rate_5m_threshold", "The shop's alarm threshold", ["shop"])
MIN_INQUIRIES = Gauge(
    "kefu_reply_rate_5m_min_inquiries", "The shop's minimum window volume to fire", ["shop"]
)
WAITING = Gauge(
    "kefu_waiting_buyers",
    "Buyers unanswered and not yet past five minutes, at event time",
    ["shop"],
)
WARNED = Gauge(
    "kefu_waiting_buyers_warned",
    "Waiting buyers past the shop's warn_after, at event time",
    ["shop"],
)
EVENT_TIME = Gauge(
    "kefu_alarm_event_time_seconds",
    "Event time of the alarm consumer (minimum source horizon), epoch seconds",
    ["partition"],
)
EVENT_TIME_DELAY = Gauge(
    "kefu_alarm_event_time_delay_seconds",
    "Wall clock minus the alarm consumer's event time",
    ["partition"],
)
CONSUMER_LAG = Gauge(
    "kefu_consumer_lag_messages",
    "Messages behind the end of a partition, per consumer",
    ["consumer", "topic", "partition"],
)
EVALUATION_SECONDS = Counter(
    "kefu_alarm_evaluation_seconds_total", "Time spent applying changes and evaluating rules"
)
SNAPSHOT_BYTES = Gauge(
    "kefu_alarm_snapshot_bytes",
    "Compressed size of the latest alarm state snapshot, full or delta",
    ["partition", "kind"],
)
LATE_ROWS = Counter(
    "kefu_alarm_late_rows_total",
    "Inquiry changes that arrived after their alarm window was evaluated (late input)",
)
