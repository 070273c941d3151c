"""Chat messages to inquiries (docs/metrics.md#inquiries-and-response-time): pure engine plus the thin agent around it."""
