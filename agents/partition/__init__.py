"""The stateful stage: one state per events partition, fed packed batches, checkpointed per flush."""

from core.compiled import select

# The compiled core (core.compiled), when built and not switched off, shadows the .py files.
select(__name__, __path__)
