"""The notifier: alerts from their topic to people, through webhooks and Alertmanager."""
