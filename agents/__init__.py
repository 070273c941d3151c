"""Pipeline stages: ingest (validate, dead-letter, repartition), inquiries, alarms, sinks."""
