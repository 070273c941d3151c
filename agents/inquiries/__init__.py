"""Chat messages to inquiries (docs/metrics.md#inquiries-and-response-time): pure engine plus the thin agent around it."""

from core.compiled import select

# The compiled core (core.compiled), when built and not switched off, shadows the .py files.
select(__name__, __path__)
