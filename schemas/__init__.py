"""What arrives: the event contract of docs/events.md and the packed internal form."""

from core.compiled import select

# The compiled core (core.compiled), when built and not switched off, shadows the .py files.
select(__name__, __path__)
