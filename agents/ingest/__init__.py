"""Raw topics to validated, packed, conversation-partitioned batches; bad input to dead letters."""

from core.compiled import select

# The compiled core (core.compiled), when built and not switched off, shadows the .py files.
select(__name__, __path__)
