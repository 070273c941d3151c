"""The KPI scorecard (metrics.md 6): metric registry, settings, scoring rules, store views."""
