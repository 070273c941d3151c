"""Chat messages to inquiries (metrics.md section 1): pure engine plus the thin agent around it."""
