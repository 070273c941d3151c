"""Silences and acknowledgements of alerts, as events every worker and the notifier read."""
