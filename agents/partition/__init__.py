"""The stateful stage: one state per events partition, fed packed batches, checkpointed per flush."""
