"""Raw topics to validated, packed, conversation-partitioned batches; bad input to dead letters."""
