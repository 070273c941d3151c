"""Escalation rules over each conversation's events, and the work orders they open."""
