"""The foundation every layer stands on: settings, errors, topic names, Kafka offsets, KPI settings.

It imports nothing else of ours (tests/unit/test_layers.py holds it to that).
"""
