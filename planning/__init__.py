"""Forecast and staffing from the stored facts (docs/metrics.md#staffing): inquiries per shop
and 30-minute interval ahead, and the agents each interval needs to hold the reply target."""
